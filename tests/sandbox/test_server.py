"""The server's life cycle: restarts keep data, the schema is versioned, ports are freed."""

from __future__ import annotations

import socket
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from infrai_jupyter.sandbox import SandboxServer, SandboxSettings

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
