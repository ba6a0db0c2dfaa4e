"""Schema versions: an older database upgrades in place with its data; a newer one is refused."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest

from infrai_jupyter.sandbox import SandboxServer, SandboxSettings
from infrai_jupyter.sandbox.schema import POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS
from infrai_jupyter.sandbox.store import StoreError

from .conftest import Account, activate, balance, data_of, pay
from .postgres_cluster import PostgresCluster

KEY = "ifr_pk_proj_" + "k" * 43
FINGERPRINT_HASH = hashlib.sha256(b"f" * 32).hexdigest()

# The schema as the release before the restructure (4b021e2) created it, frozen here so
# that no later edit of the migrations can change what this test upgrades.
RELEASE_4B021E2 = (
    """CREATE TABLE accounts (
        account_id TEXT PRIMARY KEY, project_id TEXT NOT NULL UNIQUE,
        tier TEXT NOT NULL, balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0),
        region TEXT NOT NULL, funding_token TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)""",
    """CREATE TABLE api_keys (
        key_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts,
        key_hash TEXT NOT NULL UNIQUE, label TEXT NOT NULL, scopes TEXT NOT NULL,
        masked_key TEXT NOT NULL, created_at TEXT NOT NULL)""",
    "CREATE INDEX api_keys_by_account ON api_keys (account_id, created_at)",
    """CREATE TABLE trials (
        fingerprint_hash TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts, granted_at TEXT NOT NULL)""",
    """CREATE TABLE ledger (
        entry_id INTEGER PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts,
        amount_cents INTEGER NOT NULL, reason TEXT NOT NULL, reference TEXT NOT NULL,
        created_at TEXT NOT NULL, UNIQUE (reason, reference))""",
    """CREATE TABLE topups (
        topup_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts,
        amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
        state TEXT NOT NULL, return_url TEXT, created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    "CREATE INDEX topups_by_account ON topups (account_id, created_at)",
    """CREATE TABLE idempotency (
        scope TEXT NOT NULL, key_hash TEXT NOT NULL, request_hash TEXT NOT NULL,
        token TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL,
        status_code INTEGER, sealed_response TEXT, PRIMARY KEY (scope, key_hash))""",
)
NOW = "2026-11-30T12:00:00+00:00"
CLASSROOM_ROWS = (
    f"INSERT INTO accounts VALUES ('acct_1', 'proj_1', 'free', 1234, 'western', 'fund', '{NOW}')",
    f"INSERT INTO api_keys VALUES ('key_1', 'acct_1', '{hashlib.sha256(KEY.encode()).hexdigest()}',"
    f" 'primary', '[\"account:read\"]', 'ifr_pk_proj_…kkkk', '{NOW}')",
    f"INSERT INTO trials VALUES ('{FINGERPRINT_HASH}', 'acct_1', '{NOW}')",
    f"INSERT INTO ledger (account_id, amount_cents, reason, reference, created_at)"
    f" VALUES ('acct_1', 1234, 'trial', 'acct_1', '{NOW}')",
    f"INSERT INTO topups VALUES ('tu_pending', 'acct_1', 500, 'requires_payment', NULL,"
    f" '{NOW}', '{NOW}')",
)


def _check_the_class_survived(settings: SandboxSettings) -> None:
    """The old account's key, balance, trial and pending top-up all still work."""
    account = Account(KEY, "acct_1", {})
    with SandboxServer(settings) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        assert balance(client, account) == Decimal("12.34")
        keys = data_of(client.get("/v1/account/keys", headers=account.headers))["items"]
        assert [key["key_id"] for key in keys] == ["key_1"]
        pay(client, "tu_pending")
        assert balance(client, account) == Decimal("17.34")
        again = activate(client, "f" * 32)
        assert again.activation["trial_granted"] is False  # the device had its trial


def test_a_sqlite_file_from_the_release_before_the_restructure_upgrades_in_place(
    tmp_path: Path,
) -> None:
    database = tmp_path / "classroom.sqlite3"
    with closing(sqlite3.connect(database)) as connection, connection:
        for statement in (*RELEASE_4B021E2, *CLASSROOM_ROWS):
            connection.execute(statement)
        connection.execute(
            "INSERT INTO idempotency VALUES ('account:acct_1', 'h', 'r', 't', 'done', 0, 200,"
            " 'sealed')"
        )
        connection.execute("PRAGMA user_version = 1")
    _check_the_class_survived(SandboxSettings(db_path=database))
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (len(SQLITE_MIGRATIONS),)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_postgresql_database_of_the_first_version_upgrades_in_place(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.new_database(empty=True)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        connection.execute("INSERT INTO schema_version VALUES (2)")
        for statement in (*POSTGRES_MIGRATIONS[1], *CLASSROOM_ROWS):
            connection.execute(statement)
    _check_the_class_survived(SandboxSettings(database_url=url))
    with psycopg.connect(url) as connection:
        version = connection.execute("SELECT version FROM schema_version").fetchall()
    assert version == [(len(POSTGRES_MIGRATIONS),)]
    postgres_cluster.drop_database(url)


def test_a_sqlite_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "newer.sqlite3"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute(f"PRAGMA user_version = {len(SQLITE_MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer"):
        SandboxServer(SandboxSettings(db_path=database)).start()


def test_a_postgresql_database_from_a_newer_release_is_refused(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.new_database()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("UPDATE schema_version SET version = version + 1")
    with pytest.raises(StoreError, match="newer"):
        SandboxServer(SandboxSettings(database_url=url)).start()
    postgres_cluster.drop_database(url)
