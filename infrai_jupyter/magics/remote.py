"""Where a browser opens the embedded sandbox's pages when the kernel is on another machine.

The sandbox listens on the kernel's loopback, which only a browser on that machine can
reach. Its links name a public address instead, found in this order:

1. ``InfraiMagics.sandbox_public_url``, a template with ``{port}``
   (``/proxy/{port}``, ``https://lab.example.org/proxy/{port}``);
2. JupyterHub and Binder: ``JUPYTERHUB_SERVICE_PREFIX`` (``/user/alice/``) names the
   Jupyter server's path, and jupyter-server-proxy serves the port under
   ``{prefix}proxy/{port}``. The kernel does not know the hub's origin, so this is a
   root path: links open on whatever origin the notebook is on;
3. Colab: ``google.colab.kernel.proxyPort(port)`` gives the port a public https origin
   (asked for through ``eval_js``; when that fails, checkout stays on loopback and the
   card says so);
4. otherwise the loopback address itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .._i18n import gettext
from ..display.links import is_root_path, is_safe_link
from ..display.session_card import CheckoutRoute

HUB_PREFIX_VARIABLE = "JUPYTERHUB_SERVICE_PREFIX"
COLAB_TIMEOUT_SECONDS = 10.0
"""How long Colab's front end may take to name the port's public address."""


@dataclass(frozen=True)
class PublicAddress:
    """Where checkout pages open (None: the loopback address), and how that was found."""

    url: str | None
    route: CheckoutRoute


def check_template(template: str) -> str:
    """``sandbox_public_url`` as it will be used; ValueError saying what to write instead.

    Accepted: "" (automatic), or an http(s) URL or a root path, with ``{port}`` where
    the sandbox's port goes. A query, a fragment, credentials or ``..`` have no place in
    an address every checkout link starts with.

    ``%config`` shows the message, so it is in the user's language; each one is a whole
    sentence with its examples (no ``format``: ``{port}`` is the text to type).
    """
    if not template:
        return ""
    if "{port}" not in template:
        raise ValueError(
            gettext(
                "sandbox_public_url needs {port} where the port goes, e.g. "
                '%config InfraiMagics.sandbox_public_url = "/proxy/{port}" (JupyterLab with '
                'jupyter-server-proxy) or "https://lab.example.org/proxy/{port}"; "" finds it '
                "automatically."
            )
        )
    try:
        url = template.format(port=8765).rstrip("/")
    except (IndexError, KeyError, ValueError):
        raise ValueError(
            gettext(
                "sandbox_public_url may name only {port}, in braces, e.g. "
                '%config InfraiMagics.sandbox_public_url = "/proxy/{port}" (JupyterLab with '
                'jupyter-server-proxy) or "https://lab.example.org/proxy/{port}"; "" finds it '
                "automatically."
            )
        ) from None
    if not (is_root_path(url) or _is_plain_http_url(url)):
        raise ValueError(
            gettext(
                "sandbox_public_url must be an http(s) URL or a path starting with / (no query, "
                "no credentials, no '..'), e.g. "
                '%config InfraiMagics.sandbox_public_url = "/proxy/{port}" (JupyterLab with '
                'jupyter-server-proxy) or "https://lab.example.org/proxy/{port}"; "" finds it '
                "automatically."
            )
        )
    return template.rstrip("/")


def public_address(template: str, port: int, environ: Mapping[str, str]) -> PublicAddress:
    """Where the browser opens the pages of a sandbox listening on ``port`` (see above)."""
    if template:
        return PublicAddress(template.format(port=port).rstrip("/"), "setting")
    through_hub = f"{environ.get(HUB_PREFIX_VARIABLE, '').rstrip('/')}/proxy/{port}"
    if HUB_PREFIX_VARIABLE in environ and is_root_path(through_hub):
        return PublicAddress(through_hub, "jupyter proxy")
    colab = _colab_output()
    if colab is None:
        return PublicAddress(None, "loopback")
    url = _colab_proxy_url(colab, port)
    return PublicAddress(url, "colab") if url else PublicAddress(None, "colab unavailable")


def _is_plain_http_url(url: str) -> bool:
    """A clickable http(s) link (the one rule, ``is_safe_link``) with nothing after its path:
    every checkout link starts with it, so a query, fragment or ``..`` has no place."""
    if not is_safe_link(url):
        return False
    parts = urlsplit(url)
    return not (parts.query or parts.fragment or "/.." in parts.path)


def _colab_output() -> object | None:
    """``google.colab.output`` in a Colab kernel, else None."""
    try:
        from google.colab import output  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    return output  # type: ignore[no-any-return, unused-ignore]


def _colab_proxy_url(output: object, port: int) -> str | None:
    """The https origin Colab serves ``port`` at, or None when its front end does not say.

    Any failure (no front end attached, a timeout, an odd answer) means "not available":
    the sandbox still works from the kernel, and the card says where checkout opens.
    """
    script = f"google.colab.kernel.proxyPort({port})"
    try:
        answer = output.eval_js(script, timeout_sec=COLAB_TIMEOUT_SECONDS)  # type: ignore[attr-defined]
    except Exception:  # Colab raises its own errors (TimeoutException and others)
        return None
    url = str(answer or "").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme != "https" or not _is_plain_http_url(url) or parts.path:
        return None
    return url
