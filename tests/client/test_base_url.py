"""A base URL no request could use is refused when the client is made, saying which and why."""

from __future__ import annotations

import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter.errors import ConfigurationError

BAD = {
    "http://[::1": "'http://[::1'",  # httpx versions differ on why; the URL is named
    "ftp://files.example.com": "not an http:// or https:// URL",
    "api.infrai.cc": "not an http:// or https:// URL",
    "http://": "no valid host",
    "http:///v1": "no valid host",
    "http://exa mple.com": "no valid host",
    "http://example.com:99999": "outside 1-65535",
    "https://user:hunter2@api.infrai.cc": "user name or password",
    "https://api.infrai.cc/?region=eu": "query or fragment",
    "http://example\r\n.com": "example",  # unreadable, or without a host, by httpx version
}


@pytest.mark.parametrize("client_class", [InfraiClient, AsyncInfraiClient])
@pytest.mark.parametrize("url", sorted(BAD))
def test_a_malformed_base_url_is_a_configuration_error_at_construction(
    url: str, client_class: type[InfraiClient] | type[AsyncInfraiClient]
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        client_class(base_url=url)
    message = str(raised.value)
    assert BAD[url] in message and "base_url=" in message
    assert isinstance(raised.value, ValueError)
    assert "hunter2" not in message
    assert "\r" not in message


def test_a_malformed_base_url_from_the_environment_is_refused_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INFRAI_BASE_URL", "ftp://files.example.com")
    with pytest.raises(ConfigurationError, match="INFRAI_BASE_URL"):
        InfraiClient()


@pytest.mark.parametrize(
    "url", ["https://api.infrai.cc", "http://127.0.0.1:8765/", "http://[::1]:8080", "http://é.test"]
)
def test_usable_base_urls_are_accepted(url: str) -> None:
    with InfraiClient(base_url=url) as client:
        assert client.base_url == url
