"""Storage: the ``Store`` interface and its SQLite implementation, the only SQL in the sandbox.

The interface is a unit of work: ``store.transaction()`` yields a ``Transaction`` whose
changes commit together or not at all. Business rules live elsewhere, so a PostgreSQL
store (on the roadmap for classrooms) only has to implement these two protocols.

SQLite specifics: WAL so readers never block the writer; every write transaction is
``BEGIN IMMEDIATE``, which takes the write lock up front, so two requests touching one
balance are serialised instead of both reading the old value; a connection per
transaction (no connection shared between threads); money in integer cents; the schema
is versioned with ``PRAGMA user_version`` and grown by appending to ``MIGRATIONS``. The
file is created readable by its owner only (0600); SQLite gives its ``-wal`` and ``-shm``
files the same mode.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import astuple, dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from infrai_jupyter.contract import TopupState

IdempotencyState = Literal["in_flight", "done"]


class StoreError(RuntimeError):
    """The database cannot be used (for example: written by a newer sandbox)."""


@dataclass(frozen=True)
class Account:
    account_id: str
    project_id: str
    tier: str
    balance_cents: int
    region: str
    funding_token: str
    created_at: datetime


@dataclass(frozen=True)
class ProjectKey:
    key_id: str
    account_id: str
    label: str
    scopes: tuple[str, ...]
    masked_key: str
    created_at: datetime


@dataclass(frozen=True)
class Topup:
    topup_id: str
    account_id: str
    amount_cents: int
    state: TopupState
    return_url: str | None
    created_at: datetime


@dataclass(frozen=True)
class IdempotencyRecord:
    """One idempotency key: who reserved it, for which body, and the response once done.

    ``owner`` is the instance (see ``Instance``) whose request holds the reservation.
    """

    scope: str
    key_hash: str
    request_hash: str
    token: str
    owner: str
    state: IdempotencyState
    created_at: float
    status_code: int | None = None
    response: str | None = None


@dataclass(frozen=True)
class Instance:
    """A running sandbox process (or app) serving from this database, and its last heartbeat."""

    instance_id: str
    host: str
    pid: int
    heartbeat_at: float


class Transaction(Protocol):
    """The operations the sandbox needs, all inside one transaction."""

    def get_idempotency(self, scope: str, key_hash: str) -> IdempotencyRecord | None: ...
    def put_idempotency(self, record: IdempotencyRecord) -> None: ...
    def delete_idempotency(self, scope: str, key_hash: str, token: str) -> None: ...
    def save_instance(self, instance: Instance) -> None: ...
    def get_instance(self, instance_id: str) -> Instance | None: ...
    def list_instances(self) -> list[Instance]: ...
    def forget_instance(self, instance_id: str) -> None: ...
    def ensure_secret(self, name: str, candidate: bytes) -> bytes: ...
    def insert_account(self, account: Account) -> None: ...
    def get_account(self, account_id: str) -> Account | None: ...
    def find_account_by_key(self, key_hash: str) -> Account | None: ...
    def find_account_by_funding_token(self, funding_token: str) -> Account | None: ...
    def set_tier(self, account_id: str, tier: str) -> None: ...
    def claim_trial(self, fingerprint_hash: str, account_id: str, at: datetime) -> bool: ...
    def post_ledger(
        self, account_id: str, amount_cents: int, reason: str, reference: str, at: datetime
    ) -> bool: ...
    def insert_key(self, key: ProjectKey, key_hash: str) -> None: ...
    def list_keys(self, account_id: str) -> list[ProjectKey]: ...
    def insert_topup(self, topup: Topup) -> None: ...
    def get_topup(self, topup_id: str) -> Topup | None: ...
    def list_topups(self, account_id: str) -> list[Topup]: ...
    def set_topup_state(self, topup_id: str, state: TopupState, at: datetime) -> None: ...


class Store(Protocol):
    """A database the sandbox can open and run transactions against."""

    def open(self) -> None: ...
    def transaction(self, *, write: bool = True) -> AbstractContextManager[Transaction]: ...


MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE accounts (
            account_id TEXT PRIMARY KEY, project_id TEXT NOT NULL UNIQUE,
            tier TEXT NOT NULL, balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0),
            region TEXT NOT NULL, funding_token TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)""",
        """CREATE TABLE api_keys (
            key_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts,
            key_hash TEXT NOT NULL UNIQUE, label TEXT NOT NULL, scopes TEXT NOT NULL,
            masked_key TEXT NOT NULL, created_at TEXT NOT NULL)""",
        "CREATE INDEX api_keys_by_account ON api_keys (account_id, created_at)",
        """CREATE TABLE trials (
            fingerprint_hash TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts, granted_at TEXT NOT NULL)""",
        """CREATE TABLE ledger (
            entry_id INTEGER PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts,
            amount_cents INTEGER NOT NULL, reason TEXT NOT NULL, reference TEXT NOT NULL,
            created_at TEXT NOT NULL, UNIQUE (reason, reference))""",
        """CREATE TABLE topups (
            topup_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts,
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            state TEXT NOT NULL, return_url TEXT, created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX topups_by_account ON topups (account_id, created_at)",
        """CREATE TABLE idempotency (
            scope TEXT NOT NULL, key_hash TEXT NOT NULL, request_hash TEXT NOT NULL,
            token TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL,
            status_code INTEGER, sealed_response TEXT, PRIMARY KEY (scope, key_hash))""",
    ),
    (
        # Replays are stored plainly now; rows sealed by version 1 cannot be read, and a
        # lost replay only means a retry after the upgrade runs as a new request.
        "DROP TABLE idempotency",
        """CREATE TABLE idempotency (
            scope TEXT NOT NULL, key_hash TEXT NOT NULL, request_hash TEXT NOT NULL,
            token TEXT NOT NULL, owner TEXT NOT NULL, state TEXT NOT NULL,
            created_at REAL NOT NULL, status_code INTEGER, response TEXT,
            PRIMARY KEY (scope, key_hash))""",
        "CREATE INDEX idempotency_in_flight ON idempotency (owner) WHERE state = 'in_flight'",
        """CREATE TABLE instances (
            instance_id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,
            heartbeat_at REAL NOT NULL)""",
        "CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
    ),
)
"""Schema version N is ``MIGRATIONS[:N]``; a release that changes the schema appends."""

_BUSY_TIMEOUT_MS = 30_000


class SqliteStore:
    """The ``Store`` on one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self) -> None:
        """Create the file (owner-only) and schema on first start; migrate an older one."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Create it before SQLite does, so it never exists with the umask's wider mode.
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        connection = self._connect()
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("BEGIN IMMEDIATE")
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                connection.execute("ROLLBACK")
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this sandbox "
                    f"understands ({len(MIGRATIONS)}); upgrade infrai_jupyter or use --reset"
                )
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
            connection.execute("COMMIT")
        finally:
            connection.close()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """Run a transaction: commit on success, roll back on any exception.

        ``write=False`` reads a consistent snapshot without taking the write lock.
        """
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")
            try:
                yield SqliteTransaction(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        # mode=rw: only open() creates the file (owner-only); a database deleted under a
        # running server is an error, not a new empty file with the umask's mode.
        connection = sqlite3.connect(
            f"{self.path.resolve().as_uri()}?mode=rw",
            uri=True,
            timeout=_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
        )
        connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA foreign_keys = ON")
        # WAL + NORMAL: a commit survives a crash of the process, fsyncs at checkpoints.
        connection.execute("PRAGMA synchronous = NORMAL")
        return connection


def _timestamp(value: datetime) -> str:
    return value.isoformat()


def _account(row: tuple[str, str, str, int, str, str, str]) -> Account:
    return Account(*row[:6], created_at=datetime.fromisoformat(row[6]))


def _key(row: tuple[str, str, str, str, str, str]) -> ProjectKey:
    key_id, account_id, label, scopes, masked_key, created_at = row
    return ProjectKey(
        key_id,
        account_id,
        label,
        tuple(json.loads(scopes)),
        masked_key,
        datetime.fromisoformat(created_at),
    )


def _topup(row: tuple[str, str, int, TopupState, str | None, str]) -> Topup:
    return Topup(*row[:5], created_at=datetime.fromisoformat(row[5]))


_ACCOUNT_COLUMNS = "account_id, project_id, tier, balance_cents, region, funding_token, created_at"
_KEY_COLUMNS = "key_id, account_id, label, scopes, masked_key, created_at"
_TOPUP_COLUMNS = "topup_id, account_id, amount_cents, state, return_url, created_at"
_IDEMPOTENCY_COLUMNS = (
    "scope, key_hash, request_hash, token, owner, state, created_at, status_code, response"
)
_INSTANCE_COLUMNS = "instance_id, host, pid, heartbeat_at"


class SqliteTransaction:
    """``Transaction`` on an open SQLite connection inside ``BEGIN IMMEDIATE``."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def get_idempotency(self, scope: str, key_hash: str) -> IdempotencyRecord | None:
        row = self._db.execute(
            f"SELECT {_IDEMPOTENCY_COLUMNS} FROM idempotency WHERE scope = ? AND key_hash = ?",
            (scope, key_hash),
        ).fetchone()
        return IdempotencyRecord(*row) if row else None

    def put_idempotency(self, record: IdempotencyRecord) -> None:
        self._db.execute(
            f"INSERT OR REPLACE INTO idempotency ({_IDEMPOTENCY_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            astuple(record),
        )

    def delete_idempotency(self, scope: str, key_hash: str, token: str) -> None:
        self._db.execute(
            "DELETE FROM idempotency WHERE scope = ? AND key_hash = ? AND token = ?",
            (scope, key_hash, token),
        )

    def save_instance(self, instance: Instance) -> None:
        """Register an instance or renew its heartbeat."""
        self._db.execute(
            f"INSERT INTO instances ({_INSTANCE_COLUMNS}) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
            astuple(instance),
        )

    def get_instance(self, instance_id: str) -> Instance | None:
        row = self._db.execute(
            f"SELECT {_INSTANCE_COLUMNS} FROM instances WHERE instance_id = ?", (instance_id,)
        ).fetchone()
        return Instance(*row) if row else None

    def list_instances(self) -> list[Instance]:
        rows = self._db.execute(f"SELECT {_INSTANCE_COLUMNS} FROM instances").fetchall()
        return [Instance(*row) for row in rows]

    def forget_instance(self, instance_id: str) -> None:
        """Drop an instance and release the reservations its requests still hold."""
        self._db.execute(
            "DELETE FROM idempotency WHERE state = 'in_flight' AND owner = ?", (instance_id,)
        )
        self._db.execute("DELETE FROM instances WHERE instance_id = ?", (instance_id,))

    def ensure_secret(self, name: str, candidate: bytes) -> bytes:
        """The secret called ``name``: ``candidate`` if none was stored yet (first start)."""
        self._db.execute(
            "INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, candidate),
        )
        row = self._db.execute(
            "SELECT value FROM server_secrets WHERE name = ?", (name,)
        ).fetchone()
        return bytes(row[0])

    def insert_account(self, account: Account) -> None:
        self._db.execute(
            f"INSERT INTO accounts ({_ACCOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*astuple(account)[:-1], _timestamp(account.created_at)),
        )

    def get_account(self, account_id: str) -> Account | None:
        return self._one_account("account_id = ?", account_id)

    def find_account_by_key(self, key_hash: str) -> Account | None:
        return self._one_account(
            "account_id = (SELECT account_id FROM api_keys WHERE key_hash = ?)", key_hash
        )

    def find_account_by_funding_token(self, funding_token: str) -> Account | None:
        return self._one_account("funding_token = ?", funding_token)

    def set_tier(self, account_id: str, tier: str) -> None:
        self._db.execute("UPDATE accounts SET tier = ? WHERE account_id = ?", (tier, account_id))

    def claim_trial(self, fingerprint_hash: str, account_id: str, at: datetime) -> bool:
        cursor = self._db.execute(
            "INSERT INTO trials (fingerprint_hash, account_id, granted_at) VALUES (?, ?, ?)"
            " ON CONFLICT (fingerprint_hash) DO NOTHING",
            (fingerprint_hash, account_id, _timestamp(at)),
        )
        return cursor.rowcount == 1

    def post_ledger(
        self, account_id: str, amount_cents: int, reason: str, reference: str, at: datetime
    ) -> bool:
        """Move money once: a second entry with the same (reason, reference) is a no-op."""
        cursor = self._db.execute(
            "INSERT INTO ledger (account_id, amount_cents, reason, reference, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (reason, reference) DO NOTHING",
            (account_id, amount_cents, reason, reference, _timestamp(at)),
        )
        if cursor.rowcount != 1:
            return False
        self._db.execute(
            "UPDATE accounts SET balance_cents = balance_cents + ? WHERE account_id = ?",
            (amount_cents, account_id),
        )
        return True

    def insert_key(self, key: ProjectKey, key_hash: str) -> None:
        self._db.execute(
            f"INSERT INTO api_keys ({_KEY_COLUMNS}, key_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                *astuple(key)[:3],
                json.dumps(key.scopes),
                key.masked_key,
                _timestamp(key.created_at),
                key_hash,
            ),
        )

    def list_keys(self, account_id: str) -> list[ProjectKey]:
        rows = self._db.execute(
            f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE account_id = ? ORDER BY created_at, key_id",
            (account_id,),
        ).fetchall()
        return [_key(row) for row in rows]

    def insert_topup(self, topup: Topup) -> None:
        created_at = _timestamp(topup.created_at)
        self._db.execute(
            f"INSERT INTO topups ({_TOPUP_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*astuple(topup)[:-1], created_at, created_at),
        )

    def get_topup(self, topup_id: str) -> Topup | None:
        row = self._db.execute(
            f"SELECT {_TOPUP_COLUMNS} FROM topups WHERE topup_id = ?", (topup_id,)
        ).fetchone()
        return _topup(row) if row else None

    def list_topups(self, account_id: str) -> list[Topup]:
        rows = self._db.execute(
            f"SELECT {_TOPUP_COLUMNS} FROM topups WHERE account_id = ?"
            " ORDER BY created_at DESC, rowid DESC",
            (account_id,),
        ).fetchall()
        return [_topup(row) for row in rows]

    def set_topup_state(self, topup_id: str, state: TopupState, at: datetime) -> None:
        self._db.execute(
            "UPDATE topups SET state = ?, updated_at = ? WHERE topup_id = ?",
            (state, _timestamp(at), topup_id),
        )

    def _one_account(self, condition: str, value: str) -> Account | None:
        row = self._db.execute(
            f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE {condition}", (value,)
        ).fetchone()
        return _account(row) if row else None
