"""Cost-incurring and creating calls carry one ``Idempotency-Key``, reused on every retry."""

from __future__ import annotations

import re

import httpx
import pytest

from infrai_jupyter import InfraiClient
from infrai_jupyter.errors import InvalidArgumentError
from infrai_jupyter.sandbox import SandboxServer

from .conftest import (
    Recorder,
    assert_no_secret,
    async_recording_client,
    lose_first_response,
    maybe_await,
    opened,
    recording_client,
    recording_for,
    replay,
    secret_key,
)


def test_every_charging_or_creating_call_carries_a_key_and_reads_do_not(
    sandbox: SandboxServer,
) -> None:
    recorder = Recorder()
    with recording_client(sandbox, recorder) as client:
        client.activate(write_credentials=False)
        topup = client.account.topup(amount_usd=5)
        client.account.tier.upgrade(target_tier="free")
        client.account.balance()
        client.account.keys.list()
        client.account.topups.list()
        client.account.topups.retrieve(topup.topup_id)
    keys = recorder.header("Idempotency-Key")
    assert keys[3:] == [None, None, None, None]
    assert all(key is not None and re.fullmatch(r"ik_[0-9a-f]{32}", key) for key in keys[:3])
    assert len(set(keys[:3])) == 3


def test_the_callers_key_is_sent_as_given(sandbox: SandboxServer) -> None:
    recorder = Recorder()
    with recording_client(sandbox, recorder) as client:
        client.activate(write_credentials=False, idempotency_key="activation-1")
        first = client.account.topup(amount_usd=5, idempotency_key="order-42")
        again = client.account.topup(amount_usd=5, idempotency_key="order-42")
        client.account.tier.upgrade(target_tier="free", idempotency_key="tier-1")
        listed = client.account.topups.list()
    assert recorder.header("Idempotency-Key")[:4] == [
        "activation-1",
        "order-42",
        "order-42",
        "tier-1",
    ]
    assert again.topup_id == first.topup_id and again.metadata.cache_hit
    assert len(listed.items) == 1


def test_two_calls_get_two_keys_and_two_topups(sandbox: SandboxServer) -> None:
    recorder = Recorder()
    with recording_client(sandbox, recorder) as client:
        client.activate(write_credentials=False)
        client.account.topup(amount_usd=5)
        client.account.topup(amount_usd=5)
        listed = client.account.topups.list()
    first, second = recorder.header("Idempotency-Key")[1:3]
    assert first != second
    assert len(listed.items) == 2


def test_a_lost_response_is_retried_with_the_same_key_and_tops_up_once(
    sandbox: SandboxServer, sleeps: list[float]
) -> None:
    recorder = Recorder()
    with recording_client(sandbox, Recorder()) as setup:
        setup.activate(write_credentials=False)
        key = setup.config.api_key
    with recording_client(sandbox, recorder, lose_first_response, api_key=key) as client:
        topup = client.account.topup(amount_usd=25)
    assert len(recorder.requests) == 2
    first, retry = recorder.header("Idempotency-Key")
    assert first is not None and first == retry
    assert recorder.bodies()[0] == recorder.bodies()[1]
    assert len(sleeps) == 1
    assert topup.metadata.cache_hit  # the server's stored answer to the first attempt

    with recording_client(sandbox, Recorder(), api_key=key) as observer:
        items = observer.account.topups.list().items
    assert [item.topup_id for item in items] == [topup.topup_id]


def test_the_callers_key_is_reused_on_every_retry(
    sandbox: SandboxServer, sleeps: list[float]
) -> None:
    def unavailable_twice(
        attempt: int, request: httpx.Request, response: httpx.Response
    ) -> httpx.Response:
        if attempt <= 2:
            return httpx.Response(503, text="<html>busy</html>", headers={"Retry-After": "0"})
        return replay(response)

    recorder = Recorder()
    with recording_client(sandbox, recorder, unavailable_twice) as client:
        activated = client.activate(write_credentials=False, idempotency_key="mine")
    assert recorder.header("Idempotency-Key") == ["mine", "mine", "mine"]
    assert sleeps == [0.0, 0.0]
    assert activated.trial_granted  # three deliveries, one account: the trial was not spent


@pytest.mark.anyio
async def test_async_lost_response_is_retried_with_the_same_key_and_tops_up_once(
    sandbox: SandboxServer, sleeps: list[float]
) -> None:
    recorder = Recorder()
    async with async_recording_client(sandbox, Recorder()) as setup:
        await setup.activate(write_credentials=False)
        key = setup.config.api_key
    async with async_recording_client(
        sandbox, recorder, lose_first_response, api_key=key
    ) as client:
        topup = await client.account.topup(amount_usd=25)
        items = (await client.account.topups.list()).items
    first, retry = recorder.header("Idempotency-Key")[:2]
    assert first is not None and first == retry
    assert len(sleeps) == 1
    assert [item.topup_id for item in items] == [topup.topup_id]


BAD_KEYS = ["é-order", "order\r\nX-Injected: yes", "", "two words", "x" * 256, "\x1b[31m"]


@pytest.mark.anyio
@pytest.mark.parametrize("key", BAD_KEYS, ids=range(len(BAD_KEYS)))
async def test_an_idempotency_key_no_header_can_carry_is_refused_before_sending(
    kind: str, key: str, sandbox: SandboxServer
) -> None:
    recorder = Recorder()
    async with opened(recording_for(kind, sandbox, recorder)) as client:
        with pytest.raises(InvalidArgumentError, match="printable ASCII") as raised:
            await maybe_await(client.activate(write_credentials=False, idempotency_key=key))
    assert isinstance(raised.value, ValueError)
    assert "\r" not in str(raised.value) and "\x1b" not in str(raised.value)
    assert recorder.requests == []


def test_a_project_key_is_refused_as_an_idempotency_key(client: InfraiClient) -> None:
    key = secret_key(client)
    with pytest.raises(InvalidArgumentError, match="not an idempotency key") as raised:
        client.account.topup(amount_usd=5, idempotency_key=key)
    assert_no_secret(str(raised.value), key)
