"""The ``Transaction`` in SQL both engines run: SQLite and PostgreSQL differ only in a ``Dialect``.

Statements are written once with ``?`` parameters and portable SQL (``INSERT … ON CONFLICT``,
``RETURNING``-free row counts). A ``Dialect`` says how the engine spells parameters and how a
write transaction claims what it is about to decide on: SQLite needs nothing (``BEGIN
IMMEDIATE`` already made the transaction the only writer), PostgreSQL locks the rows it
reads (``FOR UPDATE``) and the idempotency key it looks up (an advisory lock, because the
row may not exist yet), so two processes never decide on the same stale state.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import Any, Protocol

from infrai_jupyter.contract import TopupState

from .store import Account, IdempotencyRecord, Instance, LedgerEntry, ProjectKey, Topup


class Cursor(Protocol):
    """What both drivers' cursors offer (sqlite3 and psycopg)."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, query: Any, params: Sequence[Any] = ..., /) -> Any: ...


@dataclass(frozen=True)
class Dialect:
    """How one engine spells what differs.

    ``insertion_order``: a column that grows with each insert (SQLite's ``rowid``, a
    PostgreSQL identity column), to order rows made in the same microsecond.
    ``lock_rows``: appended to a write transaction's reads of rows it may change.
    ``lock_key``: a statement serialising write transactions on one text key, or None.
    """

    name: str
    placeholder: str
    insertion_order: str
    lock_rows: str = ""
    lock_key: str | None = None


SQLITE = Dialect("sqlite", "?", "rowid")
POSTGRES = Dialect(
    "postgresql",
    "%s",
    "seq",
    lock_rows=" FOR UPDATE",
    lock_key="SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
)


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


class SqlTransaction:
    """``Transaction`` on an open connection inside a transaction of either engine."""

    def __init__(self, connection: Connection, dialect: Dialect, *, write: bool) -> None:
        self._connection = connection
        self._dialect = dialect
        self._lock = dialect.lock_rows if write else ""
        self._write = write

    def _run(self, query: str, params: Sequence[Any] = ()) -> Cursor:
        if self._dialect.placeholder != "?":
            query = query.replace("?", self._dialect.placeholder)
        cursor: Cursor = self._connection.execute(query, params)
        return cursor

    def get_idempotency(self, scope: str, key_hash: str) -> IdempotencyRecord | None:
        if self._write and self._dialect.lock_key:
            self._run(self._dialect.lock_key, (f"idempotency {scope} {key_hash}",))
        row = self._run(
            f"SELECT {_IDEMPOTENCY_COLUMNS} FROM idempotency WHERE scope = ? AND key_hash = ?",
            (scope, key_hash),
        ).fetchone()
        return IdempotencyRecord(*row) if row else None

    def put_idempotency(self, record: IdempotencyRecord) -> None:
        self._run(
            f"INSERT INTO idempotency ({_IDEMPOTENCY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (scope, key_hash) DO UPDATE SET request_hash = excluded.request_hash,"
            " token = excluded.token, owner = excluded.owner, state = excluded.state,"
            " created_at = excluded.created_at, status_code = excluded.status_code,"
            " response = excluded.response",
            astuple(record),
        )

    def delete_idempotency(self, scope: str, key_hash: str, token: str) -> None:
        self._run(
            "DELETE FROM idempotency WHERE scope = ? AND key_hash = ? AND token = ?",
            (scope, key_hash, token),
        )

    def save_instance(self, instance: Instance) -> None:
        """Register an instance or renew its heartbeat."""
        self._run(
            f"INSERT INTO instances ({_INSTANCE_COLUMNS}) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
            astuple(instance),
        )

    def get_instance(self, instance_id: str) -> Instance | None:
        row = self._run(
            f"SELECT {_INSTANCE_COLUMNS} FROM instances WHERE instance_id = ?", (instance_id,)
        ).fetchone()
        return Instance(*row) if row else None

    def list_instances(self) -> list[Instance]:
        rows = self._run(f"SELECT {_INSTANCE_COLUMNS} FROM instances").fetchall()
        return [Instance(*row) for row in rows]

    def forget_instance(self, instance_id: str) -> None:
        """Drop an instance and release the reservations its requests still hold."""
        self._run("DELETE FROM idempotency WHERE state = 'in_flight' AND owner = ?", (instance_id,))
        self._run("DELETE FROM instances WHERE instance_id = ?", (instance_id,))

    def ensure_secret(self, name: str, candidate: bytes) -> bytes:
        """The secret called ``name``: ``candidate`` if none was stored yet (first start)."""
        self._run(
            "INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, candidate),
        )
        row = self._run("SELECT value FROM server_secrets WHERE name = ?", (name,)).fetchone()
        return bytes(row[0])

    def insert_account(self, account: Account) -> None:
        self._run(
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
        self._run("UPDATE accounts SET tier = ? WHERE account_id = ?", (tier, account_id))

    def claim_trial(self, fingerprint_hash: str, account_id: str, at: datetime) -> bool:
        cursor = self._run(
            "INSERT INTO trials (fingerprint_hash, account_id, granted_at) VALUES (?, ?, ?)"
            " ON CONFLICT (fingerprint_hash) DO NOTHING",
            (fingerprint_hash, account_id, _timestamp(at)),
        )
        return cursor.rowcount == 1

    def post_ledger(
        self, account_id: str, amount_cents: int, reason: str, reference: str, at: datetime
    ) -> bool:
        """Move money once: a second entry with the same (reason, reference) is a no-op."""
        cursor = self._run(
            "INSERT INTO ledger (account_id, amount_cents, reason, reference, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (reason, reference) DO NOTHING",
            (account_id, amount_cents, reason, reference, _timestamp(at)),
        )
        if cursor.rowcount != 1:
            return False
        self._run(
            "UPDATE accounts SET balance_cents = balance_cents + ? WHERE account_id = ?",
            (amount_cents, account_id),
        )
        return True

    def insert_key(self, key: ProjectKey, key_hash: str) -> None:
        self._run(
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
        rows = self._run(
            f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE account_id = ? ORDER BY created_at, key_id",
            (account_id,),
        ).fetchall()
        return [_key(row) for row in rows]

    def insert_topup(self, topup: Topup) -> None:
        created_at = _timestamp(topup.created_at)
        self._run(
            f"INSERT INTO topups ({_TOPUP_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*astuple(topup)[:-1], created_at, created_at),
        )

    def get_topup(self, topup_id: str) -> Topup | None:
        row = self._run(
            f"SELECT {_TOPUP_COLUMNS} FROM topups WHERE topup_id = ?{self._lock}", (topup_id,)
        ).fetchone()
        return _topup(row) if row else None

    def list_topups(self, account_id: str) -> list[Topup]:
        rows = self._run(
            f"SELECT {_TOPUP_COLUMNS} FROM topups WHERE account_id = ?"
            f" ORDER BY created_at DESC, {self._dialect.insertion_order} DESC",
            (account_id,),
        ).fetchall()
        return [_topup(row) for row in rows]

    def set_topup_state(self, topup_id: str, state: TopupState, at: datetime) -> None:
        self._run(
            "UPDATE topups SET state = ?, updated_at = ? WHERE topup_id = ?",
            (state, _timestamp(at), topup_id),
        )

    def list_accounts(self) -> list[Account]:
        rows = self._run(
            f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY created_at, account_id"
        ).fetchall()
        return [_account(row) for row in rows]

    def list_ledger(self) -> list[LedgerEntry]:
        rows = self._run(
            "SELECT entry_id, account_id, amount_cents, reason, reference, created_at"
            " FROM ledger ORDER BY entry_id"
        ).fetchall()
        return [LedgerEntry(*row) for row in rows]

    def cancel_pending_topups(self, at: datetime) -> int:
        """Cancel every top-up still waiting for payment; return how many."""
        cursor = self._run(
            "UPDATE topups SET state = 'canceled', updated_at = ? WHERE state = 'requires_payment'",
            (_timestamp(at),),
        )
        return cursor.rowcount

    def empty_class(self) -> None:
        """Delete every account and what hangs off it; running instances and the secret stay."""
        for table in ("ledger", "trials", "api_keys", "topups", "idempotency", "scenarios"):
            self._run(f"DELETE FROM {table}")
        self._run("DELETE FROM accounts")

    def get_scenarios(self) -> dict[str, int]:
        rows = self._run("SELECT name, value FROM scenarios").fetchall()
        return {name: int(value) for name, value in rows}

    def set_scenario(self, name: str, value: int) -> None:
        self._run(
            "INSERT INTO scenarios (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def consume_scenario(self, name: str) -> bool:
        """Use one of a counted scenario's remaining occurrences, if any is left."""
        cursor = self._run(
            "UPDATE scenarios SET value = value - 1 WHERE name = ? AND value > 0", (name,)
        )
        return cursor.rowcount == 1

    def _one_account(self, condition: str, value: str) -> Account | None:
        row = self._run(
            f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE {condition}{self._lock}", (value,)
        ).fetchone()
        return _account(row) if row else None
