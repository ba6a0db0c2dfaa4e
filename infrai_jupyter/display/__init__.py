"""Everything that draws: the card model, its renderers, and the cards every caller shares.

Nothing here touches IPython, the network or the client: results, the magics and the
top-up form build a ``Card`` (or ask for the error or session card) and pick the format
their front end asks for. Every renderer cleans the card first (:mod:`.clean`).

Cards speak the session's language (:mod:`infrai_jupyter._i18n`): builders translate
their words as they build, renderers the few words they add (badges, the footer).
"""

from __future__ import annotations

from .amounts import amount_message
from .card import Card, CardField, CardFooter, CardLink, CardTable, Tone
from .clean import clean_text
from .error_card import (
    NO_KEY_MESSAGE,
    error_card,
    error_line,
    missing_credit,
    not_signed_in_card,
    topup_command,
)
from .html import render_html
from .links import is_safe_link
from .session_card import (
    SandboxChange,
    joined_card,
    key_source_label,
    sandbox_card,
    session_card,
)
from .text import render_markdown, render_text
from .view import CardView, StatusLine, format_usd, origin_of, redact

__all__ = [
    "NO_KEY_MESSAGE",
    "Card",
    "CardField",
    "CardFooter",
    "CardLink",
    "CardTable",
    "CardView",
    "SandboxChange",
    "StatusLine",
    "Tone",
    "amount_message",
    "clean_text",
    "error_card",
    "error_line",
    "format_usd",
    "is_safe_link",
    "joined_card",
    "key_source_label",
    "missing_credit",
    "not_signed_in_card",
    "origin_of",
    "redact",
    "render_html",
    "render_markdown",
    "render_text",
    "sandbox_card",
    "session_card",
    "topup_command",
]
