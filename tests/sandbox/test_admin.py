"""The teacher's console (``admin``) against a live sandbox: what students then see."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import httpx
import pytest

from infrai_jupyter.contract import AmountError, ErrorCode
from infrai_jupyter.sandbox import admin
from infrai_jupyter.sandbox.store import Store

from .conftest import (
    Account,
    SandboxFactory,
    activate,
    balance,
    create_topup,
    data_of,
    error_of,
    forms_of,
    opened_store,
    pay,
)


def test_the_class_list_shows_each_account_its_tier_and_exact_balance(
    client: httpx.Client, store: Store
) -> None:
    first, second = activate(client), activate(client)
    pay(client, create_topup(client, second, 0.1))
    rows = admin.list_accounts(store)
    assert [(row.account_id, row.tier, row.balance_usd) for row in rows] == [
        (first.account_id, "free", Decimal("2.00")),
        (second.account_id, "free", Decimal("2.10")),
    ]


def test_a_grant_credits_exactly_and_is_refused_when_inexact_or_unknown(
    client: httpx.Client, account: Account, store: Store
) -> None:
    row = admin.grant(store, account.account_id, "10.01")
    assert row.balance_usd == Decimal("12.01") == balance(client, account)
    with pytest.raises(AmountError, match="2 decimals"):
        admin.grant(store, account.account_id, "1.001")
    with pytest.raises(admin.UnknownAccountError):
        admin.grant(store, "acct_nobody", "5")
    assert balance(client, account) == Decimal("12.01")


def test_the_ledger_export_is_csv_whose_entries_add_up_to_the_balances(
    client: httpx.Client, account: Account, store: Store
) -> None:
    pay(client, create_topup(client, account, 25))
    admin.grant(store, account.account_id, "1.50")
    out = io.StringIO()
    assert admin.export_ledger(store, out) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [row["reason"] for row in rows] == ["trial", "topup", "admin_grant"]
    assert list(rows[0]) == list(admin.LEDGER_COLUMNS)
    assert sum(Decimal(row["amount_usd"]) for row in rows) == balance(client, account)


def test_a_reset_empties_the_class_and_old_keys_stop_working(
    client: httpx.Client, store: Store
) -> None:
    fingerprint = "c" * 32
    old = activate(client, fingerprint)
    topup_id = create_topup(client, old, 5)
    admin.reset(store)
    assert admin.list_accounts(store) == []
    error_of(client.get("/v1/account/balance", headers=old.headers), 401, ErrorCode.UNAUTHENTICATED)
    assert client.get(f"/checkout/{topup_id}").status_code == 404
    assert activate(client, fingerprint).activation["trial_granted"] is True  # a new class


def test_failing_the_next_calls_fails_exactly_that_many_across_servers(
    sandbox_factory: SandboxFactory,
) -> None:
    one, two = sandbox_factory(), sandbox_factory()  # two processes' worth on one database
    with (
        opened_store(one.settings.database) as store,
        httpx.Client(base_url=one.url, timeout=30) as a,
        httpx.Client(base_url=two.url, timeout=30) as b,
    ):
        account = activate(a)
        admin.fail_next_calls(store, 3)
        answers = [client.get("/v1/account/balance", headers=account.headers) for client in (a, b)]
        answers.append(b.post("/v1/activate", json={"device_fingerprint": "d" * 32}))
        for answer in answers:
            assert error_of(answer, 503, ErrorCode.INTERNAL_ERROR)
            assert answer.headers["Retry-After"] == "1"
        assert balance(a, account) == balance(b, account) == Decimal("2.00")
        assert admin.scenarios(store).fail_next_calls == 0


def test_a_declined_checkout_moves_nothing_and_can_be_paid_again(
    client: httpx.Client, account: Account, store: Store
) -> None:
    topup_id = create_topup(client, account, 5)
    pay_button = forms_of(client.get(f"/checkout/{topup_id}"))[0]
    admin.decline_next_checkouts(store, 1)
    declined = pay_button.submit(client)
    assert declined.status_code == 402 and "declined" in declined.text
    assert balance(client, account) == Decimal("2.00")
    assert forms_of(declined)[0].submit(client).status_code == 303
    assert balance(client, account) == Decimal("7.00")


def test_a_rate_limit_switched_on_gives_429_until_switched_off(
    client: httpx.Client, account: Account, store: Store
) -> None:
    admin.limit_rate(store, 2)
    statuses = [client.get("/v1/account/balance", headers=account.headers).status_code]
    statuses += [client.get("/v1/account/keys", headers=account.headers).status_code]
    limited = client.get("/v1/account/balance", headers=account.headers)
    assert statuses == [200, 200]
    assert (
        int(error_of(limited, 429, ErrorCode.RATE_LIMITED)["details"]["retry_after_seconds"]) >= 1
    )
    admin.limit_rate(store, None)
    assert client.get("/v1/account/balance", headers=account.headers).status_code == 200


def test_expiring_pending_topups_leaves_paid_ones_alone(
    client: httpx.Client, account: Account, store: Store
) -> None:
    paid, pending = create_topup(client, account, 3), create_topup(client, account, 4)
    pay(client, paid)
    assert admin.expire_pending_topups(store) == 1
    states = {
        item["topup_id"]: item["state"]
        for item in data_of(client.get("/v1/account/topups", headers=account.headers))["items"]
    }
    assert states == {paid: "succeeded", pending: "canceled"}
    assert forms_of(client.get(f"/checkout/{pending}")) == []
    assert balance(client, account) == Decimal("5.00")
