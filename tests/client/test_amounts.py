"""Money enters exactly: amounts are read like the magic and the form read them, costs unrounded."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import httpx
import pytest

from infrai_jupyter import InfraiClient
from infrai_jupyter.contract import AmountError
from infrai_jupyter.errors import InfraiError
from infrai_jupyter.sandbox import SandboxServer

from .conftest import (
    Recorder,
    async_recording_client,
    envelope,
    maybe_await,
    mock_client,
    recording_client,
)

REFUSED = [
    (-1, "at least $0.01"),
    (0, "at least $0.01"),
    ("1.234", "whole cents"),
    (Decimal("0.001"), "at least $0.01"),
    ("10000.01", "at most $10,000.00"),
    ("twenty", "not a number"),
    ("NaN", "not an amount"),
    (float("inf"), "not an amount"),
    ("1e27", "at most"),
    (True, "number of dollars"),
]


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(("amount", "says"), REFUSED, ids=[repr(a) for a, _ in REFUSED])
async def test_an_amount_the_api_refuses_is_refused_before_anything_is_sent(
    kind: str, amount: object, says: str, client: InfraiClient, sandbox: SandboxServer
) -> None:
    recorder = Recorder()
    key = client.config.api_key
    make = recording_client if kind == "sync" else async_recording_client
    sending = make(sandbox, recorder, api_key=key)
    with pytest.raises(AmountError, match=re.escape(says)) as raised:
        await maybe_await(sending.account.topup(amount_usd=amount))  # type: ignore[arg-type]
    await maybe_await(sending.close())
    assert isinstance(raised.value, InfraiError) and isinstance(raised.value, ValueError)
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("amount", "sent"),
    [(25, "25.0"), ("9.99", "9.99"), (" $12.50 ", "12.5"), (19.99, "19.99"), (Decimal("5"), "5.0")],
)
def test_an_accepted_amount_is_sent_exactly_in_cents(
    amount: object, sent: str, client: InfraiClient, sandbox: SandboxServer
) -> None:
    recorder = Recorder()
    key = client.config.api_key
    with recording_client(sandbox, recorder, api_key=key) as sending:
        topup = sending.account.topup(amount_usd=amount)  # type: ignore[arg-type]
    body = recorder.bodies()[0]
    assert body == f'{{"amount_usd":{sent}}}\n'.encode()
    assert json.loads(body, parse_float=Decimal)["amount_usd"] == topup.amount_usd


def test_a_cost_below_a_cent_stays_exact() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.dumps(envelope({"balance_usd": "1.00"}, cost_usd=0.0004))
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    with mock_client(handler) as client:
        balance = client.account.balance()
    assert balance.metadata.cost_usd == Decimal("0.0004")
    assert balance["_metadata"]["cost_usd"] == Decimal("0.0004")
    assert balance.metadata.model_dump(mode="json")["cost_usd"] == 0.0004
