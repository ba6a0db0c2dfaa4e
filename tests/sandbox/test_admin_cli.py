"""``python -m infrai_jupyter.sandbox admin …`` as a teacher's script runs it, beside a class."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from infrai_jupyter.contract import ErrorCode
from infrai_jupyter.sandbox import SandboxServer

from .conftest import Account, activate, balance, create_topup, error_of, pay, settings_for


def admin(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "infrai_jupyter.sandbox", "admin", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture
def classroom(database: str) -> Iterator[httpx.Client]:
    """A running class on ``database``, and a student's browser-less client."""
    with (
        SandboxServer(settings_for(database)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield client


def test_accounts_lists_account_tier_balance_and_created(
    classroom: httpx.Client, database: str
) -> None:
    first, second = activate(classroom), activate(classroom)
    pay(classroom, create_topup(classroom, second, 0.5))
    result = admin("accounts", "--db", database)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["account", "tier", "balance", "created"]
    assert [row.split()[:3] for row in rows] == [
        [first.account_id, "free", "$2.00"],
        [second.account_id, "free", "$2.50"],
    ]


def test_grant_credits_exactly_and_refuses_what_it_cannot_do(
    classroom: httpx.Client, database: str, account: Account
) -> None:
    granted = admin("grant", account.account_id, "5.25", "--db", database)
    assert granted.returncode == 0, granted.stderr
    assert "$7.25" in granted.stdout
    assert balance(classroom, account) == Decimal("7.25")
    inexact = admin("grant", account.account_id, "0.999", "--db", database)
    assert inexact.returncode == 2 and "2 decimals" in inexact.stderr
    unknown = admin("grant", "acct_nobody", "5", "--db", database)
    assert unknown.returncode == 1 and "acct_nobody" in unknown.stderr
    assert balance(classroom, account) == Decimal("7.25")


@pytest.fixture
def account(classroom: httpx.Client) -> Account:
    return activate(classroom)


def test_export_prints_the_ledger_as_csv_with_a_header(
    classroom: httpx.Client, database: str, account: Account
) -> None:
    pay(classroom, create_topup(classroom, account, 10))
    result = admin("export", "--db", database)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["account_id"], row["reason"], row["amount_usd"]) for row in rows] == [
        (account.account_id, "trial", "2.00"),
        (account.account_id, "topup", "10.00"),
    ]


def test_reset_needs_yes_and_then_old_keys_stop_working(
    classroom: httpx.Client, database: str, account: Account
) -> None:
    refused = admin("reset", "--db", database)
    assert refused.returncode == 2 and "reset --yes" in refused.stderr
    assert balance(classroom, account) == Decimal("2.00")
    done = admin("reset", "--yes", "--db", database)
    assert done.returncode == 0, done.stderr
    gone = classroom.get("/v1/account/balance", headers=account.headers)
    error_of(gone, 401, ErrorCode.UNAUTHENTICATED)
    assert admin("accounts", "--db", database).stdout.splitlines()[1:] == []


def test_a_scenario_set_from_the_shell_reaches_the_running_class(
    classroom: httpx.Client, database: str, account: Account
) -> None:
    result = admin("scenario", "fail-calls", "1", "--db", database)
    assert result.returncode == 0 and "failing the next 1 calls" in result.stdout
    failed = classroom.get("/v1/account/balance", headers=account.headers)
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "1"
    assert balance(classroom, account) == Decimal("2.00")


def test_a_missing_sqlite_file_is_named_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.sqlite3"
    result = admin("accounts", "--db", str(missing))
    assert result.returncode == 2 and "no sandbox database" in result.stderr
    assert not missing.exists()
