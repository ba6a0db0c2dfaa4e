"""Attacks through an activation's answer and its headers: what the client adopts, saves, logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter._base_client import TRANSPORT_LOGGERS
from infrai_jupyter.contract import HOSTED_BASE_URL, PROJECT_KEY_PREFIX
from infrai_jupyter.credentials import StoredCredentials, load_credentials, write_credentials
from infrai_jupyter.errors import AuthenticationError

from .conftest import assert_no_secret, envelope, error_envelope, maybe_await, opened
from .hostile import Connection, HostileServer, Script, response_head

Hostile = Callable[[Script], HostileServer]
NEW_KEY = PROJECT_KEY_PREFIX + "newnewnewnewnewnewnewnew" + "n3w1"
HOSTED_KEY = PROJECT_KEY_PREFIX + "hostedhostedhostedhosted" + "h0st"


def answering(body: bytes, status: int = 200, **headers: str) -> Script:
    def script(connection: Connection) -> None:
        while connection.read_request():
            head = response_head(
                status, content_type="application/json", content_length=len(body), **headers
            )
            connection.send(head + body)

    return script


def activation(**data: object) -> bytes:
    fields = {"account_id": "acct_1", "project_id": "proj_1", "primary_api_key": NEW_KEY}
    return json.dumps(envelope({**fields, "trial_credit_usd": 2, **data}, vendor="infrai")).encode()


def make(kind: str, server: HostileServer, **options: object) -> object:
    client_class = InfraiClient if kind == "sync" else AsyncInfraiClient
    return client_class(base_url=server.url, max_retries=0, **options)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_an_activation_elsewhere_never_replaces_the_saved_hosted_key(
    kind: str, hostile: Hostile, home: Path
) -> None:
    """The server says it is real (vendor "infrai"); only the hosted API's key replaces one."""
    hosted = StoredCredentials(api_key=HOSTED_KEY, base_url=HOSTED_BASE_URL)
    write_credentials(hosted)
    async with opened(make(kind, hostile(answering(activation())))) as client:
        await maybe_await(client.activate())
        assert client.config.api_key == NEW_KEY  # this session still uses what it activated
    assert load_credentials() == hosted


@pytest.mark.anyio
async def test_an_activation_elsewhere_is_saved_where_no_real_key_would_be_lost(
    kind: str, hostile: Hostile, home: Path
) -> None:
    server = hostile(answering(activation()))
    async with opened(make(kind, server)) as client:
        await maybe_await(client.activate())
    stored = load_credentials()
    assert stored is not None and (stored.api_key, stored.base_url) == (NEW_KEY, server.url)
    assert stored.sandbox  # so a later hosted activation may replace it, never the reverse


@pytest.mark.anyio
async def test_a_region_that_is_not_a_region_name_is_not_adopted(
    kind: str, hostile: Hostile
) -> None:
    body = activation(region=f"{NEW_KEY}\x1b[31m")
    async with opened(make(kind, hostile(answering(body)))) as client:
        await maybe_await(client.activate(write_credentials=False))
        assert client.config.region == "auto"
        assert_no_secret(repr(client.config) + repr(client), NEW_KEY)


@pytest.mark.anyio
async def test_a_key_echoed_in_a_response_header_stays_out_of_httpx_debug_logs(
    kind: str, hostile: Hostile, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(error_envelope("UNAUTHENTICATED", "No.")).encode()
    server = hostile(
        answering(body, 401, x_echo_key=NEW_KEY, www_authenticate=f'Bearer "{NEW_KEY}"')
    )
    caplog.set_level(logging.DEBUG)
    async with opened(make(kind, server, api_key=NEW_KEY)) as client:
        with pytest.raises(AuthenticationError):
            await maybe_await(client.account.balance())
    # httpcore 1.x logs every response header at DEBUG; older ones log less. Either way
    # each transport logger masks what it is given:
    for name in TRANSPORT_LOGGERS:
        logging.getLogger(name).debug("headers=%r", [(b"x-echo-key", NEW_KEY.encode())])
    assert len([r for r in caplog.records if "x-echo-key" in r.getMessage()]) >= 6
    for record in caplog.records:
        assert_no_secret(record.getMessage(), NEW_KEY)
