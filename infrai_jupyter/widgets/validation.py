"""Check the form's input with the server's own rules, and say what is wrong in plain words.

The rules live in the contract's :class:`~infrai_jupyter.contract.TopupRequest`, which the
sandbox applies too, so the form can never accept what the server would refuse or refuse
what it would accept. Only the wording is the form's: pydantic's messages are for developers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from ..contract import TopupRequest, dollars
from ..display import format_usd

_ECHO_LIMIT = 60
"""How much of a rejected value to quote back; enough to recognise it, never a wall of text."""


@dataclass(frozen=True)
class TopupInput:
    """A validated submission: the exact amount in cents and an optional http(s) return URL."""

    amount_usd: Decimal
    return_url: str | None


def validate_topup(amount_text: str, return_url_text: str) -> TopupInput | list[str]:
    """Return the validated input, or the problems to show, one sentence each."""
    amount = amount_text.strip().removeprefix("$").strip()
    return_url = return_url_text.strip() or None
    try:
        request = TopupRequest.model_validate({"amount_usd": amount, "return_url": return_url})
    except ValidationError as error:
        return [_plain_words(problem, amount, return_url) for problem in error.errors()]
    return TopupInput(amount_usd=dollars(request.amount_usd), return_url=request.return_url)


def _plain_words(problem: Any, amount: str, return_url: str | None) -> str:
    field = problem["loc"][0] if problem["loc"] else ""
    kind = problem["type"]
    context = problem.get("ctx") or {}
    if field == "amount_usd":
        return _amount_problem(kind, context, amount)
    if kind == "string_too_long":
        return (
            f"The return URL is too long: use at most {context['max_length']} characters, "
            "or leave it empty."
        )
    return (
        f"The return URL {_quote(return_url or '')} is not an absolute http:// or https:// "
        "address. Enter one like https://example.com/thanks, or leave it empty."
    )


def _amount_problem(kind: str, context: dict[str, Any], amount: str) -> str:
    if not amount:
        return "Enter an amount in dollars, such as 25, or pick one of the buttons."
    if kind == "greater_than":
        return f"The amount must be more than {format_usd(Decimal(context['gt']))}."
    if kind == "less_than_equal":
        return f"The amount can be at most {format_usd(Decimal(context['le']))} per top-up."
    if kind == "decimal_max_places":
        return f"Use at most {context['decimal_places']} decimals (whole cents), such as 9.99."
    if kind == "finite_number":
        return f"{_quote(amount)} is not an amount of dollars; enter a number such as 25."
    return f"{_quote(amount)} is not a number of dollars; enter one such as 25 or 9.99."


def _quote(text: str) -> str:
    shown = text if len(text) <= _ECHO_LIMIT else text[: _ECHO_LIMIT - 1] + "…"
    return f"“{shown}”"
