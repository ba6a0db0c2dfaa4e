"""The networks people really have: a proxy and a private CA, handed to httpx.

``%config InfraiMagics.proxy = "http://proxy:3128"`` and
``%config InfraiMagics.verify = "/path/ca.pem"`` (or ``configure_network`` in Python)
make every client the session creates send through that proxy and trust that CA.
Without them httpx's own environment handling applies (``HTTPS_PROXY``,
``SSL_CERT_FILE``, ...).
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass

import httpx

from .errors import ConfigurationError


@dataclass(frozen=True)
class Network:
    """A proxy URL (or none) and what to trust: ``True`` (the default CAs), ``False``
    (nothing checked: only for a test server), or a CA file or directory."""

    proxy: str | None = None
    verify: bool | str = True

    @property
    def is_default(self) -> bool:
        return self.proxy is None and self.verify is True

    def http_client(self) -> httpx.Client | None:
        """An httpx client with these settings, or ``None`` to let the client make its own."""
        if self.is_default:
            return None
        return httpx.Client(proxy=self.proxy, verify=_trust(self.verify))


def checked_network(proxy: str | None, verify: bool | str) -> Network:
    """The settings once they can work: a proxy URL httpx reads, a CA path that exists."""
    if proxy:
        try:
            url = httpx.URL(proxy)
        except (httpx.InvalidURL, ValueError):
            url = None
        if url is None or url.scheme not in ("http", "https", "socks5") or not url.host:
            raise ConfigurationError(
                "The proxy must be a URL such as http://proxy.example.org:3128, not "
                f"{proxy[:80]!r}."
            )
    if isinstance(verify, str) and not os.path.exists(verify):
        raise ConfigurationError(
            f"No CA file or directory at {verify!r}: give the path of your organisation's "
            "CA bundle (a .pem file), or True for the usual ones."
        )
    return Network(proxy or None, verify)


def _trust(verify: bool | str) -> bool | ssl.SSLContext:
    if isinstance(verify, bool):
        return verify
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)
