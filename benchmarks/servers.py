"""Servers as child processes: the real sandbox CLI and the bare baseline app.

Both announce ``serving on http://…`` on their first line, as the sandbox CLI does.
Their output goes to a log file, never a pipe: uvicorn's access log would fill an unread
pipe and stall the server mid-benchmark. Every server is stopped on leaving the block.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0
_ANNOUNCEMENT = re.compile(r"serving on (http://\S+)")


@contextmanager
def serve(command: Sequence[str], log_path: Path) -> Iterator[str]:
    """Run ``command``; yield its announced URL once it answers HTTP; stop it after."""
    env = {**os.environ, "HOME": str(log_path.parent)}  # never the real ~/.infrai
    env.pop("INFRAI_API_KEY", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env
        )
    try:
        yield _wait_until_serving(process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT_S)


def _wait_until_serving(process: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + _START_TIMEOUT_S
    url = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log_path.name}: the server exited:\n{log_path.read_text()}")
        if not url:
            announced = _ANNOUNCEMENT.search(log_path.read_text(errors="replace"))
            url = announced.group(1) if announced else ""
        if url:
            try:
                httpx.get(url, timeout=5)  # any answer will do: the workers are up
                return url
            except httpx.TransportError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"{log_path.name}: not serving after {_START_TIMEOUT_S:.0f} s")


def sandbox_command(database: str, workers: int) -> list[str]:
    """The sandbox CLI on a free loopback port, with no per-address activation limit
    (every simulated student comes from 127.0.0.1)."""
    command = [sys.executable, "-m", "infrai_jupyter.sandbox", "--port", "0", "--db", database]
    command += ["--activations-per-minute", "0"]
    if workers != 1:
        command += ["--workers", str(workers)]
    return command


def baseline_command(workers: int) -> list[str]:
    """The bare FastAPI app (``benchmarks.baseline``) on the same uvicorn set-up."""
    return [sys.executable, "-m", "benchmarks.baseline", "--port", "0", "--workers", str(workers)]


@cache
def sandbox_help() -> str:
    """The CLI's ``--help``: what it supports today (workers, PostgreSQL)."""
    return subprocess.run(
        [sys.executable, "-m", "infrai_jupyter.sandbox", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    ).stdout


def unsupported(engine: str, workers: int) -> str | None:
    """Why the CLI cannot run this engine and worker count, or ``None`` if it can."""
    text = sandbox_help()
    if engine == "postgresql" and "postgresql" not in text.lower():
        return "the sandbox CLI does not accept a postgresql:// --db yet"
    if workers != 1 and "--workers" not in text:
        return "the sandbox CLI has no --workers option yet"
    return None
