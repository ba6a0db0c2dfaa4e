"""A session trusted with money: a re-run activation never leaves a funded account behind."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient, _default, account, infra
from infrai_jupyter.credentials import list_accounts, load_credentials
from infrai_jupyter.errors import AccountExistsError, MissingKeyError
from infrai_jupyter.sandbox import SandboxServer
from infrai_jupyter.sandbox.teaching import pay_checkout

from .conftest import Recorder, recording_client


@pytest.fixture
def session(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, home: Path
) -> Iterator[SandboxServer]:
    """The module-level ``infra``/``account`` pointed at a sandbox, as a notebook has them."""
    monkeypatch.setenv("INFRAI_BASE_URL", sandbox.url)
    _default.reset()
    yield sandbox
    _default.reset()


def test_activate_add_funds_activate_again_keeps_the_funded_account(
    session: SandboxServer,
) -> None:
    first = infra.activate()
    pay_checkout(account.topup(amount_usd=30).checkout_url)
    with pytest.raises(AccountExistsError, match="new_account=True") as refused:
        infra.activate()
    assert refused.value.masked_key == first.primary_api_key.masked
    assert refused.value.account_id == first.account_id in str(refused.value)
    assert account.balance().balance_usd == Decimal("32")  # still the funded account
    assert [entry.credentials.account_id for entry in list_accounts()] == [first.account_id]


def test_new_account_makes_another_on_purpose_and_keeps_the_first_on_disk(
    session: SandboxServer,
) -> None:
    first = account.activate()  # the seed's page files activation under ``account``
    second = infra.activate(new_account=True)
    kept = [(entry.credentials.account_id, entry.active) for entry in list_accounts()]
    assert kept == [(first.account_id, False), (second.account_id, True)]
    assert account.switch(first.account_id).account_id == first.account_id
    assert account.balance().balance_usd == first.trial_credit_usd
    assert _default.default_client().config.api_key == first.primary_api_key.get_secret_value()


def test_a_key_saved_by_another_kernel_also_stops_a_second_activation(
    sandbox: SandboxServer,
) -> None:
    with InfraiClient(base_url=sandbox.url) as other_kernel:
        other_kernel.activate()
    recorder = Recorder()
    with recording_client(sandbox, recorder) as client:
        client.use_key(None, "none")
        with pytest.raises(AccountExistsError):
            client.activate()
    assert recorder.requests == []


def test_a_refusal_says_whether_the_key_in_use_would_survive_being_replaced(
    sandbox: SandboxServer, home: Path
) -> None:
    with InfraiClient(base_url=sandbox.url) as client:
        client.activate(write_credentials=False)
        with pytest.raises(
            AccountExistsError, match=r"not kept in ~/\.infrai/credentials"
        ) as unkept:
            client.activate()
        assert unkept.value.kept is False
        assert "every key stays kept" not in str(unkept.value)
        client.activate(new_account=True)  # this one is saved
        with pytest.raises(AccountExistsError, match="every key stays kept") as kept:
            client.activate()
        assert kept.value.kept is True


def test_forgetting_the_account_in_use_leaves_the_session_without_a_key(
    session: SandboxServer,
) -> None:
    act = infra.activate()
    assert account.forget(act.account_id).account_id == act.account_id
    assert load_credentials() is None
    with pytest.raises(MissingKeyError, match="%infrai_login"):
        account.balance()


def test_tier_upgrade_takes_the_tier_positionally_as_the_typescript_signature_reads(
    session: SandboxServer,
) -> None:
    infra.activate()
    pay_checkout(account.topup(amount_usd=50).checkout_url)
    assert account.tier.upgrade("pro").get("tier") == "pro"
    assert account.tier.upgrade(target_tier="pro").get("tier") == "pro"


async def _activate_twice(url: str) -> None:
    async with AsyncInfraiClient(base_url=url) as client:
        await client.activate()
        with pytest.raises(AccountExistsError):
            await client.activate()
        second = await client.activate(new_account=True)
        assert client.config.api_key == second.primary_api_key.get_secret_value()


def test_the_async_client_refuses_a_second_account_the_same_way(
    sandbox: SandboxServer, home: Path
) -> None:
    asyncio.run(_activate_twice(sandbox.url))
    assert len(list_accounts()) == 2
