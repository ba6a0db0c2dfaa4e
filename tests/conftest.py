"""Fixtures for the whole suite: a real sandbox server on loopback, one per test.

``sandbox`` is a started ``SandboxServer`` on a fresh SQLite file; ``sandbox_factory``
starts one with settings overrides, e.g. ``sandbox_factory(processing_delay_seconds=1)``.
Servers are stopped (and their ports freed) when the test ends. ``tests/sandbox``
overrides ``sandbox_database`` to run each of its tests on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infrai_jupyter.sandbox import SandboxServer, SandboxSettings

SandboxFactory = Callable[..., SandboxServer]

# The suite reads English unless a test asks for another language: a developer's
# zh_CN locale must not turn every assertion on a card's wording red. LANGUAGE is the
# variable gettext (and the package) reads first and the C library's locale ignores;
# kernels and notebooks started by the tests inherit it.
os.environ["LANGUAGE"] = "en"


@pytest.fixture
def sandbox_database() -> str | None:
    """The PostgreSQL URL sandboxes keep their data in, or None: a SQLite file per test."""
    return None


@pytest.fixture
def sandbox_factory(tmp_path: Path, sandbox_database: str | None) -> Iterator[SandboxFactory]:
    """Start sandboxes with ``SandboxSettings`` overrides; the default db is per test."""
    servers: list[SandboxServer] = []

    def start(**overrides: Any) -> SandboxServer:
        overrides.setdefault("db_path", tmp_path / "sandbox.sqlite3")
        overrides.setdefault("database_url", sandbox_database)
        server = SandboxServer(SandboxSettings(**overrides)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> SandboxServer:
    """A running sandbox with default settings ($2.00 trial, no rate limit)."""
    return sandbox_factory()
