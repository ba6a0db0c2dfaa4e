"""``python -m infrai_jupyter.sandbox admin …``: the teacher's console on the command line.

Each command opens the class's database (``--db``, as the server takes it), calls one
function of ``admin`` and prints for a script to read: tables and CSV on stdout,
messages on stderr. Safe beside running servers: every change is one transaction, and
scenario switches are read by every worker on its next call.

It speaks the terminal's language (``i18n.locale_language``), as ``__main__`` does:
help, messages and the accounts table's header; a script that parses them sets
``LANG=C``, as with any command-line tool. The ledger's CSV is data and keeps its
column names; argparse's own words stay English.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from infrai_jupyter.contract import AmountError, parse_amount

from . import admin
from .i18n import N_, PageLanguage, amount_problem, locale_language, render
from .settings import default_db_path
from .store import Store, StoreError, describe, is_postgres_url, open_store
from .terminal import HelpFormatter, columns, pad, print_error

PROG = "python -m infrai_jupyter.sandbox admin"


def _parser(language: PageLanguage) -> argparse.ArgumentParser:
    _ = language.gettext
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_("The teacher's console: see and change a class's sandbox database."),
        formatter_class=HelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, help=summary, description=summary, formatter_class=HelpFormatter
        )
        sub.add_argument(
            "--db",
            default=str(default_db_path()),
            metavar="FILE|URL",
            help=_("the class's SQLite file or postgresql:// URL (default: %(default)s)"),
        )
        return sub

    command("accounts", _("list the accounts: account, tier, balance, created"))
    grant = command(
        "grant",
        _("credit ACCOUNT with AMOUNT dollars (ledger reason {reason})").format(
            reason="admin_grant"
        ),
    )
    grant.add_argument("account", metavar="ACCOUNT")
    grant.add_argument(
        "amount", metavar="AMOUNT", help=_("dollars in whole cents, such as 5 or 2.50")
    )
    command("export", _("print the ledger as CSV, with a header row"))
    reset = command(
        "reset", _("empty the class: every account, key and top-up; old keys stop working")
    )
    reset.add_argument("--yes", action="store_true", help=_("confirm: really empty the class"))
    scenario = command("scenario", _("show or set what goes wrong on purpose, for every worker"))
    scenario.add_argument(
        "what",
        choices=["show", "decline-checkouts", "fail-calls", "rate-limit", "expire-pending"],
        help=_(
            "decline-checkouts N: the next N Pay presses are declined; fail-calls N: the "
            "next N API calls answer 503; rate-limit N: N calls a minute per key (0: off); "
            "expire-pending: cancel every unpaid top-up now"
        ),
    )
    scenario.add_argument("count", nargs="?", type=int, default=1, metavar="N")
    return parser


def _open(parser: argparse.ArgumentParser, language: PageLanguage, database: str) -> Store:
    if not is_postgres_url(database) and not Path(database).exists():
        missing = N_("no sandbox database at {database}; pass the server's --db")
        parser.error(render(language, missing, {"database": database}))
    store = open_store(database if is_postgres_url(database) else Path(database))
    store.open()
    return store


def _print_accounts(language: PageLanguage, store: Store) -> None:
    _ = language.gettext
    rows = [
        (row.account_id, row.tier, _dollars(row.balance_usd), f"{row.created_at:%Y-%m-%d %H:%M:%S}")
        for row in admin.list_accounts(store)
    ]
    header = (_("account"), _("tier"), _("balance"), _("created"))
    table = [header, *rows]
    widths = [max(columns(line[column]) for line in table) for column in range(4)]
    for account, tier, balance, created in table:
        cells = (
            pad(account, widths[0]),
            pad(tier, widths[1]),
            pad(balance, widths[2], right=True),
        )
        print("  ".join((*cells, created)))
    count = language.ngettext("{count} account", "{count} accounts", len(rows))
    print(count.format(count=len(rows)), file=sys.stderr)


def _dollars(amount: Decimal) -> str:
    """``$1,234.50``: one format in every language."""
    return f"${amount:,}"


def _scenario(language: PageLanguage, store: Store, what: str, count: int) -> str:
    _ = language.gettext
    if what == "decline-checkouts":
        admin.decline_next_checkouts(store, count)
    elif what == "fail-calls":
        admin.fail_next_calls(store, count)
    elif what == "rate-limit":
        admin.limit_rate(store, count or None)
    elif what == "expire-pending":
        expired = admin.expire_pending_topups(store)
        canceled = language.ngettext(
            "{count} pending top-up canceled", "{count} pending top-ups canceled", expired
        )
        return canceled.format(count=expired)
    now = admin.scenarios(store)
    counts = {"declines": now.decline_next_checkouts, "failures": now.fail_next_calls}
    limit = now.rate_limit_per_minute
    if limit:
        limited = _(
            "declining the next {declines} checkouts; failing the next {failures} calls; "
            "rate limit: {limit} calls a minute per key"
        )
        return limited.format(limit=limit, **counts)
    configured = _(
        "declining the next {declines} checkouts; failing the next {failures} calls; "
        "rate limit: as configured"
    )
    return configured.format(**counts)


def main(argv: Sequence[str]) -> int:
    language = locale_language()
    parser = _parser(language)
    args = parser.parse_args(argv)
    if args.command == "reset" and not args.yes:
        unconfirmed = N_(
            "reset deletes every account, key, top-up and ledger entry of the class; "
            "run '{command}' to do it"
        )
        parser.error(
            render(language, unconfirmed, {"command": f"{PROG} reset --yes --db {args.db}"})
        )
    amount = Decimal(0)
    if args.command == "grant":
        try:
            amount = parse_amount(args.amount)
        except AmountError as error:
            parser.error(f"AMOUNT: {amount_problem(language, error)}")
    try:
        store = _open(parser, language, args.db)
    except StoreError as error:
        print_error(language, error)
        return 1
    try:
        return _run(language, store, args, amount)
    except StoreError as error:
        print_error(language, error)
        return 1
    finally:
        store.close()


def _run(language: PageLanguage, store: Store, args: argparse.Namespace, amount: Decimal) -> int:
    _ = language.gettext
    if args.command == "accounts":
        _print_accounts(language, store)
    elif args.command == "grant":
        try:
            row = admin.grant(store, args.account, amount)
        except admin.UnknownAccountError:
            unknown = _("error: no account {account} in this class; see '{command}'")
            print(
                unknown.format(account=repr(args.account), command=f"{PROG} accounts"),
                file=sys.stderr,
            )
            return 1
        granted = _("granted {amount} to {account}; balance {balance}")
        balance = _dollars(row.balance_usd)
        print(granted.format(amount=_dollars(amount), account=row.account_id, balance=balance))
    elif args.command == "export":
        count = admin.export_ledger(store, sys.stdout)
        entries = language.ngettext("{count} ledger entry", "{count} ledger entries", count)
        print(entries.format(count=count), file=sys.stderr)
    elif args.command == "reset":
        admin.reset(store)
        emptied = _("the class in {database} is empty; old keys no longer work")
        print(emptied.format(database=describe(args.db)))
    else:
        print(_scenario(language, store, args.what, args.count))
    return 0
