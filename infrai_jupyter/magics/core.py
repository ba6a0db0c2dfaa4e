"""``InfraiMagics``: parse the line, ask the :class:`~.session.Session`, return the result.

Each magic returns its result object (``bal = %infrai_balance`` works, and the
card is the cell's output); API errors become the error card in one place,
:meth:`InfraiMagics._call`. Settings are traits: ``%config InfraiMagics.timeout = 60``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Float, Int, TraitError, Unicode, Union, observe, validate

from .._i18n import N_, _, set_language

if TYPE_CHECKING:
    from .._client import InfraiClient
    from ..display import Card, CardView
    from ..errors import InfraiError
    from ..results import Balance
    from .completion import MagicArguments
    from .session import Session

T = TypeVar("T")

_COMMENT = re.compile(r"(?:^|\s)#.*$")


@magics_class
class InfraiMagics(Magics):
    """The infrai magics; one instance per IPython shell."""

    timeout = Float(30.0, help=N_("Seconds to wait for the API before giving up.")).tag(config=True)
    max_retries = Int(2, help=N_("Retries after a lost connection, a timeout, 429 or 5xx.")).tag(
        config=True
    )
    verbose_errors = Bool(
        False, help=N_("Show the full Python traceback under error cards (for debugging).")
    ).tag(config=True)
    watch_interval = Float(
        2.0, help=N_("Seconds between refreshes of %infrai_balance --watch.")
    ).tag(config=True)
    proxy = Unicode(
        None,
        allow_none=True,
        help=N_("Proxy URL for every call, e.g. http://proxy.example.org:3128."),
    ).tag(config=True)
    verify = Union(
        [Bool(), Unicode()],
        default_value=True,
        help=N_("CA bundle (.pem path) to trust, True for the usual CAs, False for none."),
    ).tag(config=True)
    sandbox_public_url = Unicode(
        "",
        help=N_(
            "Where the browser opens the embedded sandbox's checkout pages, with {port}: "
            "/proxy/{port} or https://lab.example.org/proxy/{port}. Empty: found (JupyterHub "
            "and Binder through jupyter-server-proxy, Colab, else 127.0.0.1). A change applies "
            "from the next %infrai_sandbox start."
        ),
    ).tag(config=True)

    language = Unicode(
        "",
        help=N_(
            "Language of cards, forms and help: 'en' or 'zh-CN'; '' follows the kernel's locale."
        ),
    ).tag(config=True)

    _session: Session | None = None  # made at first use, so %load_ext stays cheap
    _ready = False  # set once __init__ is done: a profile's config sets traits before that

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.completion: MagicArguments | None = None  # its completer, removed on unload
        self._ready = True

    @classmethod
    def class_get_trait_help(cls, trait: Any, inst: Any = None, helptext: str | None = None) -> str:
        """``%config InfraiMagics`` in the session's language: each help is a catalogue message."""
        text = helptext if helptext is not None else trait.help
        return str(super().class_get_trait_help(trait, inst, _(text) if text else text))

    # ------------------------------------------------------------------ magics

    @line_magic
    def infrai(self, line: str) -> CardView:
        """Show what this session is connected to, and list the infrai magics.

        Example::

            %infrai
        """
        from ..display import CardView

        return CardView(self._call(self.session.session_card))

    @magic_arguments()
    @argument(
        "--region",
        default="auto",
        choices=["auto", "western", "china"],
        help=N_("Region to activate in (default: auto)."),
    )
    @argument(
        "--device-kind", default="notebook", help=N_("What this device is (default: notebook).")
    )
    @argument(
        "--no-write",
        action="store_true",
        help=N_("Do not save the key to ~/.infrai/credentials."),
    )
    @argument(
        "--sandbox",
        action="store_true",
        help=N_("Start the local sandbox first and activate there (offline)."),
    )
    @argument(
        "--new",
        action="store_true",
        help=N_("Make another account although this session already has one (its key is kept)."),
    )
    @line_magic
    def infrai_activate(self, line: str) -> Any:
        """Create an anonymous account with trial credit and use its key in this session.

        The key is saved to ~/.infrai/credentials unless --no-write is given or the
        session points at the embedded sandbox (a sandbox key must never replace a
        real one). Example::

            %infrai_activate --sandbox
        """
        args = parse_argstring(self.infrai_activate, _without_comment(line))
        if args.sandbox:
            self._start_sandbox(port=0, db=None)
        write = not args.no_write and self.session.sandbox_url is None
        client = self._client()
        return self._call(
            lambda: client.activate(
                region=args.region,
                device_kind=args.device_kind,
                write_credentials=write,
                new_account=args.new,
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
        help=N_("Refresh the card in place for SECONDS (default 60); stop with Interrupt."),
    )
    @line_magic
    def infrai_balance(self, line: str) -> Balance | None:
        """Show the wallet balance; ``bal = %infrai_balance`` keeps the result.

        Example::

            %infrai_balance
            %infrai_balance --watch 30
        """
        args = parse_argstring(self.infrai_balance, _without_comment(line))
        if args.watch is not None and args.watch <= 0:
            raise UsageError(_("--watch takes a positive number of seconds, e.g. --watch 30"))
        client = self._signed_in_client()
        if args.watch is None:
            return self._call(client.account.balance)
        self._watch_balance(client, args.watch)
        return None

    @magic_arguments()
    @argument(
        "amount",
        nargs="?",
        default=None,
        help=N_("Amount in USD, e.g. 25 or 9.99. Without it, the top-up form is shown."),
    )
    @argument("--return-url", default=None, help=N_("http(s) page to return to after checkout."))
    @argument(
        "--idempotency-key",
        default=None,
        help=N_("Reuse a key to make sure a retried top-up is created only once."),
    )
    @line_magic
    def infrai_topup(self, line: str) -> Any:
        """Add funds: a top-up with its checkout link, or the top-up form.

        Example::

            %infrai_topup 25
            %infrai_topup 25 --return-url https://example.com/back
            %infrai_topup
        """
        args = parse_argstring(self.infrai_topup, _without_comment(line))
        if args.amount is None and self._has_widget_frontend():
            from ..widgets import TopupForm

            form_client = self._call(self.session.form_client)
            return TopupForm(
                form_client,
                return_url=args.return_url,
                owns_client=True,
                follow=self.session.client,
            )
        if args.amount is None:  # no form can show here: never start a top-up nobody asked for
            raise UsageError(
                _("Name the amount in USD, e.g. %infrai_topup 25 (the form needs a notebook).")
            )
        amount = _parse_amount(args.amount)
        client = self._signed_in_client()
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
        if _without_comment(line).strip():
            raise UsageError(_("%infrai_keys takes no arguments"))
        return self._call(self._signed_in_client().account.keys.list)

    @magic_arguments()
    @argument("tier", nargs="?", default=None, help=N_("The tier to move to, e.g. pro or team."))
    @line_magic
    def infrai_upgrade(self, line: str) -> Any:
        """Upgrade the account's tier; shows the account summary afterwards.

        Upgrading to the tier the account is already on charges nothing. Example::

            %infrai_upgrade pro
        """
        args = parse_argstring(self.infrai_upgrade, _without_comment(line))
        if args.tier is None:
            raise UsageError(
                _("Name the tier to move to, e.g. %infrai_upgrade pro. Tiers: {tiers}.").format(
                    tiers=self.session.tiers()
                )
            )
        from IPython.display import display

        from ..display import StatusLine
        from .account_cards import upgrade_outcome

        client = self._signed_in_client()
        before = self._call(client.account.balance).balance_usd
        summary = self._call(lambda: client.account.tier.upgrade(args.tier))
        display(StatusLine(upgrade_outcome(args.tier, before, summary)))
        return summary

    @magic_arguments()
    @argument(
        "action",
        nargs="?",
        default="status",
        choices=["start", "stop", "status", "join"],
        help=N_("start, stop, status (default), or join URL: your class's sandbox."),
    )
    @argument("url", nargs="?", default=None, help=N_("With join: the URL your teacher gave you."))
    @argument("--port", type=int, default=0, help=N_("Port on 127.0.0.1 (default: a free one)."))
    @argument(
        "--db",
        default=None,
        help=N_("SQLite file to keep data across restarts (default: a fresh temporary one)."),
    )
    @line_magic
    def infrai_sandbox(self, line: str) -> Any:
        """Run the local sandbox API inside this kernel, or join your class's, and use it.

        Everything works offline against the embedded one, checkout page included.
        ``join URL`` points the session at the sandbox your teacher runs and activates
        there (or finds the account you made there before); your keys for other servers
        are neither sent nor replaced. Example::

            %infrai_sandbox start
            %infrai_sandbox join https://class.example.org/sandbox
            %infrai_sandbox stop
        """
        from ..display import CardView

        args = parse_argstring(self.infrai_sandbox, _without_comment(line))
        if args.url is not None and args.action != "join":
            raise UsageError(
                _("Only join takes a URL: %infrai_sandbox join {url}").format(url=args.url)
            )
        if args.action == "join":
            return self._join_class(args.url)
        if args.action == "start":
            return CardView(self._start_sandbox(port=args.port, db=args.db))
        if args.action == "stop":
            return CardView(self.session.sandbox_card(self.session.stop_sandbox()))
        return CardView(self.session.sandbox_card())

    def _join_class(self, url: str | None) -> Any:
        """Join a class's sandbox: activate there, or show the balance of the account kept."""
        if not url:
            raise UsageError(
                _(
                    "Give the address your teacher handed out, e.g. "
                    "%infrai_sandbox join https://class.example.org/sandbox"
                )
            )
        client = self._call(lambda: self.session.join_class(url))
        if client.config.api_key is None:
            return self._call(lambda: client.activate(device_kind="notebook"))
        return self._call(client.account.balance)

    # ----------------------------------------------------------------- helpers

    @property
    def session(self) -> Session:
        """The session, made at first use: creating it imports the client (not at load)."""
        if self._session is None:
            from .session import Session

            self._session = Session(timeout=self.timeout, max_retries=self.max_retries)
            self._session.proxy, self._session.verify = self.proxy, self.verify
            self._session.public_url_template = self.sandbox_public_url
        return self._session

    @validate("language")
    def _valid_language(self, proposal: Any) -> str:
        try:
            set_language(proposal["value"])
        except ValueError as error:
            raise TraitError(str(error)) from None
        return str(proposal["value"])

    @observe("language")
    def _speak_language(self, change: Any) -> None:
        from . import help
        from .accounts import InfraiAccountMagics

        help.speak((type(self), InfraiAccountMagics))

    @observe("proxy", "verify")
    def _apply_network(self, change: Any) -> None:
        if self._ready:
            self.session.proxy, self.session.verify = self.proxy, self.verify

    @validate("sandbox_public_url")
    def _valid_sandbox_public_url(self, proposal: Any) -> str:
        from .remote import check_template

        try:
            return check_template(str(proposal["value"]))
        except ValueError as error:
            raise TraitError(str(error)) from None

    @observe("sandbox_public_url")
    def _apply_sandbox_public_url(self, change: Any) -> None:
        # A running sandbox keeps its address (its links are out there already); its
        # card says the new one applies from the next start.
        if self._ready:
            self.session.public_url_template = self.sandbox_public_url

    def _client(self) -> InfraiClient:
        """The session's client; an unusable credentials file fails the cell with a card."""
        return self._call(self.session.client)

    def _signed_in_client(self) -> InfraiClient:
        """The client for a call that needs a key; with none, say so once and send nothing."""
        client = self._client()
        if not self._call(self.session.signed_in):
            from IPython.display import display

            from ..display import CardView
            from .errors import InfraiCellError

            display(CardView(self.session.not_signed_in_card()))
            raise InfraiCellError(_("Not signed in (the card above says what to do)"))
        return client

    @observe("timeout", "max_retries")
    def _apply_limits(self, change: Any) -> None:
        # Under a profile's config this fires inside __init__: the session is left to its
        # first use (it starts with these values), so %load_ext stays cheap.
        if self._ready:
            self.session.set_limits(timeout=self.timeout, max_retries=self.max_retries)

    def _call(self, action: Callable[[], T]) -> T:
        """Run an API call; on failure show the error card and fail the cell in one line."""
        from ..errors import InfraiError

        try:
            return action()
        except InfraiError as error:
            self._show_error(error)
            if self.verbose_errors:
                raise
            from ..display import error_line
            from .errors import InfraiCellError

            raise InfraiCellError(error_line(error)) from None

    def _show_error(self, error: InfraiError) -> None:
        from IPython.display import display

        from ..display import CardView
        from ..errors import InsufficientCreditError

        display(CardView(self.session.error_card(error)))
        if isinstance(error, InsufficientCreditError) and self._has_widget_frontend():
            from ..widgets import TopupForm

            amount = self.session.topup_suggestion(error)
            display(TopupForm(self.session.form_client(), amount=amount, owns_client=True))

    def _watch_balance(self, client: InfraiClient, seconds: float) -> None:
        """Refresh one output in place until ``seconds`` pass or the user interrupts."""
        from IPython.display import display

        from ..display import StatusLine
        from .errors import InfraiCellError

        handle = display(self._call(client.account.balance), display_id=True)
        until = datetime.now().astimezone() + timedelta(seconds=seconds)
        status = display(
            StatusLine(
                _(
                    "Updating every {seconds} s until {until} — Interrupt the kernel to stop."
                ).format(seconds=f"{self.watch_interval:g}", until=f"{until:%H:%M %Z}")
            ),
            display_id=True,
        )
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() + self.watch_interval < deadline:
                time.sleep(self.watch_interval)
                handle.update(self._call(client.account.balance))
        except KeyboardInterrupt:
            status.update(_stopped(_("Stopped at {time}: the card shows the last balance.")))
        except InfraiCellError:
            status.update(_stopped(_("Stopped at {time}: the balance could not be loaded.")))
            raise
        else:
            status.update(_stopped(_("Stopped at {time}, as planned: run it again to go on.")))

    def _has_widget_frontend(self) -> bool:
        """A kernel can show widgets (now or when the notebook is opened); a terminal cannot."""
        return getattr(self.shell, "kernel", None) is not None

    def _start_sandbox(self, *, port: int, db: str | None) -> Card:
        """Start the embedded sandbox; a port or database it cannot use is a usage error."""
        try:
            return self.session.start_sandbox(port=port, db=db)
        except OSError as error:
            message = _("The sandbox cannot start: {reason}")
            raise UsageError(message.format(reason=error.strerror or error)) from None

    def stop_sandbox(self) -> None:
        """Stop the embedded sandbox, if one runs (the extension is being unloaded)."""
        if self._session is not None:
            self._session.stop_sandbox()


def _without_comment(line: str) -> str:
    """The line without a trailing ``# comment``, as in Python: ``%infrai_balance  # note``.

    A ``#`` inside a word (a URL's fragment) is kept; only one after a space starts a comment.
    """
    return _COMMENT.sub("", line)


def _stopped(message: str) -> Any:
    """The watch's last status line: ``message`` with the time on the reader's clock."""
    from ..display import StatusLine

    return StatusLine(message.format(time=f"{datetime.now().astimezone():%H:%M:%S %Z}"))


def _parse_amount(value: str | float) -> Decimal:
    """``AMOUNT`` read by the one amount parser the form and the client use too; a refused
    one is said in the user's language, as the form and the client say it."""
    from ..contract import AmountError, parse_amount
    from ..display import amount_message

    try:
        return parse_amount(value)
    except AmountError as error:
        raise UsageError(amount_message(error)) from None
