"""An environment key sent to a server that is neither hosted nor local is noticed, once."""

from __future__ import annotations

import logging

import pytest

from infrai_jupyter import InfraiClient
from infrai_jupyter.contract import mask_key
from infrai_jupyter.credentials import StoredCredentials, resolve_config, write_credentials

from .conftest import assert_masked, canary


def notices(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "infrai_jupyter" and record.levelno == logging.WARNING
    ]


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


@pytest.mark.parametrize(
    "base_url",
    [
        "https://proxy.example.com",
        "http://api.infrai.cc",
        "https://api.infrai.cc:8443",
        "http://10.0.0.5:8000",
    ],
)
def test_an_environment_key_going_elsewhere_is_noticed_once_masked(
    base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = canary("".join(character for character in base_url if character.isalnum()))
    environ = {"INFRAI_API_KEY": key, "INFRAI_BASE_URL": base_url}
    for _ in range(3):
        assert resolve_config(environ=environ).base_url == base_url
    [notice] = notices(caplog)
    assert mask_key(key) in notice and "INFRAI_API_KEY" in notice and "INFRAI_BASE_URL" in notice
    assert base_url.lower() in notice
    assert_masked(caplog.text, key)


def test_each_new_server_is_noticed_again(caplog: pytest.LogCaptureFixture) -> None:
    key = canary("twoservers")
    for base_url in ("https://one.example", "https://two.example", "https://one.example/v2"):
        resolve_config(environ={"INFRAI_API_KEY": key, "INFRAI_BASE_URL": base_url})
    assert len(notices(caplog)) == 2


def test_a_base_url_argument_with_an_environment_key_is_noticed(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = canary("clientarg")
    monkeypatch.setenv("INFRAI_API_KEY", key)
    with InfraiClient(base_url="https://third.example"):
        pass
    [notice] = notices(caplog)
    assert "https://third.example" in notice
    assert_masked(caplog.text, key)


@pytest.mark.parametrize(
    "base_url",
    [
        None,
        "https://api.infrai.cc",
        "https://API.infrai.cc:443/",
        "http://127.0.0.1:8765",
        "http://127.8.9.10",
        "http://localhost:9000",
        "http://[::1]:9000",
    ],
)
def test_the_hosted_api_and_this_machine_are_not_noticed(
    base_url: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    environ = {"INFRAI_API_KEY": canary("quiet")}
    if base_url:
        environ["INFRAI_BASE_URL"] = base_url
    resolve_config(environ=environ)
    assert notices(caplog) == []


def test_keys_given_on_purpose_or_pinned_to_their_server_are_not_noticed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    resolve_config(canary("argument"), "https://proxy.example.com", environ={})
    write_credentials(StoredCredentials(api_key=canary("stored"), base_url="https://own.example"))
    assert resolve_config(environ={}).base_url == "https://own.example"
    assert notices(caplog) == []
