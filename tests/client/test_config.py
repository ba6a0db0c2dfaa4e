"""Where the key and base URL come from: argument > environment > credentials > hosted."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient, _default
from infrai_jupyter.contract import HOSTED_BASE_URL
from infrai_jupyter.credentials import (
    StoredCredentials,
    credentials_path,
    resolve_config,
    write_credentials,
)
from infrai_jupyter.errors import MissingKeyError
from infrai_jupyter.sandbox import SandboxServer

from .conftest import Recorder, recording_client

ARGUMENT_KEY = "ifr_pk_proj_argumentargumentarg1"
ENV_KEY = "ifr_pk_proj_environmentenvironme2"
STORED_KEY = "ifr_pk_proj_storedstoredstoredst3"
STORED_URL = "http://stored.test"


@pytest.fixture
def stored(home: Path) -> Path:
    return write_credentials(StoredCredentials(api_key=STORED_KEY, base_url=STORED_URL))


def test_credentials_live_in_the_users_home(home: Path) -> None:
    assert credentials_path() == home / ".infrai" / "credentials"


def test_an_explicit_argument_beats_everything(stored: Path) -> None:
    environ = {"INFRAI_API_KEY": ENV_KEY, "INFRAI_BASE_URL": "http://env.test"}
    config = resolve_config(ARGUMENT_KEY, "http://arg.test", environ=environ)
    assert (config.api_key, config.key_source, config.base_url) == (
        ARGUMENT_KEY,
        "argument",
        "http://arg.test",
    )


def test_an_argument_key_uses_the_environments_base_url(stored: Path) -> None:
    config = resolve_config(ARGUMENT_KEY, environ={"INFRAI_BASE_URL": "http://env.test"})
    assert (config.key_source, config.base_url) == ("argument", "http://env.test")


def test_the_environment_beats_the_credentials_file(stored: Path) -> None:
    environ = {"INFRAI_API_KEY": ENV_KEY, "INFRAI_BASE_URL": "http://env.test"}
    config = resolve_config(environ=environ)
    assert (config.api_key, config.key_source, config.base_url) == (
        ENV_KEY,
        "INFRAI_API_KEY",
        "http://env.test",
    )


def test_an_environment_key_is_never_sent_to_the_stored_host(stored: Path) -> None:
    config = resolve_config(environ={"INFRAI_API_KEY": ENV_KEY})
    assert (config.api_key, config.base_url) == (ENV_KEY, HOSTED_BASE_URL)


def test_the_credentials_file_comes_next(stored: Path) -> None:
    config = resolve_config(environ={})
    assert (config.api_key, config.key_source, config.base_url) == (
        STORED_KEY,
        str(stored),
        STORED_URL,
    )
    assert resolve_config(environ={"INFRAI_BASE_URL": STORED_URL + "/"}).api_key == STORED_KEY


def test_without_anything_the_hosted_api_and_no_key() -> None:
    config = resolve_config(environ={})
    assert (config.api_key, config.key_source, config.base_url) == (None, "none", HOSTED_BASE_URL)


def test_a_stored_key_is_not_used_for_another_base_url(stored: Path) -> None:
    config = resolve_config(environ={"INFRAI_BASE_URL": "http://elsewhere.test"})
    assert (config.api_key, config.key_source, config.base_url) == (
        None,
        "none",
        "http://elsewhere.test",
    )
    assert resolve_config(base_url="http://elsewhere.test", environ={}).api_key is None


def test_the_clients_report_their_key_source_from_the_real_environment(
    stored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for client_class in (InfraiClient, AsyncInfraiClient):
        assert client_class().config.key_source == str(stored)
        assert client_class().base_url == STORED_URL
        monkeypatch.setenv("INFRAI_API_KEY", ENV_KEY)
        assert client_class().config.key_source == "INFRAI_API_KEY"
        assert client_class().base_url == HOSTED_BASE_URL
        monkeypatch.setenv("INFRAI_BASE_URL", "http://env.test")
        assert client_class().base_url == "http://env.test"
        explicit = client_class(api_key=ARGUMENT_KEY, base_url="http://arg.test")
        assert (explicit.config.key_source, explicit.base_url) == ("argument", "http://arg.test")
        monkeypatch.delenv("INFRAI_API_KEY")
        monkeypatch.delenv("INFRAI_BASE_URL")


def test_a_stored_key_never_goes_over_the_wire_to_another_server(
    stored: Path, sandbox: SandboxServer
) -> None:
    recorder = Recorder()
    with recording_client(sandbox, recorder, max_retries=0) as client:
        assert client.config.api_key is None
        with pytest.raises(MissingKeyError):
            client.account.balance()
    assert recorder.requests == []  # refused before sending: no key, nothing sent


def test_the_default_client_follows_environment_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """``%env INFRAI_BASE_URL=...`` after a first call takes effect at the next call."""
    monkeypatch.setenv("INFRAI_BASE_URL", "http://first.test")
    assert _default.default_client().base_url == "http://first.test"
    monkeypatch.setenv("INFRAI_BASE_URL", "http://second.test")
    monkeypatch.setenv("INFRAI_API_KEY", "ifr_pk_proj_fromtheenvironment1")
    client = _default.default_client()
    assert (client.base_url, client.config.key_source) == ("http://second.test", "INFRAI_API_KEY")


def test_a_configured_default_client_ignores_later_environment_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configured = _default.configure(base_url="http://sandbox.test")
    monkeypatch.setenv("INFRAI_BASE_URL", "http://elsewhere.test")
    assert _default.default_client() is configured
