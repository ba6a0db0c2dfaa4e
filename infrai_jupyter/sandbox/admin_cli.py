"""``python -m infrai_jupyter.sandbox admin …``: the teacher's console on the command line.

Each command opens the class's database (``--db``, as the server takes it), calls one
function of ``admin`` and prints for a script to read: tables and CSV on stdout,
messages on stderr. Safe beside running servers: every change is one transaction, and
scenario switches are read by every worker on its next call.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from infrai_jupyter.contract import AmountError, parse_amount

from . import admin
from .settings import default_db_path
from .store import Store, StoreError, describe, is_postgres_url, open_store

PROG = "python -m infrai_jupyter.sandbox admin"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The teacher's console: see and change a class's sandbox database.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.add_argument(
            "--db",
            default=str(default_db_path()),
            metavar="FILE|URL",
            help="the class's SQLite file or postgresql:// URL (default: %(default)s)",
        )
        return sub

    command("accounts", "list the accounts: account, tier, balance, created")
    grant = command("grant", "credit ACCOUNT with AMOUNT dollars (ledger reason admin_grant)")
    grant.add_argument("account", metavar="ACCOUNT")
    grant.add_argument("amount", metavar="AMOUNT", help="dollars in whole cents, such as 5 or 2.50")
    command("export", "print the ledger as CSV, with a header row")
    reset = command(
        "reset", "empty the class: every account, key and top-up; old keys stop working"
    )
    reset.add_argument("--yes", action="store_true", help="confirm: really empty the class")
    scenario = command("scenario", "show or set what goes wrong on purpose, for every worker")
    scenario.add_argument(
        "what",
        choices=["show", "decline-checkouts", "fail-calls", "rate-limit", "expire-pending"],
        help="decline-checkouts N: the next N Pay presses are declined; fail-calls N: the "
        "next N API calls answer 503; rate-limit N: N calls a minute per key (0: off); "
        "expire-pending: cancel every unpaid top-up now",
    )
    scenario.add_argument("count", nargs="?", type=int, default=1, metavar="N")
    return parser


def _open(parser: argparse.ArgumentParser, database: str) -> Store:
    if not is_postgres_url(database) and not Path(database).exists():
        parser.error(f"no sandbox database at {database}; pass the server's --db")
    store = open_store(database if is_postgres_url(database) else Path(database))
    store.open()
    return store


def _print_accounts(store: Store) -> None:
    rows = [
        (row.account_id, row.tier, f"${row.balance_usd}", f"{row.created_at:%Y-%m-%d %H:%M:%S}")
        for row in admin.list_accounts(store)
    ]
    table = [("account", "tier", "balance", "created"), *rows]
    widths = [max(len(line[column]) for line in table) for column in range(4)]
    for account, tier, balance, created in table:
        print(f"{account:<{widths[0]}}  {tier:<{widths[1]}}  {balance:>{widths[2]}}  {created}")
    print(f"{len(rows)} accounts", file=sys.stderr)


def _scenario(store: Store, what: str, count: int) -> str:
    if what == "decline-checkouts":
        admin.decline_next_checkouts(store, count)
    elif what == "fail-calls":
        admin.fail_next_calls(store, count)
    elif what == "rate-limit":
        admin.limit_rate(store, count or None)
    elif what == "expire-pending":
        return f"{admin.expire_pending_topups(store)} pending top-ups canceled"
    now = admin.scenarios(store)
    limit = now.rate_limit_per_minute
    return (
        f"declining the next {now.decline_next_checkouts} checkouts; failing the next "
        f"{now.fail_next_calls} calls; rate limit: "
        f"{f'{limit} calls a minute per key' if limit else 'as configured'}"
    )


def main(argv: Sequence[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "reset" and not args.yes:
        parser.error(
            "reset deletes every account, key, top-up and ledger entry of the class; "
            f"run '{PROG} reset --yes --db {args.db}' to do it"
        )
    amount = Decimal(0)
    if args.command == "grant":
        try:
            amount = parse_amount(args.amount)
        except AmountError as error:
            parser.error(f"AMOUNT: {error}")
    try:
        store = _open(parser, args.db)
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        return _run(store, args, amount)
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _run(store: Store, args: argparse.Namespace, amount: Decimal) -> int:
    if args.command == "accounts":
        _print_accounts(store)
    elif args.command == "grant":
        try:
            row = admin.grant(store, args.account, amount)
        except admin.UnknownAccountError as error:
            print(f"error: {error}; see '{PROG} accounts'", file=sys.stderr)
            return 1
        print(f"granted ${amount} to {row.account_id}; balance ${row.balance_usd}")
    elif args.command == "export":
        count = admin.export_ledger(store, sys.stdout)
        print(f"{count} ledger entries", file=sys.stderr)
    elif args.command == "reset":
        admin.reset(store)
        print(f"the class in {describe(args.db)} is empty; old keys no longer work")
    else:
        print(_scenario(store, args.what, args.count))
    return 0
