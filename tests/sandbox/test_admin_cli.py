"""``python -m infrai_jupyter.sandbox admin …`` as a teacher's script runs it, beside a class."""

# ruff: noqa: RUF001

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from infrai_jupyter.contract import ErrorCode
from infrai_jupyter.sandbox import SandboxServer
from infrai_jupyter.sandbox.schema import SQLITE_MIGRATIONS

from .conftest import (
    Account,
    activate,
    balance,
    create_topup,
    english_in_terminal,
    error_of,
    pay,
    settings_for,
    terminal_columns,
    with_locale,
)

CHINESE = {"LANG": "zh_CN.UTF-8"}


def admin(
    *arguments: str, locale: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``admin …`` to completion; in ``locale`` if given, else as the suite runs (English)."""
    command = [sys.executable, "-m", "infrai_jupyter.sandbox", "admin", *arguments]
    environment = None if locale is None else with_locale(**locale)
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=environment)


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


@pytest.mark.parametrize("sandbox_engine", ["sqlite"])
def test_in_a_chinese_locale_the_console_answers_in_chinese(
    classroom: httpx.Client, database: str, account: Account
) -> None:
    said: list[str] = []
    help_text = admin("--help", locale={"LANGUAGE": "zh_CN:en"})
    assert "教师控制台：查看并修改班级的沙盒数据库。" in help_text.stdout
    said.append(help_text.stdout)

    accounts = admin("accounts", "--db", database, locale=CHINESE)
    header, row = accounts.stdout.splitlines()
    assert header.split() == ["账户", "等级", "余额", "创建时间"]
    assert accounts.stderr.strip() == "1 个账户"
    # In a terminal a Chinese character takes two columns: the balance column still lines up.
    balance_ends = [
        terminal_columns(line[: line.index(cell) + len(cell)])
        for line, cell in ((header, "余额"), (row, "$2.00"))
    ]
    assert balance_ends[0] == balance_ends[1]

    granted = admin("grant", account.account_id, "1000", "--db", database, locale=CHINESE)
    assert granted.stdout.strip() == f"已向 {account.account_id} 发放 $1,000.00；余额 $1,002.00"
    unknown = admin("grant", "acct_nobody", "5", "--db", database, locale=CHINESE)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("错误：此班级中没有账户 'acct_nobody'")
    refused = admin("reset", "--db", database, locale=CHINESE)
    assert refused.returncode == 2 and "确定要这样做，请运行" in refused.stderr
    assert "reset --yes" in refused.stderr
    scenario = admin("scenario", "fail-calls", "1", "--db", database, locale=CHINESE)
    assert (
        scenario.stdout.strip()
        == "将拒绝接下来 0 次结账；将让接下来 1 次调用失败；限速：按启动时的设置"
    )
    exported = admin("export", "--db", database, locale=CHINESE)
    assert exported.stdout.splitlines()[0].startswith("entry_id,")  # CSV is data: as it is
    assert exported.stderr.strip() == "2 条账目记录"
    said += [accounts.stderr, granted.stdout, unknown.stderr, refused.stderr, scenario.stdout]
    for text in said:
        assert english_in_terminal(text) == [], text


def test_the_console_says_why_a_database_cannot_be_used_in_chinese(tmp_path: Path) -> None:
    missing = admin("accounts", "--db", str(tmp_path / "typo.sqlite3"), locale=CHINESE)
    assert missing.returncode == 2 and "typo.sqlite3 处没有沙盒数据库" in missing.stderr
    newer = tmp_path / "newer.sqlite3"
    with closing(sqlite3.connect(newer)) as connection:
        connection.execute(f"PRAGMA user_version = {len(SQLITE_MIGRATIONS) + 1}")
    refused = admin("accounts", "--db", str(newer), locale=CHINESE)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"错误：{newer} 的结构版本是 {len(SQLITE_MIGRATIONS) + 1}")
    for text in (missing.stderr, refused.stderr):
        assert english_in_terminal(text) == [], text


@pytest.mark.parametrize("sandbox_engine", ["sqlite"])
def test_traditional_chinese_gets_the_english_console(
    classroom: httpx.Client, database: str, account: Account
) -> None:
    result = admin("scenario", "fail-calls", "1", "--db", database, locale={"LANG": "zh_TW.UTF-8"})
    assert result.stdout.strip() == (
        "declining the next 0 checkouts; failing the next 1 calls; rate limit: as configured"
    )
    accounts = admin("accounts", "--db", database, locale={"LANG": "zh_TW.UTF-8"})
    assert accounts.stdout.split()[:4] == ["account", "tier", "balance", "created"]
    assert accounts.stderr.strip() == "1 account"
