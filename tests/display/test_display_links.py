from __future__ import annotations

import pytest

from infrai_jupyter.display import is_safe_link


@pytest.mark.parametrize(
    "url",
    [
        "https://pay.example.com/checkout/cs_1?a=1&b=2#top",
        "http://127.0.0.1:8765/checkout",
        "HTTPS://EXAMPLE.COM",
        "http://[::1]:8000/",
    ],
)
def test_http_and_https_urls_with_a_host_are_safe(url: str) -> None:
    assert is_safe_link(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://example.com/file",
        " https://example.com",
        "\thttps://example.com",
        "https://example.com ",
        "https://exa mple.com",
        "https://example.com/\u202egpj.exe",
        "https:\\\\evil.example",
        "https://good.example\\@evil.example",
        "https://good.example@evil.example",
        "//evil.example/path",
        "/relative/path",
        "evil.example",
        "http://",
        "http:///path",
        "http://[not-ipv6",
        "http://example.com:99999/",
        "",
    ],
)
def test_everything_else_is_unsafe(url: str) -> None:
    assert not is_safe_link(url)
