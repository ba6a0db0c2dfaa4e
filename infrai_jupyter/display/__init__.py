"""Pure renderers that turn a ``Card`` into HTML, Markdown or plain text.

Nothing here touches IPython or the network: results, errors and magics build a
``Card`` and pick the format their front end asks for.
"""

from __future__ import annotations

from .card import Card, CardField, CardFooter, CardLink, CardTable
from .html import render_html
from .links import is_safe_link
from .text import render_markdown, render_text

__all__ = [
    "Card",
    "CardField",
    "CardFooter",
    "CardLink",
    "CardTable",
    "is_safe_link",
    "render_html",
    "render_markdown",
    "render_text",
]
