"""The session's usage ledger: every answer, its exact cost, and totals, as data and a card."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from infrai_jupyter import _default, account, infra
from infrai_jupyter._usage import session_ledger
from infrai_jupyter.errors import InsufficientCreditError
from infrai_jupyter.sandbox import SandboxServer

from .conftest import envelope, mock_client


@pytest.fixture(autouse=True)
def fresh_ledger() -> Iterator[None]:
    session_ledger.reset()
    yield
    session_ledger.reset()


@pytest.fixture
def session(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, home: Path) -> SandboxServer:
    monkeypatch.setenv("INFRAI_BASE_URL", sandbox.url)
    _default.reset()
    return sandbox


def test_every_call_of_the_session_is_a_row_with_its_status_and_request_id(
    session: SandboxServer,
) -> None:
    act = infra.activate()
    bal = account.balance()
    with pytest.raises(InsufficientCreditError) as short:
        account.tier.upgrade("team")
    ledger = account.usage()
    rows = [(r["capability"], r["status"], r["request_id"]) for r in ledger.to_records()]
    assert rows == [
        ("infra.activate", 200, act.metadata.request_id),
        ("account.balance", 200, bal.metadata.request_id),
        ("account.tier.upgrade", 402, short.value.request_id),
    ]
    assert ledger.to_records()[2]["cost_usd"] is None  # a failure's cost is unknown, not $0


def test_sub_cent_costs_are_kept_exactly_in_the_records_totals_csv_and_card() -> None:
    costs = iter(["0.0035", "0.0100", "1.5"])

    def handler(request: httpx.Request) -> httpx.Response:
        data = {"balance_usd": "3.00", "currency": "USD"}
        return httpx.Response(200, json=envelope(data, cost_usd=next(costs), latency_ms=7))

    with mock_client(handler) as client:
        for _ in range(3):
            client.account.balance()
    ledger = account.usage()
    assert [r["cost_usd"] for r in ledger.to_records()] == [
        Decimal("0.0035"),
        Decimal("0.0100"),
        Decimal("1.5"),
    ]
    assert ledger.total_cost_usd == Decimal("1.5135")
    table = list(csv.DictReader(io.StringIO(ledger.to_csv())))
    assert [row["cost_usd"] for row in table] == ["0.0035", "0.0100", "1.5"]
    assert [row["latency_ms"] for row in table] == ["7", "7", "7"]
    text, html = repr(ledger), ledger._repr_html_()
    for shown in (text, html):
        assert "$1.5135" in shown and "$0.0035" in shown and "account.balance" in shown


def test_reset_starts_over_and_an_empty_ledger_says_so(session: SandboxServer) -> None:
    infra.activate()
    assert len(account.usage()) == 1
    account.usage().reset()
    assert account.usage().to_records() == []
    assert "No calls yet" in repr(account.usage())
    assert account.usage().to_csv() == "time,capability,status,cost_usd,latency_ms,request_id\n"


def test_a_server_cannot_put_a_key_or_markup_into_the_ledger() -> None:
    key = "ifr_pk_proj_CANARYledgersecretsecretTail"

    def handler(request: httpx.Request) -> httpx.Response:
        data = {"balance_usd": "3.00", "currency": "USD"}
        return httpx.Response(200, json=envelope(data, request_id=f"<b>{key}</b>"))

    with mock_client(handler) as client:
        client.account.balance()
    ledger = account.usage()
    everything = f"{ledger.to_records()} {ledger.to_csv()} {ledger!r} {ledger._repr_html_()}"
    assert "CANARYledgersecretsecret" not in everything
    assert "<b>" not in ledger._repr_html_()


def test_to_dataframe_names_pandas_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if it were not installed
    with pytest.raises(ImportError, match="pip install pandas"):
        account.usage().to_dataframe()
