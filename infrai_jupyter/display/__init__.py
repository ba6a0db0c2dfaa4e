"""Pure renderers that turn a ``Card`` into HTML, Markdown or plain text.

Nothing here touches IPython or the network: results, errors and magics build a
``Card`` and pick the format their front end asks for.
"""

from __future__ import annotations

from .card import Card, CardField, CardFooter, CardLink, CardTable
from .html import render_html
from .links import is_safe_link
from .text import render_markdown, render_text
from .view import CardView, format_usd, origin_of, redact

__all__ = [
    "Card",
    "CardField",
    "CardFooter",
    "CardLink",
    "CardTable",
    "CardView",
    "format_usd",
    "is_safe_link",
    "origin_of",
    "redact",
    "render_html",
    "render_markdown",
    "render_text",
]
