"""Check the form's input with the rules the magic, the client and the server apply.

The amount goes through :func:`~infrai_jupyter.contract.parse_amount`, the one amount
parser, so the form refuses exactly what ``%infrai_topup AMOUNT`` refuses, in the same
words (said in the session's language by :func:`~infrai_jupyter.display.amount_message`).
The return URL goes through the contract's own type (the sandbox applies it too); only
its wording is the form's, as pydantic's messages are for developers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import TypeAdapter, ValidationError

from .._i18n import N_, gettext
from ..contract import AmountError, parse_amount, redact_keys
from ..contract.models import MAX_URL_LENGTH, HttpUrlText
from ..display import amount_message

_ECHO_LIMIT = 60
"""How much of a rejected value to quote back; enough to recognise it, never a wall of text."""

_RETURN_URL: TypeAdapter[str] = TypeAdapter(HttpUrlText)

KEY_REMOVED = N_(
    "That looked like a project key, so it was cleared: a key typed into the form "
    "would be saved with the notebook."
)
"""Marked only: shown as ``gettext(KEY_REMOVED)``."""


@dataclass(frozen=True)
class TopupInput:
    """A validated submission: the exact amount in cents and an optional http(s) return URL."""

    amount_usd: Decimal
    return_url: str | None


def holds_a_key(text: str) -> bool:
    """Whether ``text`` contains a project key (which must not stay in widget state)."""
    return redact_keys(text) != text


Field = Literal["amount", "return_url"]
"""A field of the form; each problem is shown under the field it is about."""


def validate_topup(amount_text: str, return_url_text: str) -> TopupInput | dict[Field, str]:
    """Return the validated input, or one sentence per field that is wrong."""
    problems: dict[Field, str] = {}
    amount: Decimal | None = None
    try:
        amount = parse_amount(amount_text)
    except AmountError as error:
        problems["amount"] = amount_message(error)
    return_url = return_url_text.strip() or None
    if return_url is not None:
        try:
            _RETURN_URL.validate_python(return_url)
        except ValidationError:
            problems["return_url"] = _return_url_problem(return_url)
    if amount is None or problems:
        return problems
    return TopupInput(amount_usd=amount, return_url=return_url)


def _return_url_problem(return_url: str) -> str:
    if len(return_url) > MAX_URL_LENGTH:
        return gettext(
            "The return URL is too long: use at most {limit} characters, or leave it empty."
        ).format(limit=MAX_URL_LENGTH)
    return gettext(
        "The return URL {url} is not an absolute http:// or https:// address. Enter one "
        "like https://example.com/thanks, or leave it empty."
    ).format(url=_quote(return_url))


def _quote(text: str) -> str:
    text = redact_keys(text)  # before cutting: a cut key would no longer be recognised
    shown = text if len(text) <= _ECHO_LIMIT else text[: _ECHO_LIMIT - 1] + "…"
    return f"“{shown}”"
