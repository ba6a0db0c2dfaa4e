"""PostgreSQL for the benchmarks: the very throwaway cluster the tests start.

``tests/sandbox/postgres_cluster.py`` runs ``initdb`` in a temporary folder (as the
``postgres`` user when root), listens on 127.0.0.1 on a free port, trusts loopback and
gives each caller a fresh database with the sandbox's schema. Like the tests' cluster it
skips fsync and synchronous commit: nothing in it outlives the run, and SQLite's WAL with
``synchronous = NORMAL`` does not sync each commit either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


def unavailable() -> str | None:
    """Why no cluster can be started here, or ``None``."""
    try:
        from tests.sandbox.postgres_cluster import MISSING, find_binaries
    except ImportError as error:
        return f"the tests' PostgreSQL cluster helper cannot be imported ({error})"
    return None if find_binaries() else MISSING


@contextmanager
def cluster() -> Iterator[Callable[[], str]]:
    """Start a cluster; yield a factory of URLs to fresh databases; stop it after."""
    from tests.sandbox.postgres_cluster import PostgresCluster, find_binaries

    binaries = find_binaries()
    if binaries is None:
        raise RuntimeError(unavailable())
    running = PostgresCluster(binaries).start()
    try:
        yield running.new_database
    finally:
        running.stop()
