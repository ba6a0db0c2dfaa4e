"""The one rule deciding which URLs may become clickable links.

Every renderer asks ``is_safe_link`` before it emits an anchor, so a hostile or
broken URL (``javascript:``, ``data:``, relative, padded) is shown as text instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..contract.models import MAX_URL_LENGTH

UNSAFE_LINK_WARNING = "not an http(s) link, so not clickable"

_SAFE_SCHEMES = frozenset({"http", "https"})


def is_safe_link(url: str) -> bool:
    """Return True only for an absolute http(s) URL with a host and nothing odd in it.

    Whitespace, control characters and backslashes are refused outright because
    browsers silently strip or reinterpret them, so what the user reads would not
    be what the browser opens; so are credentials (``https://good@evil``) and URLs
    longer than the API accepts (no real checkout link is megabytes long).
    """
    if len(url) > MAX_URL_LENGTH:
        return False
    if any(char.isspace() or not char.isprintable() or char == "\\" for char in url):
        return False
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
