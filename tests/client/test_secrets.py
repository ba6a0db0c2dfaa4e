"""The full project key never shows: not in results, errors, logs or the client."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from IPython.lib.pretty import pretty

from infrai_jupyter import InfraiClient
from infrai_jupyter.contract import ApiKey, mask_key
from infrai_jupyter.credentials import StoredCredentials, resolve_config
from infrai_jupyter.errors import AuthenticationError, InfraiError
from infrai_jupyter.results import Result
from infrai_jupyter.sandbox import SandboxServer

from .conftest import assert_no_secret, error_envelope, mock_client, secret_key


def every_rendering(result: Result) -> list[str]:
    return [
        repr(result),
        str(result),
        result._repr_html_(),
        result._repr_markdown_(),
        pretty(result),
        json.dumps(result._repr_mimebundle_()),
        repr(result.to_dict()),
        repr(result.model_dump()),
        result.model_dump_json(),
    ]


def test_no_rendering_of_any_result_shows_the_key(
    sandbox: SandboxServer, caplog: pytest.LogCaptureFixture, home: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    with InfraiClient(base_url=sandbox.url) as client:
        activation = client.activate()  # also writes, and logs, the credentials
        key = secret_key(client)
        results: list[Result] = [
            activation,
            client.account.balance(),
            client.account.topup(amount_usd=5),
            client.account.topups.list(),
            client.account.keys.list(),
            client.account.tier.upgrade(target_tier="free"),
        ]
        for result in results:
            for text in every_rendering(result):
                assert_no_secret(text, key)
        masked = f"ifr_pk_proj_…{key[-4:]}"
        assert masked in repr(activation) and masked in activation._repr_html_()
        assert_no_secret(repr(client), key)
        assert masked in repr(client)
    assert caplog.records  # the save was logged ...
    for record in caplog.records:
        assert_no_secret(record.getMessage(), key)  # ... masked


def test_the_secret_is_available_on_purpose(client: InfraiClient) -> None:
    activation = client.activate(write_credentials=False, new_account=True)
    secret = activation.primary_api_key.get_secret_value()
    assert secret.startswith("ifr_pk_proj_") and len(secret) > 30
    assert activation["primary_api_key"].get_secret_value() == secret
    assert str(activation.primary_api_key) == mask_key(secret) == f"ifr_pk_proj_…{secret[-4:]}"
    assert f"{activation.primary_api_key}" == mask_key(secret)
    assert repr(activation.primary_api_key) == f"ApiKey('{mask_key(secret)}')"
    assert ApiKey(secret) == activation.primary_api_key


def test_configuration_objects_mask_the_key() -> None:
    key = "ifr_pk_proj_abcdefghijklmnopqrstuvwxyz"
    stored = StoredCredentials(api_key=key, base_url="http://x.test")
    assert_no_secret(repr(stored), key)
    assert_no_secret(repr(resolve_config(key, environ={})), key)
    assert "ifr_pk_proj_…wxyz" in repr(stored)


def test_a_key_echoed_by_the_server_is_masked_in_the_error() -> None:
    key = "ifr_pk_proj_echoedechoedechoedechoed"

    def handler(request: httpx.Request) -> httpx.Response:
        message = f"Key {key} was revoked."
        return httpx.Response(401, json=error_envelope("UNAUTHENTICATED", message))

    client = mock_client(handler, api_key=key)
    with client, pytest.raises(AuthenticationError) as raised:
        client.account.balance()
    for text in (str(raised.value), repr(raised.value), raised.value.message):
        assert_no_secret(text, key)
    assert "ifr_pk_proj_…hoed" in str(raised.value)


def test_no_error_from_a_real_failure_shows_the_key(client: InfraiClient) -> None:
    key = secret_key(client)
    failures: list[InfraiError] = []
    for call in (
        lambda: client.account.tier.upgrade(target_tier="pro"),
        lambda: client.account.topup(amount_usd=-5),
    ):
        with pytest.raises(InfraiError) as raised:
            call()
        failures.append(raised.value)
    for error in failures:
        assert_no_secret(str(error), key)
        assert_no_secret(repr(error), key)


def test_retry_logs_never_show_a_key(sleeps: list[float], caplog: pytest.LogCaptureFixture) -> None:
    key = "ifr_pk_proj_pastedpastedpastedpasted"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json=error_envelope("DOWN", "Down."))

    caplog.set_level(logging.DEBUG, logger="infrai_jupyter")
    with mock_client(handler, api_key=key) as client, pytest.raises(InfraiError):
        client.account.topups.retrieve("tu_1")
    assert len(caplog.records) == 3  # retry, retry, give up
    for record in caplog.records:
        assert_no_secret(record.getMessage(), key)


def test_a_key_pasted_as_an_id_never_goes_into_a_url(
    client: InfraiClient, caplog: pytest.LogCaptureFixture
) -> None:
    # httpx logs every request's URL at INFO, and servers and proxies log paths too.
    key = secret_key(client)
    caplog.set_level(logging.DEBUG)
    for pasted in (key, f"{key}/", f"tu_{key}"):
        with pytest.raises(ValueError, match="is a project key, not an id") as raised:
            client.account.topups.retrieve(pasted)
        assert_no_secret(str(raised.value), key)
    assert [record for record in caplog.records if record.name.startswith("httpx")] == []
    for record in caplog.records:
        assert_no_secret(record.getMessage(), key)
