"""``InfraiMagics``: parse the line, call the client, return the result.

Each magic returns its result object (``bal = %infrai_balance`` works, and the
card is the cell's output); API errors are turned into cards in one place,
:mod:`.errors`. Settings are traits: ``%config InfraiMagics.timeout = 60``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Float, Int, observe

if TYPE_CHECKING:
    from .._client import InfraiClient
    from ..display import CardView
    from ..results import Balance
    from ..sandbox import SandboxServer

T = TypeVar("T")


@magics_class
class InfraiMagics(Magics):
    """The infrai magics; one instance per IPython shell."""

    timeout = Float(30.0, help="Seconds to wait for the API before giving up.").tag(config=True)
    max_retries = Int(2, help="Retries after a lost connection, a timeout, 429 or 5xx.").tag(
        config=True
    )
    verbose_errors = Bool(
        False, help="Show the full Python traceback under error cards (for debugging)."
    ).tag(config=True)
    watch_interval = Float(2.0, help="Seconds between refreshes of %infrai_balance --watch.").tag(
        config=True
    )
    default_topup_usd = Float(
        10.0, help="Amount of %infrai_topup without AMOUNT where no widget can show (terminal)."
    ).tag(config=True)

    _ready = False  # set once __init__ is done; config may set traits before that

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._sandbox: SandboxServer | None = None
        self._ready = True

    # ------------------------------------------------------------------ magics

    @line_magic
    def infrai(self, line: str) -> CardView:
        """Show what this session is connected to, and list the infrai magics.

        Example::

            %infrai
        """
        from ..display import CardView
        from .session import session_card

        return CardView(session_card(self._client().config, self._sandbox_url()))

    @magic_arguments()
    @argument(
        "--region",
        default="auto",
        choices=["auto", "western", "china"],
        help="Region to activate in (default: auto).",
    )
    @argument("--device-kind", default="notebook", help="What this device is (default: notebook).")
    @argument(
        "--no-write", action="store_true", help="Do not save the key to ~/.infrai/credentials."
    )
    @argument(
        "--sandbox",
        action="store_true",
        help="Start the local sandbox first and activate there (offline).",
    )
    @line_magic
    def infrai_activate(self, line: str) -> Any:
        """Create an anonymous account with trial credit and use its key in this session.

        The key is saved to ~/.infrai/credentials unless --no-write is given or the
        session points at the embedded sandbox (a sandbox key must never replace a
        real one). Example::

            %infrai_activate --sandbox
        """
        args = parse_argstring(self.infrai_activate, line)
        if args.sandbox and self._sandbox is None:
            self._start_sandbox(port=0, db=None)
        write = not args.no_write and self._sandbox_url() is None
        client = self._client()
        return self._call(
            lambda: client.activate(
                region=args.region, device_kind=args.device_kind, write_credentials=write
            )
        )

    @magic_arguments()
    @argument(
        "--watch",
        nargs="?",
        type=float,
        const=60.0,
        default=None,
        metavar="SECONDS",
        help="Refresh the card in place for SECONDS (default 60); stop with Interrupt.",
    )
    @line_magic
    def infrai_balance(self, line: str) -> Balance | None:
        """Show the wallet balance; ``bal = %infrai_balance`` keeps the result.

        Example::

            %infrai_balance
            %infrai_balance --watch 30
        """
        args = parse_argstring(self.infrai_balance, line)
        client = self._client()
        if args.watch is None:
            return self._call(client.account.balance)
        if args.watch <= 0:
            raise UsageError("--watch takes a positive number of seconds, e.g. --watch 30")
        self._watch_balance(args.watch)
        return None

    @magic_arguments()
    @argument(
        "amount",
        nargs="?",
        default=None,
        help="Amount in USD, e.g. 25 or 9.99. Without it, the top-up form is shown.",
    )
    @argument("--return-url", default=None, help="http(s) page to return to after checkout.")
    @argument(
        "--idempotency-key",
        default=None,
        help="Reuse a key to make sure a retried top-up is created only once.",
    )
    @line_magic
    def infrai_topup(self, line: str) -> Any:
        """Add funds: a top-up with its checkout link, or the top-up form.

        Example::

            %infrai_topup 25
            %infrai_topup 25 --return-url https://example.com/back
            %infrai_topup
        """
        args = parse_argstring(self.infrai_topup, line)
        client = self._client()
        if args.amount is None and self._has_widget_frontend():
            from ..widgets import TopupForm

            return TopupForm(self._form_client(), return_url=args.return_url, owns_client=True)
        amount = _parse_amount(args.amount) if args.amount else Decimal(str(self.default_topup_usd))
        return self._call(
            lambda: client.account.topup(
                amount_usd=amount,
                return_url=args.return_url,
                idempotency_key=args.idempotency_key,
            )
        )

    @line_magic
    def infrai_keys(self, line: str) -> Any:
        """List the account's project keys (id, label, scopes, created).

        Example::

            %infrai_keys
        """
        if line.strip():
            raise UsageError("%infrai_keys takes no arguments")
        return self._call(self._client().account.keys.list)

    @magic_arguments()
    @argument("tier", help="The tier to move to, e.g. pro or team.")
    @line_magic
    def infrai_upgrade(self, line: str) -> Any:
        """Upgrade the account's tier; shows the account summary afterwards.

        Upgrading to the tier the account is already on charges nothing. Example::

            %infrai_upgrade pro
        """
        args = parse_argstring(self.infrai_upgrade, line)
        client = self._client()
        return self._call(lambda: client.account.tier.upgrade(target_tier=args.tier))

    @magic_arguments()
    @argument(
        "action",
        nargs="?",
        default="status",
        choices=["start", "stop", "status"],
        help="start, stop or status (default).",
    )
    @argument("--port", type=int, default=0, help="Port on 127.0.0.1 (default: a free one).")
    @argument(
        "--db",
        default=None,
        help="SQLite file to keep data across restarts (default: a fresh temporary one).",
    )
    @line_magic
    def infrai_sandbox(self, line: str) -> CardView:
        """Run the local sandbox API inside this kernel and point the session at it.

        Everything works offline against it, checkout page included. Example::

            %infrai_sandbox start
            %infrai_sandbox stop
        """
        args = parse_argstring(self.infrai_sandbox, line)
        if args.action == "start" and self._sandbox is None:
            self._start_sandbox(port=args.port, db=args.db)
        elif args.action == "stop":
            self.stop_sandbox()
        from ..display import CardView
        from .session import sandbox_card

        return CardView(sandbox_card(self._sandbox_url()))

    # ----------------------------------------------------------------- helpers

    def _client(self) -> InfraiClient:
        """The session's client; an unusable credentials file fails the cell with a card."""
        return self._call(self._session_client)

    def _session_client(self) -> InfraiClient:
        """The session's client, with this object's limits (``%config`` may have changed them)."""
        from .._default import default_client, set_limits

        set_limits(timeout=self.timeout, max_retries=self.max_retries)
        return default_client()

    def _form_client(self) -> InfraiClient:
        """A form's own copy of the session's client: replacing the session's client (on
        ``%env``, ``%config`` or a sandbox change) closes that one, never a form's."""
        return self._client().with_options()

    @observe("timeout", "max_retries")
    def _apply_limits(self, change: Any) -> None:
        # Under a profile's config this fires inside __init__: the client is left to
        # _client() at first use, so %load_ext stays cheap.
        if self._ready:
            from .._default import set_limits

            set_limits(timeout=self.timeout, max_retries=self.max_retries)

    def _call(self, action: Callable[[], T]) -> T:
        """Run an API call; on failure show the error card and fail the cell in one line."""
        from ..errors import InfraiError

        try:
            return action()
        except InfraiError as error:
            self._show_error(error)
            if self.verbose_errors:
                raise
            from .errors import InfraiCellError, one_line

            raise InfraiCellError(one_line(error)) from None

    def _show_error(self, error: Exception) -> None:
        from IPython.display import display

        from ..contract import dollars
        from ..display import CardView
        from ..errors import CredentialsError, InfraiError, InsufficientCreditError
        from .errors import error_card

        assert isinstance(error, InfraiError)
        try:
            base_url = self._session_client().base_url
        except CredentialsError:  # no client can be made: name where one would connect
            from ..contract import HOSTED_BASE_URL
            from ..credentials import BASE_URL_ENV

            base_url = os.environ.get(BASE_URL_ENV) or HOSTED_BASE_URL
        missing = getattr(error, "details", {}).get("missing_usd")
        suggestion = dollars(str(missing)) if missing else Decimal("25.00")
        card = error_card(
            error,
            base_url,
            origin=self._origin(base_url, getattr(error, "vendor", "")),
            topup_command=f"%infrai_topup {suggestion}",
        )
        display(CardView(card))
        if isinstance(error, InsufficientCreditError) and self._has_widget_frontend():
            from ..widgets import TopupForm

            display(TopupForm(self._form_client(), amount=suggestion, owns_client=True))

    def _watch_balance(self, seconds: float) -> None:
        """Refresh one output in place until ``seconds`` pass or the user interrupts."""
        from IPython.display import display

        client = self._client()
        handle = display(self._call(client.account.balance), display_id=True)
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() + self.watch_interval < deadline:
                time.sleep(self.watch_interval)
                handle.update(self._call(client.account.balance))
        except KeyboardInterrupt:
            pass  # stopping a watch is the expected way to end it early

    def _has_widget_frontend(self) -> bool:
        """A kernel can show widgets (now or when the notebook is opened); a terminal cannot."""
        return getattr(self.shell, "kernel", None) is not None

    def _origin(self, base_url: str, vendor: str) -> str:
        """Like a result's origin; a refused connection to our own sandbox is still "sandbox"."""
        from ..display import origin_of

        return "sandbox" if base_url == self._sandbox_url() else origin_of(base_url, vendor)

    def _sandbox_url(self) -> str | None:
        return self._sandbox.url if self._sandbox is not None else None

    def _start_sandbox(self, *, port: int, db: str | None) -> None:
        import tempfile
        from pathlib import Path

        from .._client import InfraiClient
        from .._default import use_client
        from ..sandbox import SandboxServer, SandboxSettings

        db_path = (
            Path(db) if db else Path(tempfile.mkdtemp(prefix="infrai-sandbox-")) / "db.sqlite3"
        )
        self._sandbox = SandboxServer(SandboxSettings(db_path=db_path), port=port).start()
        client = InfraiClient(
            base_url=self._sandbox.url, timeout=self.timeout, max_retries=self.max_retries
        )
        client.use_key(None, "none")  # never send a real key to the sandbox
        use_client(client)

    def stop_sandbox(self) -> None:
        """Stop the embedded sandbox and point the session back at its usual API."""
        if self._sandbox is None:
            return
        from .._default import reset

        self._sandbox.stop()
        self._sandbox = None
        reset()


def _parse_amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise UsageError(
            f"AMOUNT must be a number of dollars like 25 or 9.99, not {text!r}"
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise UsageError(f"AMOUNT must be a positive number of dollars, not {text!r}")
    try:
        in_cents = amount.quantize(Decimal("0.01"))
    except InvalidOperation:  # too many digits to hold in cents at all (1e999)
        in_cents = None
    if in_cents != amount:
        # The wire refuses what it cannot send exactly; say so here, in one line.
        raise UsageError(f"AMOUNT must be dollars and cents like 25 or 9.99, not {text!r}")
    return amount
