"""Envelopes become results: data access like the seed's dicts, metadata, exact money."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from infrai_jupyter import InfraiClient
from infrai_jupyter.contract import Metadata
from infrai_jupyter.results import Balance, KeyInfo, TopupItem

from .conftest import envelope, mock_client


def test_metadata_is_parsed_with_exact_types(client: InfraiClient) -> None:
    balance = client.account.balance()
    metadata = balance.metadata
    assert isinstance(metadata, Metadata)
    assert type(metadata.cost_usd) is Decimal and metadata.cost_usd == 0
    assert isinstance(metadata.latency_ms, int) and metadata.latency_ms >= 0
    assert metadata.vendor == "sandbox"
    assert metadata.cache_hit is False
    assert uuid.UUID(metadata.request_id).version == 7
    assert balance.ok is True


def test_a_result_reads_like_the_seeds_dictionaries(client: InfraiClient) -> None:
    balance = client.account.balance()
    assert balance.balance_usd == balance["balance_usd"] == balance.get("balance_usd")
    assert balance.get("currency", "EUR") == "USD"
    assert balance.get("missing") is None
    assert balance.get("missing", "fallback") == "fallback"
    assert "balance_usd" in balance and "missing" not in balance and 3 not in balance
    assert "_metadata" in balance
    assert balance["_metadata"] == balance.metadata.model_dump()
    assert balance["_metadata"]["vendor"] == "sandbox"
    assert balance.to_dict() == {"balance_usd": Decimal("2.00"), "currency": "USD"}


def test_missing_names_raise_key_error(client: InfraiClient) -> None:
    with pytest.raises(KeyError, match="missing"):
        client.account.balance()["missing"]


def test_nested_items_read_like_dictionaries_too(client: InfraiClient) -> None:
    client.account.topup(amount_usd="12.50")
    (topup,) = client.account.topups.list()["items"]
    assert isinstance(topup, TopupItem)
    assert topup.get("state") == "requires_payment" and topup["amount_usd"] == Decimal("12.50")
    (key,) = client.account.keys.list().get("items", [])
    assert isinstance(key, KeyInfo)
    assert key.get("label") == "primary" and "key_id" in key


def test_money_is_decimal_everywhere(client: InfraiClient) -> None:
    upgraded_balance = client.account.tier.upgrade(target_tier="free").balance_usd
    topup = client.account.topup(amount_usd=19.99)
    amounts: list[Any] = [
        upgraded_balance,
        client.account.balance().balance_usd,
        topup.amount_usd,
        topup.metadata.cost_usd,
        client.account.topups.list().items[0].amount_usd,
        client.account.topups.list()["_metadata"]["cost_usd"],
    ]
    assert all(type(amount) is Decimal for amount in amounts), amounts
    assert topup.amount_usd == Decimal("19.99")


def test_money_arriving_as_json_numbers_never_passes_through_float() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = b'{"ok":true,"data":{"balance_usd":0.30000000000000004,"currency":"USD"},'
        body += b'"error":null,"metadata":{"cost_usd":0.1,"request_id":"r"}}'
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    with mock_client(handler) as client:
        balance = client.account.balance()
    assert balance.balance_usd == Decimal("0.30")
    assert balance.metadata.cost_usd == Decimal("0.10")


def test_unknown_fields_from_a_newer_server_are_kept() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        data = {"balance_usd": "3.50", "currency": "USD", "pending_usd": 1.25, "hold": {"a": 1}}
        body = envelope(data, region="eu-1")
        body["warnings"] = ["a new top-level field"]
        return httpx.Response(200, json=body)

    with mock_client(handler) as client:
        balance = client.account.balance()
    assert isinstance(balance, Balance)
    assert balance.balance_usd == Decimal("3.50")
    assert balance["pending_usd"] == Decimal("1.25") and "pending_usd" in balance
    assert balance.get("hold") == {"a": 1}
    assert balance.to_dict()["pending_usd"] == Decimal("1.25")
    assert balance["_metadata"]["region"] == "eu-1"
