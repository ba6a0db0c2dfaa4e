"""``--workers 2``: two processes behind one port, hammered from many threads at once.

What holds across processes comes from the database alone: a request runs once per
Idempotency-Key, a device gets one trial, and every cent is accounted for.
"""

from __future__ import annotations

import io
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from infrai_jupyter.contract import ErrorCode
from infrai_jupyter.sandbox import admin

from .conftest import (
    activate,
    balance,
    create_topup,
    data_of,
    error_of,
    forms_of,
    opened_store,
    settings_for,
)

THREADS = 20


def _instances(database: str) -> set[int]:
    """The process ids of the sandbox instances registered in the database."""
    with (
        opened_store(settings_for(database).database) as store,
        store.transaction(write=False) as tx,
    ):
        return {instance.pid for instance in tx.list_instances()}


@pytest.fixture
def workers(database: str) -> Iterator[str]:
    """The CLI with two workers; yields its URL once both workers have registered."""
    command = [sys.executable, "-m", "infrai_jupyter.sandbox", "--port", "0", "--db", database]
    options = ["--workers", "2", "--processing-delay", "0.3", "--activations-per-minute", "0"]
    process = subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(" serving on ")[1].split()[0]
        deadline = time.monotonic() + 60
        while len(_instances(database)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_instances(database) - {process.pid}) == 2, "two workers never registered"
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=60, limits=httpx.Limits(max_connections=THREADS))


def test_one_key_from_twenty_threads_creates_one_topup(workers: str) -> None:
    with _client(workers) as client, ThreadPoolExecutor(THREADS) as pool:
        account = activate(client)
        headers = {**account.headers, "Idempotency-Key": f"ik_{secrets.token_hex(16)}"}

        def send(_: int) -> httpx.Response:
            return client.post("/v1/account/topup", json={"amount_usd": 8}, headers=headers)

        answers = list(pool.map(send, range(THREADS)))
        assert {answer.status_code for answer in answers} <= {200, 409}
        created = {data_of(answer)["topup_id"] for answer in answers if answer.status_code == 200}
        assert len(created) == 1
        for answer in answers:
            if answer.status_code == 409:
                error_of(answer, 409, ErrorCode.IDEMPOTENCY_KEY_IN_USE)
        replay = send(0)
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert {data_of(replay)["topup_id"]} == created
        reused = client.post("/v1/account/topup", json={"amount_usd": 9}, headers=headers)
        error_of(reused, 422, ErrorCode.IDEMPOTENCY_KEY_REUSED)
        listed = data_of(client.get("/v1/account/topups", headers=account.headers))["items"]
        assert [item["topup_id"] for item in listed] == list(created)


def test_one_device_activating_from_twenty_threads_gets_one_trial(workers: str) -> None:
    fingerprint = secrets.token_hex(16)
    with _client(workers) as client, ThreadPoolExecutor(THREADS) as pool:
        accounts = list(pool.map(lambda _: activate(client, fingerprint), range(THREADS)))
        assert len({account.account_id for account in accounts}) == THREADS
        granted = [account for account in accounts if account.activation["trial_granted"]]
        assert len(granted) == 1
        balances = [balance(client, account) for account in accounts]
    assert sorted(balances) == [Decimal("0.00")] * (THREADS - 1) + [Decimal("2.00")]


def test_racing_payments_and_upgrades_leave_every_cent_in_the_ledger(
    workers: str, database: str
) -> None:
    amounts = [Decimal(f"{n}.{n:02d}") for n in range(1, 11)]
    with _client(workers) as client, ThreadPoolExecutor(THREADS) as pool:
        account = activate(client)
        pay_first = forms_of(client.get(f"/checkout/{create_topup(client, account, 20)}"))[0]
        assert pay_first.submit(client).status_code == 303  # enough for pro from the start
        topups = [create_topup(client, account, float(amount)) for amount in amounts]
        buttons = [forms_of(client.get(f"/checkout/{topup}"))[0] for topup in topups]

        def upgrade(_: int) -> int:
            headers = {**account.headers, "Idempotency-Key": secrets.token_hex(8)}
            body = {"target_tier": "pro"}
            return client.post("/v1/account/tier/upgrade", json=body, headers=headers).status_code

        # Every top-up paid from two tabs at once, racing twenty upgrades (each its own key).
        paid = pool.map(lambda button: button.submit(client).status_code, buttons * 2)
        upgrades = pool.map(upgrade, range(THREADS))
        assert set(paid) == {303} and set(upgrades) == {200}
        final = balance(client, account)
    assert final == Decimal("2.00") + Decimal("20.00") + sum(amounts) - Decimal("20.00")
    ledger = io.StringIO()
    with opened_store(settings_for(database).database) as store:
        admin.export_ledger(store, ledger)
    rows = [line.split(",") for line in ledger.getvalue().splitlines()[1:]]
    mine = sorted(row[3] for row in rows if row[2] == account.account_id)
    assert mine == sorted(["trial", "topup", *["topup"] * len(amounts), "tier_upgrade"])
    assert sum(Decimal(row[-1]) for row in rows if row[2] == account.account_id) == final
