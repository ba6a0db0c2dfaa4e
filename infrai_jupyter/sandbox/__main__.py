"""``python -m infrai_jupyter.sandbox``: serve the sandbox in the foreground.

It speaks the terminal's language (the locale, see ``i18n.locale_language``): its help,
its refusals and what it prints, except argparse's own words ("usage:", "options:"),
which come from Python's catalogue. The first line is the exception: it starts with
``infrai sandbox serving on URL`` in every language, because programs read the URL
from it (``teaching.ClassSandbox``, the tests, the benchmarks); only the database
named after the URL, and the lines after it, are translated.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn

from infrai_jupyter.contract import is_loopback_host
from infrai_jupyter.contract.money import AmountError, parse_amount

from . import admin_cli
from .admin_session import new_admin_token
from .context import is_root_path
from .i18n import N_, PageLanguage, amount_problem, locale_language, render
from .server import bind_socket, url_for, uvicorn_config
from .settings import SandboxSettings, default_db_path
from .store import StoreError, describe, is_postgres_url, open_store
from .terminal import HelpFormatter, print_error
from .workers import serve_workers

ADMIN_TOKEN_VARIABLE = "INFRAI_SANDBOX_ADMIN_TOKEN"
MIN_ADMIN_TOKEN_LENGTH = 16
PROG = "python -m infrai_jupyter.sandbox"
ANNOUNCEMENT = "infrai sandbox serving on"
"""How the first line starts, untranslated: programs read the URL that follows it."""


def _trial_credit(text: str) -> Decimal:
    """Dollars read as the magics and the form read them; zero turns the trial off."""
    try:
        return parse_amount(text, minimum=Decimal("0"), maximum=None)
    except AmountError as error:
        raise argparse.ArgumentTypeError(amount_problem(locale_language(), error)) from None


def _parser(language: PageLanguage) -> argparse.ArgumentParser:
    _ = language.gettext
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_(
            "Run the local infrai sandbox API (offline demos, classes and tests). "
            "The teacher's console: {command}"
        ).format(command=f"{PROG} admin --help"),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help=_("address to bind (loopback)"))
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help=_("allow a non-loopback --host: anyone who can reach it can use the sandbox"),
    )
    parser.add_argument("--port", type=int, default=8765, help=_("port (0 picks a free one)"))
    parser.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help=_(
            "worker processes serving the port (default: %(default)s); idempotency, trials "
            "and balances hold across them (the database enforces them), but the rate limits "
            "below are counted per worker"
        ),
    )
    parser.add_argument(
        "--db",
        default=str(default_db_path()),
        metavar="FILE|URL",
        help=_(
            "a SQLite file, or a PostgreSQL database as postgresql://user@host/name "
            "(default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--reset", action="store_true", help=_("delete the SQLite file first (fresh classroom)")
    )
    parser.add_argument(
        "--trial-credit",
        type=_trial_credit,
        default=Decimal("2.00"),
        help=_("trial credit in USD"),
    )
    parser.add_argument(
        "--rate-limit", type=int, default=None, help=_("requests per minute per key (off)")
    )
    parser.add_argument(
        "--activations-per-minute",
        type=_limit,
        default=SandboxSettings.activations_per_minute,
        metavar="N",
        help=_(
            "activations per client address a minute; raise it for a class behind one "
            "NAT address, 0 for no limit (default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--auth-failures-per-minute",
        type=_limit,
        default=SandboxSettings.auth_failures_per_minute,
        metavar="N",
        help=_(
            "wrong keys per client address a minute before it gets 429; 0 for no limit "
            "(default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--pending-topup-hours",
        type=float,
        default=SandboxSettings.pending_topup_ttl_seconds / 3600,
        metavar="HOURS",
        help=_("an unpaid top-up expires after this long (default: %(default)g)"),
    )
    parser.add_argument(
        "--public-url",
        type=_public_url,
        metavar="URL",
        help=_(
            "the address links and redirects name, behind a proxy; it may have a path "
            "(https://class.example.org/sandbox) that the proxy strips or keeps, or be only a "
            "path (/user/alice/proxy/8765, behind a Jupyter server's proxy); requests naming "
            "another host get 421 (default: the bound address)"
        ),
    )
    parser.add_argument(
        "--trusted-proxy",
        metavar="ADDR",
        action="append",
        default=[],
        help=_("a proxy whose X-Forwarded-For/-Proto headers are believed (repeatable)"),
    )
    parser.add_argument(
        "--admin-token",
        type=_admin_token,
        default=os.environ.get(ADMIN_TOKEN_VARIABLE) or None,
        metavar="TOKEN",
        help=_(
            "the token that opens the teacher's page at /admin; give the same one to keep "
            "it across restarts (also ${variable}; default: a new one, printed)"
        ).format(variable=ADMIN_TOKEN_VARIABLE),
    )
    parser.add_argument(
        "--processing-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help=_("make charging and creating requests this slow (to show retries and timeouts)"),
    )
    return parser


def _refusal(message: str, **params: object) -> argparse.ArgumentTypeError:
    """An option's value refused in the terminal's language (``message`` marked ``N_``)."""
    return argparse.ArgumentTypeError(render(locale_language(), message, params))


def _workers(text: str) -> int:
    value = int(text)
    if value < 1:
        raise _refusal(N_("at least 1 worker, not {value}"), value=value)
    return value


def _limit(text: str) -> int | None:
    """A per-minute limit; 0 means none."""
    value = int(text)
    if value < 0:
        raise _refusal(N_("a limit is 0 (none) or more, not {value}"), value=value)
    return value or None


def _admin_token(text: str) -> str:
    if len(text) < MIN_ADMIN_TOKEN_LENGTH:
        raise _refusal(
            N_("an admin token has at least {count} characters"), count=MIN_ADMIN_TOKEN_LENGTH
        )
    return text


def _public_url(text: str) -> str:
    """An absolute http(s) URL, or a root path for a proxy on the browser's own origin."""
    parts = urlsplit(text)
    absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
    root_path = text.startswith("/") and not text.startswith("//")
    if not (absolute or root_path) or parts.query or parts.fragment:
        raise _refusal(N_("not an absolute http(s) URL or a path starting with /: {url}"), url=text)
    return text.rstrip("/")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, bind, print where to point a notebook, and serve until Ctrl-C.

    ``admin …`` runs the teacher's console instead (see ``admin_cli``).
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["admin"]:
        return admin_cli.main(arguments[1:])
    language = locale_language()
    _ = language.gettext
    parser = _parser(language)
    args = parser.parse_args(arguments)
    if not is_loopback_host(args.host):
        if not args.allow_remote:
            parser.error(
                _("--host {host} is not loopback; add --allow-remote to bind it").format(
                    host=args.host
                )
            )
        warning = _(
            "WARNING: serving on {host}: anyone who can reach this address can "
            "create accounts and use this sandbox."
        )
        print(warning.format(host=args.host), file=sys.stderr)
    postgres = is_postgres_url(args.db)
    if args.reset and postgres:
        parser.error(
            _("--reset deletes a SQLite file; empty a PostgreSQL class with '{command}'").format(
                command="admin reset"
            )
        )
    if args.reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    settings = SandboxSettings(
        db_path=default_db_path() if postgres else Path(args.db),
        database_url=args.db if postgres else None,
        trial_credit_usd=args.trial_credit,
        rate_limit_per_minute=args.rate_limit,
        activations_per_minute=args.activations_per_minute,
        auth_failures_per_minute=args.auth_failures_per_minute,
        pending_topup_ttl_seconds=args.pending_topup_hours * 3600,
        public_url=args.public_url,
        trusted_proxies=tuple(args.trusted_proxy),
        processing_delay_seconds=args.processing_delay,
        # Made here, in the parent, so that every worker accepts the same token.
        admin_token=args.admin_token or new_admin_token(),
    )
    try:
        store = open_store(settings.database)
        store.open()
        store.close()
        sock = bind_socket(args.host, args.port)
    except (OSError, StoreError) as error:
        print_error(language, error)
        return 1
    _announce(language, settings, url_for(sock), token_given=bool(args.admin_token))
    try:
        if args.workers > 1:
            serve_workers(settings, sock, args.workers)
        else:
            uvicorn.Server(uvicorn_config(settings, sock, quiet=False)).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn already shut down cleanly; re-raised Ctrl-C needs no traceback
    finally:
        sock.close()
    return 0


def _announce(
    language: PageLanguage, settings: SandboxSettings, url: str, token_given: bool
) -> None:
    """Print where the sandbox serves, where to point a notebook and the teacher's page."""
    _ = language.gettext
    database = _("(database: {database})").format(database=describe(settings.database))
    print(f"{ANNOUNCEMENT} {url} {database}")
    public = settings.public_url or url
    # A root path is where browsers reach it, not an address a client can call.
    base_url = url if is_root_path(public) else public
    notebook = _("Point a notebook at it:  INFRAI_BASE_URL={base_url}   (or {magic})")
    print(notebook.format(base_url=base_url, magic="%infrai_sandbox start"))
    admin_url = f"{public}/admin"
    if token_given:
        print(_("Teacher's page:  {url}   (admin token: the one given)").format(url=admin_url))
    else:
        teacher = _("Teacher's page:  {url}   (admin token: {token})")
        print(teacher.format(url=admin_url, token=settings.admin_token))
    print(_("Press Ctrl-C to stop."), flush=True)


if __name__ == "__main__":
    sys.exit(main())
