"""The ``Store`` on PostgreSQL: psycopg 3, one connection pool per process.

The pool opens with the store (in the app's lifespan) and closes with it. Each
transaction borrows a connection: ``with pool.connection() as conn, conn.transaction()``.
Correctness across processes comes from the database (see ``sql.POSTGRES``): write
transactions lock the rows they decide on and the idempotency key they look up, at the
default READ COMMITTED isolation. A lost connection, a pool that stays exhausted, a
deadlock the server broke: each rolls the transaction back and surfaces as
``StoreUnavailable`` (a retriable 503), never as a half-done change.

The schema version lives in a ``schema_version`` table; ``open`` upgrades in place
under an advisory lock, so workers starting together migrate once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool

from .i18n import N_
from .schema import POSTGRES_MIGRATIONS as MIGRATIONS
from .sql import POSTGRES, SqlTransaction
from .store import StoreError, StoreUnavailable, Transaction, describe

POOL_SIZE = 10
"""Connections per process: enough for uvicorn's thread pool to keep the database busy."""

_CONNECT_TIMEOUT_SECONDS = 10.0
_MIGRATION_LOCK = 0x1F5A_5A4D  # any constant: the advisory lock migrations take


class PostgresStore:
    """The ``Store`` on one PostgreSQL database, named by a ``postgresql://`` URL."""

    local_reads = False  # a round trip to the server: never on the event loop

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self._pool_size = pool_size
        self._pool: ConnectionPool[psycopg.Connection[tuple[object, ...]]] | None = None

    def open(self) -> None:
        """Connect and bring the schema up to date; raise ``StoreError`` if unreachable."""
        if self._pool is not None:
            return
        pool: ConnectionPool[psycopg.Connection[tuple[object, ...]]] = ConnectionPool(
            self.url,
            min_size=1,
            max_size=self._pool_size,
            kwargs={"autocommit": True},
            timeout=_CONNECT_TIMEOUT_SECONDS,
            open=False,
        )
        try:
            pool.open(wait=True, timeout=_CONNECT_TIMEOUT_SECONDS)
            with pool.connection() as connection, connection.transaction():
                self._migrate(connection)
        except psycopg.Error as error:
            pool.close()
            raise StoreError(
                N_("cannot use {database}: {error}"), database=describe(self.url), error=error
            ) from error
        except BaseException:
            pool.close()
            raise
        self._pool = pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """Run a transaction: commit on success, roll back on any exception."""
        if self._pool is None:
            raise StoreError(N_("the PostgreSQL store is not open"))
        try:
            with self._pool.connection() as connection, connection.transaction():
                yield SqlTransaction(connection, POSTGRES, write=write)
        except psycopg.OperationalError as error:  # includes lost connections, pool timeouts
            raise StoreUnavailable(N_("PostgreSQL: {error}"), error=error) from error

    def _migrate(self, connection: psycopg.Connection[tuple[object, ...]]) -> None:
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = connection.execute("SELECT max(version) FROM schema_version").fetchone()
        version = int(row[0]) if row and row[0] is not None else 0  # type: ignore[call-overload]
        if version > len(MIGRATIONS):
            raise StoreError(
                N_(
                    "{database} has schema version {version}, newer than this sandbox "
                    "understands ({known}); upgrade infrai_jupyter"
                ),
                database=describe(self.url),
                version=version,
                known=len(MIGRATIONS),
            )
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                connection.execute(statement)
        connection.execute("DELETE FROM schema_version")
        connection.execute("INSERT INTO schema_version VALUES (%s)", (len(MIGRATIONS),))
