"""A throwaway PostgreSQL cluster for the tests: ``initdb`` in a temporary folder, loopback only.

Debian's ``postgresql`` package provides the binaries (``scripts/ensure-postgresql``
installs it). PostgreSQL refuses to run as root, so under root the cluster belongs to the
package's ``postgres`` user and its commands run through ``runuser``. The cluster trusts
loopback connections, skips fsync (nothing in it outlives the session) and listens on a
free port and a private socket folder. Each test gets its own database, copied from a
template that already has the sandbox's schema.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from itertools import count
from pathlib import Path

import psycopg

from infrai_jupyter.sandbox.postgres import PostgresStore

MISSING = (
    "PostgreSQL's initdb and pg_ctl were not found (looked in /usr/lib/postgresql/*/bin "
    "and on PATH). Install them with scripts/ensure-postgresql (Debian's postgresql package)."
)
TEMPLATE = "sandbox_template"
SUPERUSER = "postgres"


def find_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: the newest Debian version, or PATH's."""
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    found = versions[-1] if versions else shutil.which("initdb")
    if found is None:
        return None
    folder = Path(found).resolve().parent
    return folder if (folder / "pg_ctl").exists() else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresCluster:
    """A running cluster; ``new_database()`` gives a URL to a fresh, migrated database."""

    def __init__(self, binaries: Path) -> None:
        self._binaries = binaries
        self._as_owner: list[str] = []
        self._folder = Path(tempfile.mkdtemp(prefix="infrai-pg-"))
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SUPERUSER)
            os.chown(self._folder, owner.pw_uid, owner.pw_gid)
            self._as_owner = ["runuser", "-u", SUPERUSER, "--"]
        self.port = _free_port()
        self._names = count(1)

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresCluster:
        data = self._folder / "data"
        self._run("initdb", "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8")
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self._folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
        )
        log = self._folder / "server.log"
        self._run("pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
        template = self.url(TEMPLATE)
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {TEMPLATE}")
        store = PostgresStore(template)
        store.open()
        store.close()
        return self

    def new_database(self, *, empty: bool = False) -> str:
        """A fresh database with the current schema (a copy of the template: fast)."""
        name = f"sandbox_{next(self._names)}"
        template = "template0" if empty else TEMPLATE
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        try:
            data = str(self._folder / "data")
            self._run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _run(self, program: str, *arguments: str) -> None:
        command = [*self._as_owner, str(self._binaries / program), *arguments]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self._folder / "server.log"
            server_log = log.read_text() if log.exists() else ""
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stderr}{server_log}"
            )
