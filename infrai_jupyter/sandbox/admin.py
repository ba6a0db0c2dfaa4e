"""The teacher's console: what the ``admin`` command line and the teacher's page both call.

Plain functions on a ``Store``, so a script, the CLI and a web page do the same thing.
Every effect lives in the database, so it holds for every worker at once: a grant is a
ledger entry (``admin_grant``), a reset empties the class, and the scenario switches a
teacher flips to show what a client does when things go wrong are rows every worker
reads on each request:

- ``decline_next_checkouts(n)``: the next ``n`` Pay presses are declined (nothing moves;
  the page says so and the top-up can be paid again);
- ``fail_next_calls(n)``: the next ``n`` ``/v1`` calls answer 503 with ``Retry-After``;
- ``limit_rate(per_minute)``: every key may make that many calls a minute (429 past it),
  counted by each worker separately (see ``context.RateLimiter``); ``None`` lifts it;
- ``expire_pending_topups()``: every top-up waiting for payment is canceled now.

A reset keeps the database's secret: everything signed with it (checkout form tokens,
replayable activation keys) names an account or top-up id, and those are gone, so no
old key or form works again, while running workers keep a consistent secret.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TextIO

from infrai_jupyter.contract import parse_amount

from . import service
from .store import Store

GRANT_REASON = "admin_grant"
DECLINE = "decline_next_checkouts"
FAIL_CALLS = "fail_next_calls"
RATE_LIMIT = "rate_limit_per_minute"
LEDGER_COLUMNS = ("entry_id", "created_at", "account_id", "reason", "reference", "amount_usd")


class UnknownAccountError(LookupError):
    """No account with this id (a typo, or a class that was reset)."""


@dataclass(frozen=True)
class AccountRow:
    """One line of the class list."""

    account_id: str
    tier: str
    balance_usd: Decimal
    created_at: datetime


@dataclass(frozen=True)
class Scenarios:
    """The switches in effect: what is pending, and the per-minute limit if one is on."""

    decline_next_checkouts: int = 0
    fail_next_calls: int = 0
    rate_limit_per_minute: int | None = None

    @classmethod
    def from_values(cls, values: dict[str, int]) -> Scenarios:
        return cls(
            values.get(DECLINE, 0),
            values.get(FAIL_CALLS, 0),
            values.get(RATE_LIMIT) or None,
        )


def list_accounts(store: Store) -> list[AccountRow]:
    """Every account of the class, oldest first."""
    with store.transaction(write=False) as tx:
        accounts = tx.list_accounts()
    return [
        AccountRow(item.account_id, item.tier, service.usd(item.balance_cents), item.created_at)
        for item in accounts
    ]


def grant(store: Store, account_id: str, amount: str | Decimal) -> AccountRow:
    """Credit ``amount`` dollars (read exactly, as the form reads it) to one account.

    Raises ``contract.AmountError`` for an amount that is not whole cents within the
    top-up limits, ``UnknownAccountError`` for an unknown account.
    """
    cents = service.cents(parse_amount(amount))
    with store.transaction() as tx:
        if tx.get_account(account_id) is None:
            raise UnknownAccountError(f"no account {account_id!r} in this class")
        tx.post_ledger(account_id, cents, GRANT_REASON, service.new_id("grant"), service.now())
        account = tx.get_account(account_id)
    assert account is not None
    return AccountRow(
        account.account_id, account.tier, service.usd(account.balance_cents), account.created_at
    )


def export_ledger(store: Store, out: TextIO) -> int:
    """Write the ledger as CSV with a header row; return the number of entries."""
    with store.transaction(write=False) as tx:
        entries = tx.list_ledger()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LEDGER_COLUMNS)
    for entry in entries:
        writer.writerow(
            (
                entry.entry_id,
                entry.created_at,
                entry.account_id,
                entry.reason,
                entry.reference,
                service.usd(entry.amount_cents),
            )
        )
    return len(entries)


def reset(store: Store) -> None:
    """Empty the class: accounts, keys, trials, ledger, top-ups, replays and scenarios."""
    with store.transaction() as tx:
        tx.empty_class()


def scenarios(store: Store) -> Scenarios:
    with store.transaction(write=False) as tx:
        return Scenarios.from_values(tx.get_scenarios())


def _set(store: Store, name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} is a count or limit, 0 or more, not {value}")
    with store.transaction() as tx:
        tx.set_scenario(name, value)


def decline_next_checkouts(store: Store, count: int = 1) -> None:
    _set(store, DECLINE, count)


def fail_next_calls(store: Store, count: int) -> None:
    _set(store, FAIL_CALLS, count)


def limit_rate(store: Store, per_minute: int | None) -> None:
    _set(store, RATE_LIMIT, per_minute or 0)


def expire_pending_topups(store: Store) -> int:
    """Cancel every top-up waiting for payment; return how many were."""
    with store.transaction() as tx:
        return tx.cancel_pending_topups(service.now())
