"""A throwaway PostgreSQL cluster for the benchmarks: a temp dir, loopback, trust auth.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres``
user (``runuser -u postgres --``). It listens on 127.0.0.1 on a free port with its
socket in the same temp dir, and is stopped (fast mode) and deleted on leaving the block.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_TIMEOUT_S = 60


def unavailable() -> str | None:
    """Why no cluster can be started here, or ``None``."""
    missing = [tool for tool in ("initdb", "pg_ctl") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found (install PostgreSQL)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser"
    return None


@contextmanager
def cluster() -> Iterator[str]:
    """Start a fresh cluster; yield its ``postgresql://`` URL."""
    folder = Path(tempfile.mkdtemp(prefix="infrai-bench-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data = folder / "data"
    port = _free_port()
    _run([*as_owner, "initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
    options = f"-h 127.0.0.1 -p {port} -k {folder}"
    log = folder / "postgres.log"
    _run([*as_owner, "pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "start"])
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        _run([*as_owner, "pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=_TIMEOUT_S)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def create_database(cluster_url: str, name: str) -> str:
    """A new empty database in the cluster; its URL."""
    import psycopg  # only where PostgreSQL is benchmarked

    with psycopg.connect(cluster_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return cluster_url.rsplit("/", 1)[0] + f"/{name}"
