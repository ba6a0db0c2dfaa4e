"""The one rule deciding which URLs may become clickable links.

Every renderer asks ``is_safe_link`` before it emits an anchor, so a hostile or
broken URL (``javascript:``, ``data:``, relative, padded) is shown as text instead.

A root-relative link (``/user/alice/proxy/8765/checkout/…``) opens on the notebook's
own origin, where ``/hub/logout`` or ``/api/…`` also live, so it is clickable only
under a path the session vouches for: the embedded sandbox's public path behind a
Jupyter server's proxy, registered with ``trust_link_path`` while that sandbox runs.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .._i18n import N_
from ..contract.models import MAX_URL_LENGTH

UNSAFE_LINK_WARNING = N_("not an http(s) link, so not clickable")
"""Marked only: the renderers translate it where they show it (``gettext``)."""

_SAFE_SCHEMES = frozenset({"http", "https"})

# A path segment: no dot first (so no ``.`` or ``..``); escapes allowed (hub user names
# are escaped), except an escaped dot, which browsers resolve like a dot.
_FIRST_CHARACTER = r"(?:[A-Za-z0-9_~@:!$&'()*+,;=-]|%[0-9A-Fa-f]{2})"
_CHARACTER = r"(?:[A-Za-z0-9._~@:!$&'()*+,;=-]|%[0-9A-Fa-f]{2})"
_SEGMENT = f"{_FIRST_CHARACTER}{_CHARACTER}*"
_ROOT_PATH = re.compile(rf"(?:/{_SEGMENT})+")

# What a server may add under a trusted path: plain segments (no dot first, no escapes),
# then an optional query.
_TAIL = re.compile(r"(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/?(?:\?[A-Za-z0-9._~=&%+-]*)?")

_trusted_paths: set[str] = set()


def is_root_path(url: str) -> bool:
    """Whether ``url`` is a plain path on the page's own origin (``/user/alice/proxy/8765``),
    with no dot segment, escaped or not."""
    return _ROOT_PATH.fullmatch(url) is not None and "%2e" not in url.lower()


def trust_link_path(path: str) -> None:
    """Make root-relative links under ``path`` (``/user/alice/proxy/8765``) clickable."""
    if not is_root_path(path.rstrip("/")):
        raise ValueError(f"not a path below the root: {path!r}")
    _trusted_paths.add(path.rstrip("/"))


def forget_link_path(path: str) -> None:
    """Stop trusting ``path`` (its sandbox stopped); unknown paths are ignored."""
    _trusted_paths.discard(path.rstrip("/"))


def is_safe_link(url: str) -> bool:
    """Return True only for an absolute http(s) URL with a host and nothing odd in it,
    or a root-relative one under a trusted path (see ``trust_link_path``).

    Whitespace, control characters and backslashes are refused outright because
    browsers silently strip or reinterpret them, so what the user reads would not
    be what the browser opens; so are credentials (``https://good@evil``) and URLs
    longer than the API accepts (no real checkout link is megabytes long).
    """
    if len(url) > MAX_URL_LENGTH:
        return False
    if any(char.isspace() or not char.isprintable() or char == "\\" for char in url):
        return False
    if url.startswith("/") and not url.startswith("//"):
        return _under_trusted_path(url)
    try:
        parts = urlsplit(url)
        return (
            parts.scheme in _SAFE_SCHEMES
            and bool(parts.hostname)
            and parts.username is None
            and (parts.port is None or parts.port > 0)  # .port raises on a malformed port
        )
    except ValueError:  # malformed IPv6 host or port
        return False


def _under_trusted_path(url: str) -> bool:
    return any(
        url.startswith(path) and _TAIL.fullmatch(url[len(path) :]) is not None
        for path in _trusted_paths
    )
