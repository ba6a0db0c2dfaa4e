"""Money on the wire: exact ``Decimal`` in Python, a plain JSON number on the wire.

Dollars never pass through binary floats inside the package. JSON has no decimal
type, so a serialized amount is the float whose shortest repr is the two-decimal
value (``19.99`` stays ``19.99``); readers parse it back with ``parse_float=Decimal``.

:func:`parse_amount` is the one reader of an amount a person typed or passed: the
magic, the top-up form, the sandbox's command line and the client all use it, so
each refuses exactly what the others refuse, with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import AfterValidator, PlainSerializer

CENT = Decimal("0.01")

TOPUP_MIN_USD = CENT
"""The smallest single top-up the API accepts."""

TOPUP_MAX_USD = Decimal("10000")
"""The largest single top-up the API accepts."""

TOPUP_PRESETS_USD: tuple[Decimal, ...] = (Decimal("5"), Decimal("10"), Decimal("25"), Decimal("50"))
"""The amounts offered with one click: the notebook's form and the checkout's add-funds page."""

_ECHO_LIMIT = 60
"""How much of a refused value to quote back: enough to recognise it, never a wall of text."""


AmountReason = Literal[
    "not_a_number_type",
    "empty",
    "not_a_number",
    "not_finite",
    "below_minimum",
    "above_maximum",
    "too_large",
    "fraction_of_cent",
]
"""Why an amount was refused, as a stable code a caller can say in the user's language."""


def N_(message: str) -> str:  # the catalogues' marker, as gettext names it
    """Mark ``message`` for the catalogues: ``scripts/i18n.py`` extracts it into the
    package's and the sandbox's, whose code translates it; the contract speaks English."""
    return message


AMOUNT_MESSAGES: Mapping[AmountReason, str] = MappingProxyType(
    {
        "not_a_number_type": N_("An amount must be a number of dollars such as 25, not {value}."),
        "empty": N_("Enter an amount in dollars, such as 25."),
        "not_a_number": N_("{value} is not a number of dollars; enter one such as 25 or 9.99."),
        "not_finite": N_("{value} is not an amount of dollars; enter a number such as 25."),
        "below_minimum": N_("The amount must be at least {minimum}."),
        "above_maximum": N_("The amount can be at most {maximum}."),
        "too_large": N_("{value} is too large an amount of dollars."),
        "fraction_of_cent": N_("Use at most 2 decimals (whole cents), such as 9.99."),
    }
)
"""Each refusal's sentence, with ``{placeholders}`` for the error's ``params``: the
contract's own English, and the catalogue message its callers show translated."""


class AmountError(ValueError):
    """An amount that cannot be sent; the message says what to type instead.

    ``str()`` is the English sentence. ``reason`` names the problem with a stable code
    and ``params`` holds the text its sentence quotes (``value``: the refused input,
    already shortened and quoted; ``minimum``/``maximum``: amounts as ``$1,234.50``), so
    the display layer can say it in the user's language (``display.amount_message``):
    the contract itself speaks only English, as the sandbox shares it.
    """

    def __init__(
        self,
        message: str,
        reason: AmountReason = "not_a_number",
        params: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.reason: AmountReason = reason
        self.params: dict[str, str] = dict(params or {})


def dollars(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as an exact dollar amount rounded to whole cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def parse_amount(
    value: object,
    *,
    minimum: Decimal = TOPUP_MIN_USD,
    maximum: Decimal | None = TOPUP_MAX_USD,
) -> Decimal:
    """Read an amount of dollars exactly, or raise :class:`AmountError` saying why not.

    Accepts ``25``, ``"9.99"``, ``" $25 "``, ``Decimal("25.00")`` and floats whose
    shortest repr has whole cents (``25.0``); refuses text that is not a number,
    ``NaN``/``inf``, fractions of a cent, and anything outside ``minimum..maximum``.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise _refused("not_a_number_type", value=_shorten(repr(value)))
    text = (repr(value) if isinstance(value, float) else str(value)).strip()
    text = text.removeprefix("$").strip()
    if not text:
        raise _refused("empty")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _refused("not_a_number", value=_quote(text)) from None
    if not amount.is_finite():
        raise _refused("not_finite", value=_quote(text))
    if amount < minimum:
        raise _refused("below_minimum", minimum=_usd(minimum))
    if maximum is not None and amount > maximum:
        raise _refused("above_maximum", maximum=_usd(maximum))
    try:
        in_cents = amount.quantize(CENT)
    except InvalidOperation:  # more digits than a Decimal holds in cents (1e27 and up)
        raise _refused("too_large", value=_quote(text)) from None
    if amount != in_cents:
        raise _refused("fraction_of_cent")
    return in_cents


def _refused(reason: AmountReason, **params: str) -> AmountError:
    return AmountError(AMOUNT_MESSAGES[reason].format(**params), reason, params)


def _usd(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _quote(text: str) -> str:
    return f"“{_shorten(text)}”"


def _shorten(text: str) -> str:
    return text if len(text) <= _ECHO_LIMIT else text[: _ECHO_LIMIT - 1] + "…"


MONEY_LIMIT = Decimal(2**63)
"""No amount of dollars reaches this in magnitude; anything beyond is not money."""


def _finite_amount(value: Decimal) -> Decimal:
    """Refuse NaN, infinities and absurd amounts: rounding one to cents would raise."""
    if not value.is_finite() or value.copy_abs() >= MONEY_LIMIT:
        raise ValueError("not an amount of dollars")
    return value


def _as_json_number(value: Decimal) -> float:
    # A two-decimal amount below 2**53 cents survives the float repr exactly.
    return float(value)


Money = Annotated[
    Decimal,
    AfterValidator(_finite_amount),
    AfterValidator(dollars),
    PlainSerializer(_as_json_number, return_type=float, when_used="json"),
]
"""A dollar amount the contract defines in cents (balances, top-ups, prices): ``Decimal``
in Python, a JSON number with at most two decimals."""

ExactUsd = Annotated[
    Decimal,
    AfterValidator(_finite_amount),
    PlainSerializer(_as_json_number, return_type=float, when_used="json"),
]
"""A dollar amount kept exactly as sent, such as a call's ``cost_usd`` of ``0.0004``:
rounding it to cents would report a paid call as free."""
