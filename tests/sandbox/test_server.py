"""The server's life cycle: restarts keep data, the schema is versioned, ports are freed."""

from __future__ import annotations

import hashlib
import socket
import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from infrai_jupyter.sandbox import SandboxServer, SandboxSettings
from infrai_jupyter.sandbox.sqlite import MIGRATIONS
from infrai_jupyter.sandbox.store import StoreError

from .conftest import SandboxFactory, activate, balance, create_topup, data_of, pay


def test_a_restart_keeps_balances_keys_and_topups(sandbox_factory: SandboxFactory) -> None:
    first = sandbox_factory()
    with httpx.Client(base_url=first.url, timeout=30) as client:
        account = activate(client)
        pay(client, create_topup(client, account, 25.5))
        pending = create_topup(client, account, 4)
    first.stop()
    second = sandbox_factory()
    with httpx.Client(base_url=second.url, timeout=30) as client:
        assert balance(client, account) == Decimal("27.50")
        topup = data_of(client.get(f"/v1/account/topups/{pending}", headers=account.headers))
        assert topup["checkout_url"].startswith(second.url)
        pay(client, pending)
        assert balance(client, account) == Decimal("31.50")


def test_a_database_from_the_first_release_keeps_its_accounts(tmp_path: Path) -> None:
    """Upgrading the sandbox keeps a classroom's accounts, keys and balances."""
    database = tmp_path / "v1.sqlite3"
    key = "ifr_pk_proj_" + "k" * 43
    with closing(sqlite3.connect(database)) as connection, connection:
        for statement in MIGRATIONS[0]:
            connection.execute(statement)
        connection.execute("PRAGMA user_version = 1")
        connection.execute(
            "INSERT INTO accounts VALUES ('acct_1', 'proj_1', 'free', 1234, 'western',"
            " 'funding', '2026-01-01T00:00:00+00:00')"
        )
        connection.execute(
            "INSERT INTO api_keys VALUES ('key_1', 'acct_1', ?, 'primary', '[]', 'ifr…',"
            " '2026-01-01T00:00:00+00:00')",
            (hashlib.sha256(key.encode()).hexdigest(),),
        )
    with (
        SandboxServer(SandboxSettings(db_path=database)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        headers = {"Authorization": f"Bearer {key}"}
        assert data_of(client.get("/v1/account/balance", headers=headers))["balance_usd"] == (
            Decimal("12.34")
        )
        upgraded = client.post(
            "/v1/account/tier/upgrade",
            json={"target_tier": "free"},
            headers={**headers, "Idempotency-Key": "after-upgrade"},
        )
        assert data_of(upgraded)["account_id"] == "acct_1"
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "newer.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer"):
        SandboxServer(SandboxSettings(db_path=database)).start()


def test_stop_shuts_down_and_frees_the_port(tmp_path: Path) -> None:
    server = SandboxServer(SandboxSettings(db_path=tmp_path / "db.sqlite3"))
    with server:
        assert server.running
        url = server.url
        port = int(url.rsplit(":", 1)[1])
        assert httpx.get(f"{url}/v1/account/balance").status_code == 401
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v1/account/balance")
    # The same port can be served again right away.
    again = SandboxServer(SandboxSettings(db_path=tmp_path / "db.sqlite3"), port=port)
    with again:
        assert again.url == url
    server.stop()  # stopping twice is harmless


def test_two_servers_run_side_by_side_on_free_ports(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    one = sandbox_factory()
    two = sandbox_factory(db_path=tmp_path / "other.sqlite3")
    assert one.url != two.url
    for server in (one, two):
        assert server.url.startswith("http://127.0.0.1:")
        with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1]))):
            pass


def test_rate_limit_answers_429_with_retry_after(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(rate_limit_per_minute=3)
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        account, other = activate(client), activate(client)
        for _ in range(3):
            assert client.get("/v1/account/balance", headers=account.headers).status_code == 200
        limited = client.get("/v1/account/keys", headers=account.headers)
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "RATE_LIMITED"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        # Per key: another account is not affected.
        assert client.get("/v1/account/balance", headers=other.headers).status_code == 200


def test_rate_limit_is_off_by_default(client: httpx.Client) -> None:
    account = activate(client)
    statuses = {
        client.get("/v1/account/balance", headers=account.headers).status_code for _ in range(70)
    }
    assert statuses == {200}
