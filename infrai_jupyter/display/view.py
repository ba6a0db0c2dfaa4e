"""What every drawn thing shares: masking, money and origin wording, and ``CardView``.

Results, the magics' own cards and the top-up form all show a :class:`Card` through
:class:`CardView` or a renderer; every renderer cleans the card first (keys masked,
escapes and invisible characters neutralised, lengths capped: :mod:`.clean`).
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any, TypeVar

from ..contract import HOSTED_BASE_URL, redact_keys
from .card import Card
from .clean import clean_text
from .html import render_html
from .text import render_markdown, render_text

T = TypeVar("T")


def format_usd(amount: Decimal) -> str:
    """``Decimal("1234.5")`` → ``$1,234.50``; negative amounts keep their sign."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def origin_of(base_url: str, vendor: str) -> str:
    """Name where an answer came from: the hosted API, the sandbox, or another server."""
    if base_url.rstrip("/") == HOSTED_BASE_URL:
        return "hosted"
    return "sandbox" if vendor == "sandbox" else "custom"


def redact(value: T) -> T:
    """Mask every project key inside ``value``: a string or JSON-like data.

    Keys a server writes into free text (a notice, a label) are not ``ApiKey`` values,
    so a result's reprs and saved data pass through here; cards are cleaned (and so
    masked) by every renderer.
    """
    if isinstance(value, str):
        return redact_keys(value)  # type: ignore[return-value]
    if isinstance(value, (list, tuple)):
        return type(value)(redact(item) for item in value)
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}  # type: ignore[return-value]
    return value


class StatusLine:
    """One short live line beside a card (``--watch``): polite to screen readers, no card."""

    def __init__(self, text: str) -> None:
        self.text = clean_text(text)

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return (
            '<div class="infrai-status" role="status" style="margin:2px 0;font-size:12.5px;'
            f'color:var(--jp-ui-font-color1,inherit)">{escape(self.text)}</div>'
        )


class CardView:
    """A card made displayable: results and the magics' own cards show this way."""

    def __init__(self, card: Card) -> None:
        self.card = card

    def __repr__(self) -> str:
        return render_text(self.card)

    def _repr_html_(self) -> str:
        return render_html(self.card)

    def _repr_markdown_(self) -> str:
        return render_markdown(self.card)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(render_text(self.card))
