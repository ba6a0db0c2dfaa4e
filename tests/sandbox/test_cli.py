"""``python -m infrai_jupyter.sandbox`` from a shell."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from .conftest import activate, balance


@pytest.fixture
def shell_sandbox(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infrai_jupyter.sandbox",
            "--port",
            "0",
            "--db",
            str(tmp_path / "cli.sqlite3"),
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
