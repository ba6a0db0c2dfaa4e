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
from ..contract import HOSTED_BASE_URL, PROJECT_KEY_PREFIX
from ..credentials import BASE_URL_ENV
from ..display import Card, error_card, missing_credit, origin_of, sandbox_card, session_card
from ..errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    CredentialsError,
    InfraiError,
    InsufficientCreditError,
    MalformedResponseError,
)

if TYPE_CHECKING:
    from ..sandbox import SandboxServer

MAGICS = (
    ("%infrai", "what this session is connected to"),
    ("%infrai_activate", "anonymous account with trial credit"),
    ("%infrai_balance [--watch S]", "the wallet balance"),
    ("%infrai_topup [AMOUNT]", "add funds: checkout link, or the form"),
    ("%infrai_keys", "the project keys"),
    ("%infrai_upgrade TIER", "change the tier, e.g. pro"),
    ("%infrai_sandbox start|stop|status", "the offline sandbox API"),
)
"""The magics ``%infrai`` lists, with what each does."""

DEFAULT_TOPUP_USD = Decimal("25")
"""What the error card suggests adding when a 402 does not say a usable amount."""

_SET_KEY = "%env INFRAI_API_KEY=ifr_pk_proj_..."

# Resolution step 1 (an explicit key) skips the credentials file; this stand-in is
# dropped the moment the client exists, so it is never sent anywhere.
_NO_KEY = PROJECT_KEY_PREFIX + "sandbox-start-placeholder"


class Session:
    """One notebook session's connection: what every magic talks through."""

    def __init__(self, *, timeout: float, max_retries: int) -> None:
        self.timeout = timeout
        self.max_retries = max_retries
        self._sandbox: SandboxServer | None = None

    # ----------------------------------------------------------------- client

    def set_limits(self, *, timeout: float, max_retries: int) -> None:
        """Use these limits from now on, for the session's client and every later one."""
        self.timeout, self.max_retries = timeout, max_retries
        _default.set_limits(timeout=timeout, max_retries=max_retries)

    def client(self) -> InfraiClient:
        """The session's client; raises :class:`CredentialsError` for an unusable file."""
        _default.set_limits(timeout=self.timeout, max_retries=self.max_retries)
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
        server is stopped again, so no port is left open behind an error.
        """
        from ..sandbox import SandboxServer, SandboxSettings

        if self._sandbox is not None:
            return self.sandbox_card()
        db_path = (
            Path(db) if db else Path(tempfile.mkdtemp(prefix="infrai-sandbox-")) / "db.sqlite3"
        )
        server = SandboxServer(SandboxSettings(db_path=db_path), port=port).start()
        try:
            client = InfraiClient(
                api_key=_NO_KEY,
                base_url=server.url,
                timeout=self.timeout,
                max_retries=self.max_retries,
            )
            client.use_key(None, "none")
            card = sandbox_card(server.url)
            _default.use_client(client)
        except BaseException:
            server.stop()
            raise
        self._sandbox = server
        return card

    def stop_sandbox(self) -> None:
        """Stop the embedded sandbox and point the session back at its usual API."""
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None
            _default.reset()

    def sandbox_card(self) -> Card:
        """``%infrai_sandbox``: whether the embedded sandbox runs, and where."""
        return sandbox_card(self.sandbox_url)

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
            commands=MAGICS,
        )

    def topup_suggestion(self, error: InfraiError) -> Decimal:
        """How much the error card offers to add: what a 402 says is missing, or a default."""
        return missing_credit(error) or DEFAULT_TOPUP_USD

    def error_card(self, error: InfraiError) -> Card:
        """The error card with the magics to type next; names the server it came from."""
        base_url = self.base_url()
        return error_card(
            error,
            base_url=base_url,
            origin=self.origin(base_url, getattr(error, "vendor", "")),
            commands=self._commands(error),
        )

    def origin(self, base_url: str, vendor: str) -> str:
        """Like a result's origin; a refused connection to our own sandbox is still "sandbox"."""
        return "sandbox" if base_url == self.sandbox_url else origin_of(base_url, vendor)

    def _commands(self, error: InfraiError) -> tuple[str, ...]:
        if isinstance(error, AuthenticationError):
            return ("%infrai_activate", _SET_KEY)
        if isinstance(error, InsufficientCreditError):
            return (f"%infrai_topup {self.topup_suggestion(error)}",)
        if isinstance(error, APITimeoutError):
            return (f"%config InfraiMagics.timeout = {max(60, round(self.timeout * 2))}",)
        if isinstance(error, APIConnectionError):
            return ("%infrai_sandbox start",)
        if isinstance(error, MalformedResponseError):
            return ("%infrai",)
        if isinstance(error, CredentialsError):
            return (_SET_KEY, "%infrai_activate")
        return ()
