"""A key is checked before it travels; a setting that cannot work fails when it is made.

A pasted key with a trailing newline is forgiven. A key with a control character or a
space inside, or a pasted *masked* key, is refused before any byte goes out (the
hostile server counts zero connections), with a message that shows it masked only.
An environment key about to go to an unknown remote host is warned about; a malformed
base URL is a ``ConfigurationError`` at construction, not an httpx exception later.
"""

from __future__ import annotations

import logging
import warnings

import pytest

from infrai_jupyter import InfraiClient
from infrai_jupyter.errors import ConfigurationError, CredentialsError, InvalidKeyError

from .conftest import (
    HostileFactory,
    SeenRequest,
    assert_no_canary,
    exception_surfaces,
    json_reply,
    log_texts,
    masked,
    ok_envelope,
    warning_texts,
)

#: An address that must never be contacted: these tests only construct clients for it.
UNREACHED_REMOTE_URL = "http://10.255.255.1:9"


def balance_server(hostile: HostileFactory):  # type: ignore[no-untyped-def]
    return hostile(lambda request: json_reply(200, ok_envelope({"balance_usd": 1.5})))


def bearer(request: SeenRequest) -> str:
    return request.headers["authorization"].removeprefix("Bearer ")


@pytest.mark.parametrize("tail", ["\n", " ", "\r\n", "\t \n"])
@pytest.mark.parametrize("source", ["argument", "environment"])
def test_a_key_with_trailing_whitespace_is_stripped_and_works(
    hostile: HostileFactory,
    canary: str,
    monkeypatch: pytest.MonkeyPatch,
    tail: str,
    source: str,
) -> None:
    server = balance_server(hostile)
    if source == "environment":
        monkeypatch.setenv("INFRAI_API_KEY", canary + tail)
        client = InfraiClient(base_url=server.url, max_retries=0)
    else:
        client = InfraiClient(api_key=canary + tail, base_url=server.url, max_retries=0)
    with client:
        assert client.account.balance().balance_usd == 1.5
    assert [bearer(request) for request in server.requests] == [canary]


def _inner(canary: str, char: str) -> str:
    return canary[:24] + char + canary[24:]


BROKEN_KEYS = {
    "newline inside": lambda key: _inner(key, "\n"),
    "carriage return inside": lambda key: _inner(key, "\r"),
    "space inside": lambda key: _inner(key, " "),
    "tab inside": lambda key: _inner(key, "\t"),
    "NUL inside": lambda key: _inner(key, "\x00"),
    "escape inside": lambda key: _inner(key, "\x1b[31m"),
    "no-break space inside": lambda key: _inner(key, "\u00a0"),
    "header injection": lambda key: key + "\r\nX-Injected: 1",
    "pasted masked key": lambda key: masked(key),
}


#: Every shape from both sources, except a NUL in the environment (the OS refuses it).
SHAPES_AND_SOURCES = [
    (shape, source)
    for shape in sorted(BROKEN_KEYS)
    for source in ("argument", "environment")
    if not (shape == "NUL inside" and source == "environment")
]


@pytest.mark.parametrize(("shape", "source"), SHAPES_AND_SOURCES)
def test_a_malformed_key_is_refused_before_any_request(
    hostile: HostileFactory,
    canary: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    shape: str,
    source: str,
) -> None:
    server = balance_server(hostile)
    broken = BROKEN_KEYS[shape](canary)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InvalidKeyError) as raised:  # either step may refuse
        if source == "environment":
            monkeypatch.setenv("INFRAI_API_KEY", broken)
            client = InfraiClient(base_url=server.url, max_retries=0)
        else:
            client = InfraiClient(api_key=broken, base_url=server.url, max_retries=0)
        with client:
            client.account.balance()
    error = raised.value
    assert isinstance(error, CredentialsError) and isinstance(error, ValueError)
    assert server.connections == 0, "the malformed key went out to the server"
    assert_no_canary(exception_surfaces(error), canary, where=f"the refusal ({shape})")
    assert_no_canary(log_texts(caplog.records), canary, where="logs")
    assert canary[-4:] in str(error) or "…" in str(error)  # shown masked, recognisably


@pytest.mark.parametrize("base_url", ["argument", "environment"])
def test_an_environment_key_bound_for_an_unknown_remote_host_is_warned_about(
    canary: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    base_url: str,
) -> None:
    # Only constructed, never called: no packet goes to the non-loopback address.
    monkeypatch.setenv("INFRAI_API_KEY", canary)
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if base_url == "environment":
            monkeypatch.setenv("INFRAI_BASE_URL", UNREACHED_REMOTE_URL)
            client = InfraiClient(max_retries=0)
        else:
            client = InfraiClient(base_url=UNREACHED_REMOTE_URL, max_retries=0)
        client.close()
    warned = warning_texts(caught) + log_texts(
        record for record in caplog.records if record.levelno >= logging.WARNING
    )
    assert warned, "no warning that INFRAI_API_KEY is about to go to 10.255.255.1"
    assert any("10.255.255.1" in text for text in warned), warned
    assert_no_canary(warned + log_texts(caplog.records), canary, where="the warning")


@pytest.mark.parametrize("base_url", [None, "http://127.0.0.1:9", "http://localhost:9"])
def test_an_environment_key_for_the_hosted_api_or_loopback_is_not_warned_about(
    canary: str, monkeypatch: pytest.MonkeyPatch, base_url: str | None
) -> None:
    monkeypatch.setenv("INFRAI_API_KEY", canary)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        InfraiClient(base_url=base_url, max_retries=0).close()
    assert warning_texts(caught) == []


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:port/", "http://[not-an-ip]/"])
@pytest.mark.parametrize("source", ["argument", "environment"])
def test_a_malformed_base_url_is_a_configuration_error_when_the_client_is_made(
    monkeypatch: pytest.MonkeyPatch, canary: str, url: str, source: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        if source == "environment":
            monkeypatch.setenv("INFRAI_BASE_URL", url)
            InfraiClient(api_key=canary)
        else:
            InfraiClient(api_key=canary, base_url=url)
    assert isinstance(raised.value, ValueError)
    assert "base" in str(raised.value).lower() or "url" in str(raised.value).lower()
    assert_no_canary(exception_surfaces(raised.value), canary)
