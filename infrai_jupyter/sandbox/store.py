"""Storage: the ``Store`` interface, its domain records, and the choice of engine.

The interface is a unit of work: ``store.transaction()`` yields a ``Transaction`` whose
changes commit together or not at all. Business rules live elsewhere; the SQL lives in
``sql`` (shared by both engines), ``sqlite`` and ``postgres`` (connections, schema).

Both engines give a write transaction the same guarantee, from the database rather than
from a lock in this process, so several processes on one database stay correct: SQLite
serialises writers (``BEGIN IMMEDIATE``); PostgreSQL locks the rows a write transaction
reads (``SELECT … FOR UPDATE``) and the idempotency key it decides on (an advisory
transaction lock). Money is integer cents; a ledger entry is unique per
(reason, reference), so no payment is ever credited twice.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

from infrai_jupyter.contract import TopupState

from .i18n import ENGLISH_LANGUAGE, PageLanguage, render

IdempotencyState = Literal["in_flight", "done"]


class StoreError(RuntimeError):
    """The database cannot be used (for example: written by a newer sandbox).

    ``str()`` is English, for logs; ``template`` (English with ``{placeholders}``, marked
    ``N_`` where raised) and ``params`` let the command line say it in the teacher's
    language (:meth:`message_in`).
    """

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(render(ENGLISH_LANGUAGE, template, params))

    def message_in(self, language: PageLanguage) -> str:
        return render(language, self.template, self.params)


class StoreUnavailable(StoreError):
    """The database is busy or unreachable for now: the request may be retried.

    A lost connection, a lock another process held too long, a deadlock or
    serialisation failure the database broke: the transaction was rolled back.
    """


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
class LedgerEntry:
    """One movement of money: positive credits, negative debits."""

    entry_id: int
    account_id: str
    amount_cents: int
    reason: str
    reference: str
    created_at: str


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
    def list_accounts(self) -> list[Account]: ...
    def list_ledger(self) -> list[LedgerEntry]: ...
    def cancel_pending_topups(self, at: datetime) -> int: ...
    def empty_class(self) -> None: ...
    def get_scenarios(self) -> dict[str, int]: ...
    def set_scenario(self, name: str, value: int) -> None: ...
    def consume_scenario(self, name: str) -> bool: ...


class Store(Protocol):
    """A database the sandbox can open, run transactions against, and close.

    ``local_reads`` says a read transaction is a short local read that never waits for a
    writer (SQLite in WAL mode), so the API may run it on the event loop instead of paying
    a thread hop per request; a networked database's reads go to the thread pool.
    """

    local_reads: bool

    def open(self) -> None: ...
    def close(self) -> None: ...
    def transaction(self, *, write: bool = True) -> AbstractContextManager[Transaction]: ...


def is_postgres_url(database: str) -> bool:
    """Whether ``--db`` names a PostgreSQL database rather than a SQLite file."""
    return database.startswith(("postgresql://", "postgres://"))


def describe(database: str | Path) -> str:
    """``database`` fit to print: a PostgreSQL URL without its password."""
    if isinstance(database, Path) or not is_postgres_url(database):
        return str(database)
    parts = urlsplit(database)
    if parts.password is None:
        return database
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def open_store(database: str | Path) -> Store:
    """The store for ``database`` (a SQLite path or a PostgreSQL URL), not yet opened."""
    if isinstance(database, str) and is_postgres_url(database):
        from .postgres import PostgresStore  # psycopg is needed only for PostgreSQL

        return PostgresStore(database)
    from .sqlite import SqliteStore

    return SqliteStore(Path(database))
