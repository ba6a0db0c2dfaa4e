"""The one error card, shown by the magics and by the top-up form alike.

It says what failed (a short title, the message, the code), what to do next (the
error's own ``hint``, then the caller's step: a magic to type, a button to click),
and where (the footer's origin, base URL and request id). Every string in it comes
from a server or a proxy, so the renderers clean it like any other card.

The card's own words (titles, labels, the no-key sentences) are marked with ``N_`` and
translated as the card is built; a server's message stays as the server wrote it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from .._i18n import N_, gettext
from ..contract import AmountError, parse_amount
from ..errors import (
    AccountExistsError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    CredentialsError,
    InfraiError,
    InsufficientCreditError,
    InvalidKeyError,
    InvalidRequestError,
    MalformedResponseError,
    MissingKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from .card import Card, CardField, CardFooter
from .clean import ID_LIMIT, clean_text
from .view import format_usd

# Most specific first: the first class the error is an instance of names it.
_TITLES: tuple[tuple[type[InfraiError], str], ...] = (
    (AuthenticationError, N_("Not signed in")),
    (MissingKeyError, N_("Not signed in")),
    (AccountExistsError, N_("This session already has an account")),
    (InsufficientCreditError, N_("Not enough credit")),
    (RateLimitError, N_("Too many requests")),
    (InvalidRequestError, N_("Invalid request")),
    (PermissionDeniedError, N_("Not allowed")),
    (NotFoundError, N_("Not found")),
    (ConflictError, N_("Conflict")),
    (ServerError, N_("The server failed")),
    (APIStatusError, N_("Request failed")),
    (APITimeoutError, N_("The server did not answer in time")),
    (APIConnectionError, N_("Cannot reach the infrai API")),
    (MalformedResponseError, N_("That server is not the infrai API")),
    (InvalidKeyError, N_("That project key is not well formed")),
    (CredentialsError, N_("The saved credentials cannot be used")),
    (ConfigurationError, N_("A setting cannot work")),
)

# 402 details worth showing, in this order; each is shown only if it is a real amount.
_CREDIT_DETAILS = (
    ("missing_usd", N_("Missing")),
    ("required_usd", N_("Required")),
    ("balance_usd", N_("Balance")),
)


def error_card(
    error: InfraiError,
    *,
    base_url: str,
    origin: str,
    commands: Sequence[str] = (),
    lead: str = "",
    retry_step: str = "",
    fix_step: str = "",
    message: str | None = None,
) -> Card:
    """Describe ``error`` for a person: title, message, code, hint, next step, origin.

    ``commands`` are what the caller offers to type (the magics: ``%infrai_topup 18.00``),
    and ``lead`` the sentence before them: it then replaces the error's ``hint``, so the
    next step is said once. ``retry_step`` is shown when another attempt may succeed,
    ``fix_step`` when it cannot.
    ``message`` replaces the server's words where the caller can say it better (a 401's
    "Send 'Authorization: Bearer …'" is for developers; "no project key yet" is not); a
    marked constant such as :data:`NO_KEY_MESSAGE` is translated here.
    """
    step = retry_step if error.retryable else fix_step
    return Card(
        kind="error",
        title=_title(error),
        fields=(
            CardField(gettext("Message"), gettext(message) if message else error.message),
            *_detail_fields(error),
        ),
        notes=(lead,) if lead else tuple(note for note in (error.hint, step) if note),
        commands=tuple(commands),
        tone="error",
        footer=CardFooter(
            origin=origin,
            base_url=base_url,
            request_id=error.request_id if isinstance(error, APIStatusError) else "",
        ),
    )


NO_KEY_MESSAGE = N_("This session has no project key yet, so nothing was sent.")
"""Marked only: translate it where it is shown (``gettext(NO_KEY_MESSAGE)``)."""


def not_signed_in_card(*, base_url: str, origin: str, commands: Sequence[str]) -> Card:
    """The card for a call that needs a key when the session has none: no request is made.

    Without this, a session with no key and no network would be told about DNS.
    """
    return Card(
        kind="error",
        title=gettext("Not signed in"),
        fields=(CardField(gettext("Message"), gettext(NO_KEY_MESSAGE)),),
        notes=(gettext("Activate to get an account and its key, or set a key you already have:"),),
        commands=tuple(commands),
        tone="error",
        footer=CardFooter(origin=origin, base_url=base_url),
    )


def _title(error: InfraiError) -> str:
    """A few words naming what went wrong, from the error's class."""
    for cls, title in _TITLES:
        if isinstance(error, cls):
            return gettext(title)
    return gettext("infrai error")


def error_line(error: InfraiError) -> str:
    """One clean line under the card that fails the cell: ``CODE: title``, nothing repeated.

    The card above it already says the message and what to do; this line only names
    the failure (so *Run All* visibly stops here) and points back at the card.
    """
    code = error.code if isinstance(error, APIStatusError) else type(error).__name__
    return gettext("{code}: {title} (the card above says what to do)").format(
        code=clean_text(code, ID_LIMIT), title=_title(error)
    )


def topup_command(amount: Decimal) -> str:
    """``%infrai_topup 18.00``: the one way cards, forms and fallbacks write a top-up."""
    return f"%infrai_topup {amount:.2f}"


def missing_credit(error: InfraiError) -> Decimal | None:
    """The amount a 402 says is missing, if it is one a top-up could add; else ``None``.

    A server's ``details`` are untrusted: ``"abc"``, ``{}``, NaN, ``1e999`` or ``-5``
    are ignored rather than turned into a nonsense suggestion.
    """
    if not isinstance(error, InsufficientCreditError):
        return None
    try:
        return parse_amount(_details(error).get("missing_usd"))
    except AmountError:
        return None


def _details(error: APIStatusError) -> dict[str, object]:
    return error.details if isinstance(error.details, dict) else {}


def _detail_fields(error: InfraiError) -> list[CardField]:
    fields: list[CardField] = []
    if isinstance(error, APIStatusError):
        code = clean_text(error.code, ID_LIMIT)
        fields.append(CardField(gettext("Code"), f"{code} (HTTP {error.status_code})", "code"))
    if isinstance(error, MalformedResponseError):
        answer = clean_text(error.content_type or gettext("no content type"), ID_LIMIT)
        fields.append(CardField(gettext("Answer"), f"HTTP {error.status_code} {answer}", "code"))
    if isinstance(error, InsufficientCreditError):
        for name, label in _CREDIT_DETAILS:
            amount = _amount(_details(error).get(name))
            if amount is not None:
                fields.append(CardField(gettext(label), format_usd(amount)))
    return fields


def _amount(value: object) -> Decimal | None:
    """A detail as an amount of dollars to show (zero allowed), or ``None`` if it is not one."""
    try:
        return parse_amount(value, minimum=Decimal(0), maximum=None)
    except AmountError:
        return None
