"""``python -m infrai_jupyter.sandbox`` from a shell."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from infrai_jupyter.sandbox import SandboxServer

from .conftest import activate, balance, create_topup, settings_for


@pytest.fixture
def shell_sandbox(database: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infrai_jupyter.sandbox",
            "--port",
            "0",
            "--db",
            database,
            "--trial-credit",
            "3.50",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        yield first_line, process
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_it_prints_its_url_and_serves_there(
    shell_sandbox: tuple[str, subprocess.Popen[str]],
) -> None:
    first_line, process = shell_sandbox
    assert "infrai sandbox serving on http://127.0.0.1:" in first_line
    url = first_line.split(" serving on ")[1].split()[0]
    assert process.stdout is not None
    assert f"INFRAI_BASE_URL={url}" in process.stdout.readline()
    with httpx.Client(base_url=url, timeout=30) as client:
        account = activate(client)
        assert balance(client, account) == Decimal("3.50")


def test_a_remote_host_needs_an_explicit_flag(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "infrai_jupyter.sandbox",
        "--host",
        "0.0.0.0",
        "--db",
        str(tmp_path / "x"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("value", "says"), [("0.001", "2 decimals"), ("-1", "at least $0.00"), ("ten", "not a number")]
)
def test_a_bad_trial_credit_is_refused_in_the_words_the_magics_use(
    tmp_path: Path, value: str, says: str
) -> None:
    command = [sys.executable, "-m", "infrai_jupyter.sandbox", "--db", str(tmp_path / "x")]
    result = subprocess.run(
        [*command, "--trial-credit", value], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "--trial-credit" in result.stderr and says in result.stderr
    assert not (tmp_path / "x").exists()


def _serve(database: str, *options: str) -> tuple[str, subprocess.Popen[str]]:
    """Start the CLI on a free port; return its URL (from its first line) and process."""
    command = [sys.executable, "-m", "infrai_jupyter.sandbox", "--port", "0", "--db", database]
    process = subprocess.Popen(
        [*command, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    return process.stdout.readline().split(" serving on ")[1].split()[0], process


def test_a_request_cut_off_by_kill_9_blocks_its_key_for_no_one_after_a_restart(
    database: str,
) -> None:
    with (
        SandboxServer(settings_for(database)) as setup,
        httpx.Client(base_url=setup.url, timeout=30) as client,
    ):
        account = activate(client)
    headers = {**account.headers, "Idempotency-Key": "ik_" + "5" * 32}
    topup = {"amount_usd": 9}
    url, slow = _serve(database, "--processing-delay", "600")
    try:
        with httpx.Client(base_url=url, timeout=30) as ready:  # started, so the 2 s are its
            ready.get("/openapi.json").raise_for_status()
        # The server is still working on it when the client gives up.
        with (
            httpx.Client(base_url=url, timeout=2) as impatient,
            pytest.raises(httpx.ReadTimeout),
        ):
            impatient.post("/v1/account/topup", json=topup, headers=headers)
        with httpx.Client(base_url=url, timeout=30) as client:
            in_flight = client.post("/v1/account/topup", json=topup, headers=headers)
        assert in_flight.status_code == 409 and in_flight.headers["Retry-After"] == "1"
        slow.send_signal(signal.SIGKILL)
    finally:
        slow.kill()
        slow.communicate(timeout=30)
    url, restarted = _serve(database)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            retried = client.post("/v1/account/topup", json=topup, headers=headers)
            assert retried.status_code == 200, retried.text
            assert "Idempotent-Replayed" not in retried.headers
            listed = client.get("/v1/account/topups", headers=account.headers).json()
            assert [item["topup_id"] for item in listed["data"]["items"]] == [
                retried.json()["data"]["topup_id"]
            ]
    finally:
        restarted.terminate()
        restarted.communicate(timeout=30)


def test_a_teacher_sets_the_public_address_and_the_limits(database: str) -> None:
    url, process = _serve(
        database,
        "--public-url",
        "https://class.example/sandbox/",
        "--activations-per-minute",
        "1",
        "--pending-topup-hours",
        "0",
    )
    try:
        assert process.stdout is not None
        assert "INFRAI_BASE_URL=https://class.example/sandbox " in process.stdout.readline()
        with httpx.Client(base_url=url, timeout=30) as client:
            account = activate(client)
            assert account.activation["checkout_url"].startswith(
                "https://class.example/sandbox/add-funds/"
            )
            second = client.post("/v1/activate", json={"device_fingerprint": "f" * 32})
            assert second.status_code == 429
            topup = create_topup(client, account, 5)
            listed = client.get(f"/v1/account/topups/{topup}", headers=account.headers)
            assert listed.json()["data"]["state"] == "canceled"  # expired at once
    finally:
        process.terminate()
        process.communicate(timeout=30)
