"""Nothing unchecked reaches an ``Authorization`` header: every way a key enters is checked.

The constructor's keys are checked by ``credentials.resolve_config``; these are the
others: ``use_key`` and the key a server hands out on activation.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter.contract import PROJECT_KEY_PREFIX
from infrai_jupyter.errors import InvalidKeyError, MalformedResponseError
from infrai_jupyter.sandbox import SandboxServer

from .conftest import Recorder, envelope, maybe_await, opened, recording_for
from .hostile import Connection, HostileServer, Script, response_head

Hostile = Callable[[Script], HostileServer]
GOOD = PROJECT_KEY_PREFIX + "goodgoodgoodgoodgood1234"
MALFORMED = [
    GOOD + "\r\nX-Injected: yes",
    GOOD + "\nX-Injected: yes",
    "Bearer " + GOOD,
    PROJECT_KEY_PREFIX + "…1234",
    GOOD[:-4] + "\x1b[31m",
    "ifr_pk_proj_short",
]


@pytest.mark.anyio
@pytest.mark.parametrize("key", MALFORMED, ids=range(len(MALFORMED)))
async def test_use_key_refuses_a_malformed_key_and_keeps_sending_nothing(
    kind: str, key: str, sandbox: SandboxServer
) -> None:
    recorder = Recorder()
    async with opened(recording_for(kind, sandbox, recorder)) as client:
        with pytest.raises(InvalidKeyError) as raised:
            client.use_key(key, "pasted")
        assert client.config.api_key is None and client.config.key_source == "none"
    message = str(raised.value)
    assert "goodgoodgood" not in message and "\r" not in message and "\x1b" not in message
    assert recorder.requests == []


def test_use_key_strips_the_whitespace_a_paste_brings() -> None:
    with InfraiClient(base_url="http://x.test") as client:
        client.use_key(f"  {GOOD}\n", "pasted")
        assert (client.config.api_key, client.config.key_source) == (GOOD, "pasted")
        client.use_key(None, "signed out")
        assert (client.config.api_key, client.config.key_source) == (None, "none")


@pytest.mark.anyio
async def test_a_malformed_key_from_an_activation_is_never_adopted(
    kind: str, hostile: Hostile
) -> None:
    data = {
        "account_id": "acc_1",
        "project_id": "proj_1",
        "primary_api_key": GOOD + "\r\nX-Injected: yes",
        "trial_credit_usd": 2,
    }
    body = json.dumps(envelope(data)).encode()

    def activation(connection: Connection) -> None:
        while connection.read_request():
            head = response_head(200, content_type="application/json", content_length=len(body))
            connection.send(head + body)

    make = InfraiClient if kind == "sync" else AsyncInfraiClient
    async with opened(make(base_url=hostile(activation).url, max_retries=0)) as client:
        with pytest.raises(MalformedResponseError, match=r"data\.primary_api_key") as raised:
            await maybe_await(client.activate(write_credentials=False))
        assert client.config.api_key is None
    assert "goodgoodgood" not in str(raised.value)


@pytest.mark.anyio
async def test_a_replayed_activation_that_withholds_the_key_is_not_adopted(
    kind: str, sandbox: SandboxServer
) -> None:
    """A short idempotency key proves nothing, so the sandbox's replay masks the key."""
    with InfraiClient(base_url=sandbox.url) as first:
        original = first.activate(write_credentials=False, idempotency_key="mine")
    make = InfraiClient if kind == "sync" else AsyncInfraiClient
    async with opened(make(base_url=sandbox.url)) as client:
        replay = await maybe_await(client.activate(write_credentials=True, idempotency_key="mine"))
        assert client.config.api_key is None and client.config.key_source == "none"
    assert replay.account_id == original.account_id
    assert replay.primary_api_key.masked == original.primary_api_key.masked
    assert replay.notice
