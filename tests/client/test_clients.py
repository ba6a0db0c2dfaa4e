"""``InfraiClient`` and ``AsyncInfraiClient``: one surface, context managers, one pool."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter._client import DEFAULT_TIMEOUT
from infrai_jupyter.results import AccountSummary, ActivateResult, Balance, KeyList, TopupRecord
from infrai_jupyter.sandbox import SandboxServer

from .conftest import (
    ConnectionCountingProxy,
    Recorder,
    async_recording_client,
    maybe_await,
    opened,
    recording_client,
)


def test_the_constructor_takes_the_seeds_keyword_arguments() -> None:
    client = InfraiClient(
        api_key="ifr_pk_proj_abcdefghijklmnop", base_url="http://x.test", timeout=7, max_retries=5
    )
    with client:
        assert client.base_url == "http://x.test"
        assert client.max_retries == 5
        assert client.timeout == httpx.Timeout(7)
        assert client.config.api_key == "ifr_pk_proj_abcdefghijklmnop"
    with pytest.raises(TypeError):
        InfraiClient("ifr_pk_proj_positional")  # type: ignore[call-arg]


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_with_options_keeps_the_key_its_source_and_the_injected_http_client(
    kind: str, sandbox: SandboxServer
) -> None:
    """A copy sends through the same injected transport: what a test or proxy set up holds."""
    recorder = Recorder()
    client = (
        recording_client(sandbox, recorder)
        if kind == "sync"
        else async_recording_client(sandbox, recorder)
    )
    await maybe_await(client.activate(write_credentials=False))
    limited = client.with_options(timeout=3, max_retries=0)
    assert type(limited) is type(client)
    assert limited.config == client.config and limited.config.key_source == "activation"
    assert (limited.timeout, limited.max_retries) == (httpx.Timeout(3), 0)
    assert (client.timeout, client.max_retries) == (DEFAULT_TIMEOUT, 2)
    balance = await maybe_await(limited.account.balance())
    assert balance.balance_usd == Decimal("2.00")
    assert [request.url.path for request in recorder.requests] == [
        "/v1/activate",
        "/v1/account/balance",
    ]
    assert recorder.requests[-1].extensions["timeout"] == httpx.Timeout(3).as_dict()
    await maybe_await(limited.close())
    assert limited.is_closed and not client.is_closed
    assert (await maybe_await(client.account.balance())).balance_usd == Decimal("2.00")
    await maybe_await(client.close())
    assert client.is_closed


def test_a_copy_outlives_the_client_it_was_made_from(sandbox: SandboxServer) -> None:
    """The magics close a session's client when it is replaced; a form's copy keeps working."""
    original = InfraiClient(base_url=sandbox.url)
    original.activate(write_credentials=False)
    copy = original.with_options()
    original.close()
    with copy:
        assert copy.account.balance().balance_usd == Decimal("2.00")
    assert copy.is_closed


@pytest.mark.anyio
async def test_both_clients_do_the_whole_account_flow(kind: str, sandbox: SandboxServer) -> None:
    make = InfraiClient if kind == "sync" else AsyncInfraiClient
    async with opened(make(base_url=sandbox.url)) as client:
        activated = await maybe_await(client.activate(write_credentials=False))
        assert isinstance(activated, ActivateResult)
        assert client.config.key_source == "activation"
        balance = await maybe_await(client.account.balance())
        assert isinstance(balance, Balance) and balance.balance_usd == Decimal("2.00")
        topup = await maybe_await(client.account.topup(amount_usd="5"))
        assert isinstance(topup, TopupRecord) and topup.state == "requires_payment"
        retrieved = await maybe_await(client.account.topups.retrieve(topup.topup_id))
        assert retrieved.topup_id == topup.topup_id
        listed = await maybe_await(client.account.topups.list())
        assert [item.topup_id for item in listed.items] == [topup.topup_id]
        assert isinstance(await maybe_await(client.account.keys.list()), KeyList)
        summary = await maybe_await(client.account.tier.upgrade(target_tier="free"))
        assert isinstance(summary, AccountSummary) and summary.tier == "free"


@pytest.mark.anyio
async def test_gathered_async_calls_all_succeed(sandbox: SandboxServer) -> None:
    async with AsyncInfraiClient(base_url=sandbox.url) as client:
        await client.activate(write_credentials=False)
        balances = await asyncio.gather(*(client.account.balance() for _ in range(6)))
        topups = await asyncio.gather(
            *(client.account.topup(amount_usd=amount) for amount in ("1", "2", "3"))
        )
    assert [balance.balance_usd for balance in balances] == [Decimal("2.00")] * 6
    assert sorted(topup.amount_usd for topup in topups) == [Decimal(1), Decimal(2), Decimal(3)]
    assert len({topup.topup_id for topup in topups}) == 3


def test_sync_client_reuses_one_connection_and_closes_it(
    proxy: ConnectionCountingProxy,
) -> None:
    with InfraiClient(base_url=proxy.url) as client:
        client.activate(write_credentials=False)
        for _ in range(4):
            client.account.balance()
        client.account.keys.list()
        assert proxy.opened == 1
    assert proxy.wait_until_all_closed() == 0

    with InfraiClient(base_url=proxy.url, api_key=client.config.api_key) as other:
        other.account.balance()
    assert proxy.opened == 2  # a second client is a second pool


@pytest.mark.anyio
async def test_async_client_reuses_one_connection_and_closes_it(
    proxy: ConnectionCountingProxy,
) -> None:
    async with AsyncInfraiClient(base_url=proxy.url) as client:
        await client.activate(write_credentials=False)
        for _ in range(4):
            await client.account.balance()
        await client.account.keys.list()
        assert proxy.opened == 1
    assert proxy.wait_until_all_closed() == 0
