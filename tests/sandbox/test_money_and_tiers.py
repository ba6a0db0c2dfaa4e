"""Exact money on the wire, top-up amount validation, and tier upgrades with prices."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest

from infrai_jupyter.contract import ErrorCode

from .conftest import (
    Account,
    SandboxFactory,
    activate,
    balance,
    create_topup,
    data_of,
    error_of,
    pay,
)

UPGRADE = "/v1/account/tier/upgrade"


def _upgrade(client: httpx.Client, account: Account, tier: str) -> httpx.Response:
    return client.post(UPGRADE, json={"target_tier": tier}, headers=account.headers)


def test_amounts_are_json_numbers_with_at_most_two_decimals(
    client: httpx.Client, account: Account
) -> None:
    topup_id = create_topup(client, account, 19.99)
    pay(client, topup_id)
    text = client.get("/v1/account/balance", headers=account.headers).text
    assert '"balance_usd":21.99' in text
    retrieved = client.get(f"/v1/account/topups/{topup_id}", headers=account.headers).text
    assert '"amount_usd":19.99' in retrieved
    for number in re.findall(r'"\w+_usd":(-?[0-9.eE+-]+)', retrieved + text):
        assert re.fullmatch(r"-?\d+(\.\d{1,2})?", number), number


def test_cents_add_up_exactly(client: httpx.Client, account: Account) -> None:
    for _ in range(10):
        pay(client, create_topup(client, account, 0.1))
    assert balance(client, account) == Decimal("3.00")


@pytest.mark.parametrize(
    "raw_amount",
    [b"0", b"-5", b"NaN", b"Infinity", b"0.001", b"1e400", b"10000.01", b'"ten"', b"null"],
)
def test_invalid_amounts_are_422_naming_amount_usd(
    client: httpx.Client, account: Account, raw_amount: bytes
) -> None:
    response = client.post(
        "/v1/account/topup",
        content=b'{"amount_usd": ' + raw_amount + b"}",
        headers={**account.headers, "Content-Type": "application/json"},
    )
    error = error_of(response, 422, ErrorCode.VALIDATION_ERROR)
    assert error["details"]["fields"][0]["field"] == "amount_usd"
    assert "amount_usd" in error["message"]


def test_a_non_http_return_url_is_422(client: httpx.Client, account: Account) -> None:
    response = client.post(
        "/v1/account/topup",
        json={"amount_usd": 5, "return_url": "javascript:alert(1)"},
        headers=account.headers,
    )
    error = error_of(response, 422, ErrorCode.VALIDATION_ERROR)
    assert error["details"]["fields"][0]["field"] == "return_url"


def test_upgrade_without_enough_credit_is_402_saying_what_is_missing(
    client: httpx.Client, account: Account
) -> None:
    error = error_of(_upgrade(client, account, "pro"), 402, ErrorCode.INSUFFICIENT_CREDIT)
    details = error["details"]
    assert (details["required_usd"], details["balance_usd"], details["missing_usd"]) == (
        Decimal("20.0"),
        Decimal("2.0"),
        Decimal("18.0"),
    )
    add_funds = client.get(details["checkout_url"])
    assert add_funds.status_code == 200 and 'value="18.00"' in add_funds.text
    assert balance(client, account) == Decimal("2.00")


def test_unknown_tier_is_422_listing_the_valid_ones(client: httpx.Client, account: Account) -> None:
    error = error_of(_upgrade(client, account, "platinum"), 422, ErrorCode.VALIDATION_ERROR)
    assert error["details"]["valid_tiers"] == ["free", "pro", "team"]
    assert "target_tier" in error["message"]


def test_upgrade_debits_once_and_rerunning_it_is_free(
    client: httpx.Client, account: Account
) -> None:
    pay(client, create_topup(client, account, 30))
    upgraded = data_of(_upgrade(client, account, "pro"))
    assert (upgraded["tier"], upgraded["balance_usd"]) == ("pro", Decimal("12.00"))
    # A re-run cell: a new request (new key) to the tier the account is on charges nothing.
    again = client.post(
        UPGRADE, json={"target_tier": "pro"}, headers={**account.headers, "Idempotency-Key": "x"}
    )
    assert data_of(again)["balance_usd"] == Decimal("12.00")
    assert balance(client, account) == Decimal("12.00")


def test_tier_prices_and_trial_credit_are_configurable(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(
        trial_credit_usd=Decimal("5.50"),
        tier_prices={"free": Decimal(0), "gold": Decimal("5.25")},
    )
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        account = activate(client)
        assert account.activation["trial_credit_usd"] == Decimal("5.5")
        assert data_of(_upgrade(client, account, "gold"))["balance_usd"] == Decimal("0.25")
        error = error_of(_upgrade(client, account, "pro"), 422, ErrorCode.VALIDATION_ERROR)
        assert error["details"]["valid_tiers"] == ["free", "gold"]
