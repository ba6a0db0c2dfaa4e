"""The magics' state as a plain object: the client, its limits, form copies, the sandbox.

``InfraiMagics`` parses a line and asks a :class:`Session`; everything here works (and
is tested) without IPython. Importing this module imports the client, so the magics
create their session at first use, not at ``%load_ext``; the server (uvicorn) is
imported only when the sandbox starts.
"""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from .. import _default
from .._client import InfraiClient
from .._i18n import N_, gettext
from ..contract import HOSTED_BASE_URL, PROJECT_KEY_PREFIX, mask_key
from ..credentials import BASE_URL_ENV, active_account
from ..display import (
    NO_KEY_MESSAGE,
    Card,
    SandboxChange,
    error_card,
    format_usd,
    joined_card,
    missing_credit,
    not_signed_in_card,
    origin_of,
    sandbox_card,
    session_card,
    topup_command,
)
from ..display.links import forget_link_path, is_root_path, trust_link_path
from ..errors import (
    AccountExistsError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    CredentialsError,
    InfraiError,
    InsufficientCreditError,
    MalformedResponseError,
)
from .remote import PublicAddress, public_address

if TYPE_CHECKING:
    from ..sandbox import SandboxServer

MAGICS = (
    ("%infrai", N_("what this session is connected to")),
    ("%infrai_activate", N_("anonymous account with trial credit")),
    ("%infrai_balance [--watch S]", N_("the wallet balance")),
    ("%infrai_topup [AMOUNT]", N_("add funds: checkout link, or the form")),
    ("%infrai_keys", N_("the project keys")),
    ("%infrai_upgrade TIER", N_("change the tier, e.g. pro")),
    ("%infrai_sandbox start|stop|status|join", N_("the offline sandbox API, or your class's")),
    ("%infrai_accounts [--use N]", N_("the accounts kept here; switch")),
    ("%infrai_login [--save]", N_("sign in with a key, never shown")),
    ("%infrai_logout [--forget]", N_("sign out (and delete the key)")),
    ("%infrai_usage [--reset]", N_("what this session's calls cost")),
    ("%infrai_doctor", N_("a redacted report for support")),
)
"""The magics ``%infrai`` lists, with what each does (marked: translated as the card is built)."""

TIERS = ("free", "pro", "team")
"""The tiers the infrai API documents; the sandbox also knows their prices."""

DEFAULT_TOPUP_USD = Decimal("25")
"""What the error card suggests adding when a 402 does not say a usable amount."""

_SET_KEY = "%infrai_login"  # never %env INFRAI_API_KEY=…: that saves the key in the notebook
_SIGN_IN = ("%infrai_activate", _SET_KEY)

# Resolution step 1 (an explicit key) skips the credentials file; this stand-in is
# dropped the moment the client exists, so it is never sent anywhere.
_NO_KEY = PROJECT_KEY_PREFIX + "sandbox-start-placeholder"


def _price(item: tuple[str, Decimal]) -> Decimal:
    return item[1]


def _kept_account_message(kept: bool, amount: str | None) -> str:
    """The refused second activation's card text, one whole sentence per case so each
    language orders it its own way: with or without the balance, with or without the
    key kept on this computer (a sandbox's never is)."""
    if amount is None:
        if kept:
            return gettext(
                "This session keeps its account {account}. Its balance cannot be read "
                "right now. Activating again would start another, empty one; every key "
                "stays kept."
            )
        return gettext(
            "This session keeps its account {account}. Its balance cannot be read right "
            "now. Activating again would start another, empty one, and this key is not "
            "kept on this computer: the session forgets it once replaced."
        )
    if kept:
        return gettext(
            "This session keeps its account {account}. Its balance: {amount}. "
            "Activating again would start another, empty one; every key stays kept."
        )
    return gettext(
        "This session keeps its account {account}. Its balance: {amount}. Activating "
        "again would start another, empty one, and this key is not kept on this "
        "computer: the session forgets it once replaced."
    )


class Session:
    """One notebook session's connection: what every magic talks through."""

    def __init__(self, *, timeout: float, max_retries: int) -> None:
        self.timeout = timeout
        self.max_retries = max_retries
        self.proxy: str | None = None
        self.verify: bool | str = True
        self.public_url_template = ""  # InfraiMagics.sandbox_public_url; "" finds it
        self._sandbox: SandboxServer | None = None
        self._address = PublicAddress(None, "loopback")  # where its checkout opens
        self._address_template = ""  # the template the running sandbox started with
        self._joined: str | None = None  # a class sandbox's URL, after join_class()

    # ----------------------------------------------------------------- client

    def set_limits(self, *, timeout: float, max_retries: int) -> None:
        """Use these limits from now on, for the session's client and every later one."""
        self.timeout, self.max_retries = timeout, max_retries
        _default.set_limits(timeout=timeout, max_retries=max_retries)

    def client(self) -> InfraiClient:
        """The session's client; raises :class:`CredentialsError` for an unusable file."""
        _default.set_limits(timeout=self.timeout, max_retries=self.max_retries)
        _default.configure_network(proxy=self.proxy, verify=self.verify)
        return _default.default_client()

    def form_client(self) -> InfraiClient:
        """A form's own copy of the client: replacing the session's client (``%env``,
        ``%config``, a sandbox change) closes that one, never a form's."""
        return self.client().with_options()

    def base_url(self) -> str:
        """Where the session connects, even when no client can be made (a broken file)."""
        try:
            return self.client().base_url
        except InfraiError:  # a broken credentials file, a base URL that cannot work
            return os.environ.get(BASE_URL_ENV) or HOSTED_BASE_URL

    # ---------------------------------------------------------------- sandbox

    @property
    def sandbox_url(self) -> str | None:
        return self._sandbox.url if self._sandbox is not None else None

    def start_sandbox(self, *, port: int = 0, db: str | None = None) -> Card:
        """Serve the sandbox in this process and point the session at it.

        The user's credentials file is never read (a sandbox needs no key, and a real
        key must never reach it); if anything fails after the server started, the
        server is stopped again, so no port is left open behind an error. Its links
        name the public address ``magics.remote`` finds once the port is known; a root
        path there (behind a Jupyter server's proxy) is trusted as a link target until
        the sandbox stops.
        """
        from ..sandbox import SandboxServer, SandboxSettings

        if self._sandbox is not None:
            return self.sandbox_card()
        db_path = (
            Path(db) if db else Path(tempfile.mkdtemp(prefix="infrai-sandbox-")) / "db.sqlite3"
        )
        template = self.public_url_template
        found: list[PublicAddress] = []

        def public_url_for(bound_port: int) -> str | None:
            found.append(public_address(template, bound_port, os.environ))
            return found[-1].url

        settings = SandboxSettings(db_path=db_path)
        server = SandboxServer(settings, port=port, public_url_for=public_url_for).start()
        try:
            client = InfraiClient(
                api_key=_NO_KEY,
                base_url=server.url,
                timeout=self.timeout,
                max_retries=self.max_retries,
            )
            client.use_key(None, "none")
            address = found[-1]
            card = sandbox_card(server.url, public_url=address.url, route=address.route)
            _default.use_client(client)
        except BaseException:
            server.stop()
            raise
        self._sandbox, self._joined = server, None
        self._address, self._address_template = address, template
        if address.url is not None and is_root_path(address.url):
            trust_link_path(address.url)
        return card

    def join_class(self, url: str) -> InfraiClient:
        """Point the session at a class's sandbox, with the account kept for it, if any.

        Neither ``INFRAI_API_KEY`` nor any other server's key is sent there: the client
        starts with no key and takes only the key kept for exactly this server, so running
        the teacher's line again, or after a kernel restart, finds the student's class
        account instead of making another. A URL that cannot work is a ``ConfigurationError``.
        """
        client = InfraiClient(
            api_key=_NO_KEY, base_url=url, timeout=self.timeout, max_retries=self.max_retries
        )
        try:
            kept = active_account(client.base_url)
            if kept is None:
                client.use_key(None, "none")
            else:
                client.use_key(kept.api_key, "the account kept for this class")
        except BaseException:
            client.close()
            raise
        _default.use_client(client)
        self._joined = client.base_url
        return client

    def stop_sandbox(self) -> SandboxChange:
        """Stop the embedded sandbox, or leave a class's, and go back to the usual API.

        Says what happened, so a second stop can say there was nothing to stop.
        """
        if self._sandbox is None and self._joined is None:
            return "nothing to stop"
        change: SandboxChange = "stopped" if self._sandbox is not None else "left"
        if self._sandbox is not None:
            self._sandbox.stop()
            if self._address.url is not None and is_root_path(self._address.url):
                forget_link_path(self._address.url)
        self._sandbox, self._joined = None, None
        self._address = PublicAddress(None, "loopback")
        _default.reset()
        return change

    def sandbox_card(self, change: SandboxChange = "status") -> Card:
        """``%infrai_sandbox``: whether a sandbox is in use (embedded or a class's), and where."""
        if change == "status" and self._joined is not None:
            return joined_card(self._joined)
        return sandbox_card(
            self.sandbox_url,
            change,
            public_url=self._address.url,
            route=self._address.route,
            setting_changed=self.public_url_template != self._address_template,
        )

    # ------------------------------------------------------------------ cards

    def session_card(self) -> Card:
        """``%infrai``: raises :class:`CredentialsError` for an unusable credentials file."""
        config = self.client().config
        return session_card(
            base_url=config.base_url,
            api_key=config.api_key,
            key_source=config.key_source,
            region=config.region,
            embedded_sandbox=config.base_url == self.sandbox_url,
            commands=tuple((magic, gettext(what)) for magic, what in MAGICS),
        )

    def tiers(self) -> str:
        """The tiers, with prices where the server says them (the embedded sandbox does)."""
        if self._sandbox is None:
            return ", ".join(TIERS)
        prices = self._sandbox.settings.tier_prices
        return ", ".join(
            f"{tier} ({format_usd(price)})" for tier, price in sorted(prices.items(), key=_price)
        )

    def topup_suggestion(self, error: InfraiError) -> Decimal:
        """How much the error card offers to add: what a 402 says is missing, or a default."""
        return missing_credit(error) or DEFAULT_TOPUP_USD

    def error_card(self, error: InfraiError) -> Card:
        """The error card with the magics to type next; names the server it came from."""
        base_url = self.base_url()
        lead, commands = self._next_step(error)
        return error_card(
            error,
            base_url=base_url,
            origin=self.origin(base_url, getattr(error, "vendor", "")),
            lead=lead,
            commands=commands,
            message=self._message_for(error),
        )

    def _message_for(self, error: InfraiError) -> str | None:
        """The card's message where the session can say more than the error itself."""
        if isinstance(error, AuthenticationError):
            return self._refused_key_message()
        if isinstance(error, AccountExistsError):
            named = (
                f"{error.account_id} ({error.masked_key})" if error.account_id else error.masked_key
            )
            amount = self._balance()
            return _kept_account_message(error.kept, amount).format(account=named, amount=amount)
        return None

    def _balance(self) -> str | None:
        """The balance of the account the session keeps using (``$12.00``), or None when
        the server does not answer. The whole message is one sentence per case, so each
        language orders it its own way."""
        try:
            balance = self.client().account.balance()
        except InfraiError:
            return None
        return format_usd(balance.balance_usd)

    def signed_in(self) -> bool:
        """Whether the session has a key to send (raises for an unusable credentials file)."""
        return self.client().config.api_key is not None

    def not_signed_in_card(self) -> Card:
        """What a call that needs a key shows when the session has none; nothing is sent."""
        base_url = self.base_url()
        return not_signed_in_card(
            base_url=base_url, origin=self.origin(base_url, ""), commands=_SIGN_IN
        )

    def _has_key(self) -> bool:
        try:
            return self.client().config.api_key is not None
        except InfraiError:
            return False

    def _refused_key_message(self) -> str:
        """A 401 in the user's terms, not the server's header advice."""
        try:
            key = self.client().config.api_key
        except InfraiError:
            key = None
        if key is None:
            return gettext(NO_KEY_MESSAGE)
        return gettext(
            "The server did not accept this session's project key ({key}): "
            "it was reset, or the key belongs to another server."
        ).format(key=mask_key(key))

    def origin(self, base_url: str, vendor: str) -> str:
        """Like a result's origin; a refused connection to our own sandbox is still "sandbox"."""
        return "sandbox" if base_url == self.sandbox_url else origin_of(base_url, vendor)

    def _next_step(self, error: InfraiError) -> tuple[str, tuple[str, ...]]:
        """What to type next, and the one sentence leading to it (it replaces the error's
        hint, which speaks to Python code rather than to a notebook)."""
        if isinstance(error, AuthenticationError):
            if self._has_key():  # refused: a plain activate would keep the dead key
                return gettext("Make a new account, or set a key you already have:"), (
                    "%infrai_activate --new",
                    _SET_KEY,
                )
            return gettext("Activate, or set a key you already have:"), _SIGN_IN
        if isinstance(error, AccountExistsError):
            lead = gettext("Keep using it, or make another account on purpose:")
            return lead, ("%infrai_activate --new",)
        if isinstance(error, InsufficientCreditError):
            amount = self.topup_suggestion(error)
            return gettext("Add funds, then run the cell again:"), (topup_command(amount),)
        if isinstance(error, APITimeoutError):
            seconds = max(60, round(self.timeout * 2))
            command = f"%config InfraiMagics.timeout = {seconds}"
            return gettext("Give the server more time:"), (command,)
        if isinstance(error, APIConnectionError):
            return (
                gettext("Check the address and your network, or work offline with the sandbox:"),
                ("%infrai_sandbox start",),
            )
        if isinstance(error, MalformedResponseError):
            return gettext("See where this session points:"), ("%infrai",)
        if isinstance(error, CredentialsError):
            return gettext("Set a key, or activate again:"), (_SET_KEY, "%infrai_activate")
        return "", ()
