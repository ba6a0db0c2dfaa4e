"""Idempotency-Key: replay, mismatch, in flight, not storing rejected requests, derived keys."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx

from infrai_jupyter.contract import ErrorCode, TopupRequest
from infrai_jupyter.sandbox import SandboxServer
from infrai_jupyter.sandbox.idempotency import IdempotentRequest, identify
from infrai_jupyter.sandbox.store import IdempotencyRecord

from .conftest import (
    Account,
    SandboxFactory,
    activate,
    balance,
    data_of,
    envelope,
    error_of,
    opened_store,
    pay,
)

TOPUP = "/v1/account/topup"
UPGRADE = "/v1/account/tier/upgrade"


def _topups(client: httpx.Client, account: Account) -> list[dict[str, object]]:
    items: list[dict[str, object]] = data_of(
        client.get("/v1/account/topups", headers=account.headers)
    )["items"]
    return items


def _held_key(account: Account, key: str, amount: int) -> IdempotentRequest:
    """How the sandbox identifies a top-up of ``amount`` sent with ``key``."""
    body = TopupRequest(amount_usd=amount)
    held = identify(f"account:{account.account_id}", "account.topup", body, key)
    assert held is not None
    return held


def _first_then_a_retry(
    sandbox: SandboxServer,
    client: httpx.Client,
    account: Account,
    key: str,
    amount: int,
    retry_client: httpx.Client | None = None,
) -> tuple[httpx.Response, httpx.Response]:
    """The same top-up twice with one key, the retry (through ``retry_client``, another
    server on the database, if given) sent once the first holds the key (its reservation
    is in the database), however the threads are scheduled."""
    held, headers = _held_key(account, key, amount), {**account.headers, "Idempotency-Key": key}
    with opened_store(sandbox.settings.database) as store, ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.post, TOPUP, json={"amount_usd": amount}, headers=headers)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with store.transaction(write=False) as tx:
                if tx.get_idempotency(held.scope, held.key_hash) is not None:
                    break
            time.sleep(0.02)
        retry = pool.submit(
            (retry_client or client).post, TOPUP, json={"amount_usd": amount}, headers=headers
        )
        return first.result(), retry.result()


def test_same_key_and_body_replays_the_first_response(
    client: httpx.Client, account: Account
) -> None:
    headers = {**account.headers, "Idempotency-Key": "topup-1"}
    first = client.post(TOPUP, json={"amount_usd": 25}, headers=headers)
    # Same body, different spelling: key order, whitespace and 25 vs 25.00 do not matter.
    again = client.post(
        TOPUP,
        content=b'{ "amount_usd" : 25.00 }',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert again.status_code == first.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert envelope(again)["data"] == envelope(first)["data"]
    assert envelope(again)["metadata"]["cache_hit"] is True
    assert len(_topups(client, account)) == 1


def test_errors_are_replayed_too(client: httpx.Client, account: Account) -> None:
    headers = {**account.headers, "Idempotency-Key": "upgrade-1"}
    first = client.post(UPGRADE, json={"target_tier": "team"}, headers=headers)
    error_of(first, 402, ErrorCode.INSUFFICIENT_CREDIT)
    again = client.post(UPGRADE, json={"target_tier": "team"}, headers=headers)
    assert again.status_code == 402
    assert again.headers["Idempotent-Replayed"] == "true"
    assert envelope(again)["error"] == envelope(first)["error"]


def test_same_key_with_another_body_is_rejected(client: httpx.Client, account: Account) -> None:
    headers = {**account.headers, "Idempotency-Key": "k"}
    data_of(client.post(TOPUP, json={"amount_usd": 10}, headers=headers))
    response = client.post(TOPUP, json={"amount_usd": 11}, headers=headers)
    assert (
        "different request body"
        in error_of(response, 422, ErrorCode.IDEMPOTENCY_KEY_REUSED)["message"]
    )
    other_route = client.post(UPGRADE, json={"target_tier": "free"}, headers=headers)
    error_of(other_route, 422, ErrorCode.IDEMPOTENCY_KEY_REUSED)
    assert len(_topups(client, account)) == 1


def test_keys_are_per_account(client: httpx.Client, account: Account) -> None:
    other = activate(client)
    mine = client.post(
        TOPUP, json={"amount_usd": 10}, headers={**account.headers, "Idempotency-Key": "k"}
    )
    theirs = client.post(
        TOPUP, json={"amount_usd": 10}, headers={**other.headers, "Idempotency-Key": "k"}
    )
    assert "Idempotent-Replayed" not in theirs.headers
    assert data_of(mine)["topup_id"] != data_of(theirs)["topup_id"]


def test_a_rejected_request_does_not_burn_its_key(client: httpx.Client, account: Account) -> None:
    headers = {**account.headers, "Idempotency-Key": "fix-and-retry"}
    error_of(
        client.post(TOPUP, json={"amount_usd": -5}, headers=headers),
        422,
        ErrorCode.VALIDATION_ERROR,
    )
    error_of(
        client.post(UPGRADE, json={"target_tier": "gold"}, headers=headers),
        422,
        ErrorCode.VALIDATION_ERROR,
    )
    corrected = client.post(TOPUP, json={"amount_usd": 5}, headers=headers)
    assert data_of(corrected)["amount_usd"] == Decimal("5")
    assert "Idempotent-Replayed" not in corrected.headers


def test_a_key_in_flight_gets_409(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(processing_delay_seconds=1.0)
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        account = activate(client)
        first, retry = _first_then_a_retry(sandbox, client, account, "slow", 7)
        assert first.status_code == 200
        error = error_of(retry, 409, ErrorCode.IDEMPOTENCY_KEY_IN_USE)
        assert "still being processed" in error["message"]
        assert retry.headers["Retry-After"] == "1"
        headers = {**account.headers, "Idempotency-Key": "slow"}
        replay = client.post(TOPUP, json={"amount_usd": 7}, headers=headers)
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert len(_topups(client, account)) == 1


def test_a_running_sandbox_renews_its_lease_so_its_requests_stay_held(
    sandbox_factory: SandboxFactory,
) -> None:
    """A lease far shorter than a request: only the heartbeat keeps the holder alive, so
    it must move on while the sandbox runs (a retry would otherwise take over)."""
    sandbox = sandbox_factory(instance_lease_seconds=0.3)
    beats: set[float] = set()
    with opened_store(sandbox.settings.database) as store:
        deadline = time.monotonic() + 30
        while len(beats) < 3 and time.monotonic() < deadline:
            with store.transaction(write=False) as tx:
                beats.update(instance.heartbeat_at for instance in tx.list_instances())
            time.sleep(0.05)
    assert len(beats) >= 3, f"the heartbeat did not move in 30 s: {beats}"


def test_fifty_concurrent_requests_with_one_key_execute_once(
    sandbox_factory: SandboxFactory,
) -> None:
    sandbox = sandbox_factory(processing_delay_seconds=0.2)
    with httpx.Client(
        base_url=sandbox.url, timeout=60, limits=httpx.Limits(max_connections=50)
    ) as client:
        account = activate(client)
        data_of(client.post(TOPUP, json={"amount_usd": 100}, headers=account.headers))
        topup_id = _topups(client, account)[0]["topup_id"]
        pay(client, str(topup_id))
        headers = {**account.headers, "Idempotency-Key": "burst"}
        with ThreadPoolExecutor(50) as pool:
            responses = list(
                pool.map(
                    lambda _: client.post(UPGRADE, json={"target_tier": "pro"}, headers=headers),
                    range(50),
                )
            )
        assert {response.status_code for response in responses} <= {200, 409}
        successes = [
            envelope(response)["data"] for response in responses if response.status_code == 200
        ]
        assert successes and all(data == successes[0] for data in successes)
        assert balance(client, account) == Decimal("82.00")  # 2 + 100 - 20, charged once


def test_charging_posts_without_a_key_get_a_derived_one(
    client: httpx.Client, account: Account
) -> None:
    first = client.post(TOPUP, json={"amount_usd": 12}, headers=account.headers)
    retry = client.post(TOPUP, json={"amount_usd": 12}, headers=account.headers)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert data_of(retry)["topup_id"] == data_of(first)["topup_id"]
    different = client.post(TOPUP, json={"amount_usd": 13}, headers=account.headers)
    assert "Idempotent-Replayed" not in different.headers


def test_activation_is_idempotent_per_device(client: httpx.Client) -> None:
    body, headers = {"device_fingerprint": "f" * 32}, {"Idempotency-Key": "ik_" + "0123" * 8}
    first = client.post("/v1/activate", json=body, headers=headers)
    again = client.post("/v1/activate", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert data_of(again) == data_of(first)


def test_keys_expire_after_the_window(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(idempotency_window_seconds=0)
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        account = activate(client)
        headers = {**account.headers, "Idempotency-Key": "old"}
        first = data_of(client.post(TOPUP, json={"amount_usd": 3}, headers=headers))
        second = data_of(client.post(TOPUP, json={"amount_usd": 3}, headers=headers))
        assert first["topup_id"] != second["topup_id"]


def test_a_stuck_holder_is_superseded_and_its_late_commit_is_refused(
    sandbox_factory: SandboxFactory,
) -> None:
    # Every reservation counts as abandoned at once, and each holder stalls before its work.
    sandbox = sandbox_factory(abandoned_after_seconds=0, processing_delay_seconds=1.0)
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        account = activate(client)
        stuck, retry = _first_then_a_retry(sandbox, client, account, "stuck", 7)
        assert retry.status_code == 200
        error = error_of(stuck, 409, ErrorCode.IDEMPOTENCY_KEY_IN_USE)
        assert "superseded" in error["message"]
        assert len(_topups(client, account)) == 1


def test_a_retry_that_waited_for_the_key_judges_the_holder_after_waiting(
    sandbox_factory: SandboxFactory,
) -> None:
    """A retry that waited for the key's lock judges the holder's age after the wait.

    Another connection holds the key (PostgreSQL's advisory lock, SQLite's write lock)
    while the retry arrives, then reserves it for a live instance and commits. Every
    reservation counts as abandoned at once, so the retry must take it over: 200, not
    a 409 that says the holder is still working.
    """
    sandbox = sandbox_factory(abandoned_after_seconds=0)
    with (
        opened_store(sandbox.settings.database) as holder_store,
        httpx.Client(base_url=sandbox.url, timeout=30) as client,
        ThreadPoolExecutor(1) as pool,
    ):
        account = activate(client)
        headers = {**account.headers, "Idempotency-Key": "queued"}
        held = _held_key(account, "queued", 7)
        with holder_store.transaction() as tx:
            assert tx.get_idempotency(held.scope, held.key_hash) is None
            retry = pool.submit(client.post, TOPUP, json={"amount_usd": 7}, headers=headers)
            time.sleep(0.5)  # the retry is now waiting for the key
            assert not retry.done()
            live_owner = tx.list_instances()[0].instance_id
            tx.put_idempotency(
                IdempotencyRecord(
                    held.scope,
                    held.key_hash,
                    held.request_hash,
                    "holder",
                    live_owner,
                    "in_flight",
                    time.time(),
                )
            )
        assert data_of(retry.result())["amount_usd"] == 7
        assert len(_topups(client, account)) == 1


def test_two_servers_on_one_database_share_the_reservation(
    sandbox_factory: SandboxFactory,
) -> None:
    """Several processes on one database (a future PostgreSQL): a live holder is waited for."""
    servers = [sandbox_factory(processing_delay_seconds=1.0) for _ in range(2)]
    clients = [httpx.Client(base_url=server.url, timeout=30) for server in servers]
    with clients[0], clients[1]:
        account = activate(clients[0])
        created, conflict = _first_then_a_retry(
            servers[0], clients[0], account, "shared", 4, retry_client=clients[1]
        )
        error_of(conflict, 409, ErrorCode.IDEMPOTENCY_KEY_IN_USE)
        assert conflict.headers["Retry-After"] == "1"
        headers = {**account.headers, "Idempotency-Key": "shared"}
        for client in clients:
            replay = client.post(TOPUP, json={"amount_usd": 4}, headers=headers)
            assert data_of(replay)["topup_id"] == data_of(created)["topup_id"]
        assert len(_topups(clients[1], account)) == 1
