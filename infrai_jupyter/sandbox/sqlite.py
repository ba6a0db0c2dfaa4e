"""The ``Store`` on one SQLite file: one writer connection, pooled readers, WAL.

Writes queue in this process, on one lock around one long-lived connection, instead of
in SQLite's busy handler (which sleeps and retries, so many threads contending for the
file meant long tails). Every write transaction is still ``BEGIN IMMEDIATE``: it takes
the file's write lock up front, so other processes on the same file (``--workers``, a
second server) are serialised by SQLite itself and no decision is made on a stale read.
Readers reuse idle connections from a small pool; WAL lets them read while one writes.

The schema is versioned with ``PRAGMA user_version`` and grown by appending to
``MIGRATIONS``; ``open`` upgrades an older file in place. The file is created readable
by its owner only (0600); SQLite gives its ``-wal`` and ``-shm`` files the same mode.
A file deleted or replaced under a running server is an error, never silently used.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Empty, SimpleQueue

from .i18n import N_
from .schema import SQLITE_MIGRATIONS as MIGRATIONS
from .sql import SQLITE, SqlTransaction
from .store import StoreError, StoreUnavailable, Transaction

_BUSY_TIMEOUT_MS = 30_000
_BUSY = N_("the database is busy: {error}")


class SqliteStore:
    """The ``Store`` on one SQLite file."""

    local_reads = True  # WAL readers never wait for the writer

    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        self._idle_readers: SimpleQueue[sqlite3.Connection] = SimpleQueue()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._identity: tuple[int, int] | None = None

    def open(self) -> None:
        """Create the file (owner-only) and schema on first start; migrate an older one."""
        if self._writer is not None:
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Create it before SQLite does, so it never exists with the umask's wider mode.
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        writer = self._connect()
        try:
            writer.execute("PRAGMA journal_mode = WAL")
            self._migrate(writer)
        except BaseException:
            writer.close()
            raise
        stat = self.path.stat()
        self._identity = (stat.st_dev, stat.st_ino)
        self._writer = writer

    def close(self) -> None:
        """Close every connection (the last one out lets SQLite remove -wal and -shm)."""
        with self._write_lock, self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
            self._idle_readers = SimpleQueue()
            self._writer = None

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """Run a transaction: commit on success, roll back on any exception.

        ``write=False`` reads a consistent snapshot on a pooled reader, beside the writer.
        """
        self._check_file()
        if write:
            with self._write_lock:
                if self._writer is None:
                    raise StoreError(N_("the SQLite store is not open"))
                yield from _run(self._writer, "BEGIN IMMEDIATE", write=True)
            return
        reader = self._reader()
        try:
            yield from _run(reader, "BEGIN DEFERRED", write=False)
        finally:
            self._idle_readers.put(reader)

    def _reader(self) -> sqlite3.Connection:
        try:
            return self._idle_readers.get_nowait()
        except Empty:
            reader = self._connect()
            with self._connections_lock:
                self._connections.append(reader)
            return reader

    def _check_file(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            stat = None
        if stat is None or (stat.st_dev, stat.st_ino) != self._identity:
            raise StoreError(
                N_("{path} was deleted or replaced; restart the sandbox"), path=self.path
            )

    def _migrate(self, connection: sqlite3.Connection) -> None:
        connection.execute("BEGIN IMMEDIATE")
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            connection.execute("ROLLBACK")
            raise StoreError(
                N_(
                    "{path} has schema version {version}, newer than this sandbox "
                    "understands ({known}); upgrade infrai_jupyter or use --reset"
                ),
                path=self.path,
                version=version,
                known=len(MIGRATIONS),
            )
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        connection.execute("COMMIT")

    def _connect(self) -> sqlite3.Connection:
        # mode=rw: only open() creates the file (owner-only).
        connection = sqlite3.connect(
            f"{self.path.resolve().as_uri()}?mode=rw",
            uri=True,
            timeout=_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,  # pooled: used by one thread at a time, closed by any
        )
        # Only other processes wait here: this one's writers queue on the lock.
        connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA foreign_keys = ON")
        # WAL + NORMAL: a commit survives a crash of the process, fsyncs at checkpoints.
        connection.execute("PRAGMA synchronous = NORMAL")
        return connection


def _run(connection: sqlite3.Connection, begin: str, *, write: bool) -> Iterator[Transaction]:
    try:
        connection.execute(begin)
    except sqlite3.OperationalError as error:
        raise StoreUnavailable(_BUSY, error=error) from error
    try:
        yield SqlTransaction(connection, SQLITE, write=write)
        connection.execute("COMMIT")
    except BaseException as failure:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        if isinstance(failure, sqlite3.OperationalError) and "locked" in str(failure):
            raise StoreUnavailable(_BUSY, error=failure) from failure
        raise
