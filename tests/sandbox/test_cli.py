"""``python -m infrai_jupyter.sandbox`` from a shell."""

# ruff: noqa: RUF001

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

from .conftest import (
    activate,
    balance,
    create_topup,
    english_in_terminal,
    has_chinese,
    settings_for,
    terminal_columns,
    with_locale,
)

CHINESE_LOCALES = [{"LANG": "zh_CN.UTF-8"}, {"LANGUAGE": "zh_CN:en"}]
ENGLISH_LOCALES = [{"LANG": "zh_TW.UTF-8"}, {}]
sqlite_only = pytest.mark.parametrize("sandbox_engine", ["sqlite"])


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


def _sandbox(*arguments: str, locale: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the command line to completion in ``locale`` (a terminal 80 columns wide)."""
    command = [sys.executable, "-m", "infrai_jupyter.sandbox", *arguments]
    environment = {**with_locale(**locale), "COLUMNS": "80"}
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment)


def _help(locale: dict[str, str]) -> str:
    result = _sandbox("--help", locale=locale)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("locale", CHINESE_LOCALES)
def test_the_help_speaks_chinese_in_a_chinese_locale_and_fits_the_terminal(
    locale: dict[str, str],
) -> None:
    shown = _help(locale)
    assert "要绑定的地址（回环地址）" in shown
    assert "（默认：1）" in shown  # argparse filled the translated %(default)s
    assert english_in_terminal(shown) == []
    assert max(terminal_columns(line) for line in shown.splitlines()) <= 80


@pytest.mark.parametrize("locale", ENGLISH_LOCALES)
def test_the_help_stays_english_in_traditional_chinese_and_without_a_locale(
    locale: dict[str, str],
) -> None:
    shown = _help(locale)
    assert "address to bind (loopback)" in shown and "(default: 1)" in shown
    assert not has_chinese(shown)


@pytest.mark.parametrize("locale", CHINESE_LOCALES)
def test_a_refused_option_is_explained_in_chinese(tmp_path: Path, locale: dict[str, str]) -> None:
    database = str(tmp_path / "x")
    remote = _sandbox("--host", "0.0.0.0", "--db", database, locale=locale)
    assert remote.returncode == 2
    assert "--host 0.0.0.0 不是回环地址；要绑定它，请加上 --allow-remote" in remote.stderr
    credit = _sandbox("--trial-credit", "0.001", "--db", database, locale=locale)
    assert credit.returncode == 2 and "最多保留 2 位小数（精确到美分）" in credit.stderr
    for refused in (remote, credit):
        assert english_in_terminal(refused.stderr) == [], refused.stderr
    assert not (tmp_path / "x").exists()


def test_a_refused_option_stays_english_in_traditional_chinese(tmp_path: Path) -> None:
    locale = {"LANG": "zh_TW.UTF-8"}
    result = _sandbox("--host", "0.0.0.0", "--db", str(tmp_path / "x"), locale=locale)
    assert result.returncode == 2
    assert "--host 0.0.0.0 is not loopback; add --allow-remote to bind it" in result.stderr


@sqlite_only
@pytest.mark.parametrize("locale", CHINESE_LOCALES)
def test_in_chinese_the_first_line_still_names_the_url_and_the_rest_is_chinese(
    database: str, locale: dict[str, str]
) -> None:
    """Programs read the URL from the first line in every language (teaching, benchmarks)."""
    command = [sys.executable, "-m", "infrai_jupyter.sandbox", "--port", "0", "--db", database]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=with_locale(**locale),
    )
    try:
        assert process.stdout is not None
        first, *rest = (process.stdout.readline() for _ in range(4))
        assert first.startswith("infrai sandbox serving on http://127.0.0.1:")
        url = first.split(" serving on ")[1].split()[0]
        assert first.rstrip().endswith(f"（数据库：{database}）")
        assert f"INFRAI_BASE_URL={url}" in rest[0] and "让笔记本连接到这里" in rest[0]
        assert f"{url}/admin" in rest[1] and "管理员令牌" in rest[1]
        assert rest[2].strip() == "按 Ctrl-C 停止。"
        assert english_in_terminal("".join(rest)) == []
        with httpx.Client(base_url=url, timeout=30) as client:
            assert balance(client, activate(client)) == Decimal("2.00")
    finally:
        process.terminate()
        process.communicate(timeout=30)
