"""Many threads on one account: no lost update, no double credit, one charge."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx

from .conftest import Account, Form, balance, create_topup, data_of, forms_of, pay

THREADS = 20


def test_concurrent_payments_and_upgrades_end_with_the_exact_balance(
    client: httpx.Client, account: Account
) -> None:
    amounts = [Decimal(f"{n}.{n:02d}") for n in range(1, THREADS + 1)]
    first_half = [create_topup(client, account, float(amount)) for amount in amounts[:10]]
    second_half = [create_topup(client, account, float(amount)) for amount in amounts[10:]]

    def upgrade_to_pro(_: int) -> int:
        headers = {**account.headers, "Idempotency-Key": secrets.token_hex(8)}
        response = client.post(
            "/v1/account/tier/upgrade", json={"target_tier": "pro"}, headers=headers
        )
        return response.status_code

    def pay_buttons(topup_ids: list[str]) -> list[Form]:
        return [forms_of(client.get(f"/checkout/{topup_id}"))[0] for topup_id in topup_ids]

    with ThreadPoolExecutor(THREADS) as pool:
        # Each top-up is paid from two "tabs" at once, both opened before either paid.
        list(pool.map(lambda button: button.submit(client), pay_buttons(first_half) * 2))
        # Then payments race with upgrades (each upgrade a new request, own key).
        paid = pool.map(lambda button: button.submit(client), pay_buttons(second_half) * 2)
        upgrades = pool.map(upgrade_to_pro, range(THREADS))
        assert all(response.status_code == 303 for response in paid)
        assert set(upgrades) == {200}

    # Only the upgrade that changed the tier charged; every top-up credited exactly once.
    expected = Decimal("2.00") + sum(amounts) - Decimal("20.00")
    assert balance(client, account) == expected
    summary = data_of(
        client.post(
            "/v1/account/tier/upgrade", json={"target_tier": "pro"}, headers=account.headers
        )
    )
    assert (summary["tier"], summary["balance_usd"]) == ("pro", expected)


def test_concurrent_topups_with_distinct_keys_all_succeed(
    client: httpx.Client, account: Account
) -> None:
    with ThreadPoolExecutor(THREADS) as pool:
        topup_ids = list(pool.map(lambda _: create_topup(client, account, 1), range(THREADS)))
        list(pool.map(lambda topup_id: pay(client, topup_id), topup_ids))
    assert len(set(topup_ids)) == THREADS
    assert balance(client, account) == Decimal("2.00") + THREADS
