"""Make server text safe to show: keys masked, escapes removed, invisibles marked, length capped.

A server (or a proxy in front of it) controls most strings a card shows: messages, codes,
ids, labels, notices. Each renderer passes its card through :func:`clean_card` first, so
no card can forget it: a terminal escape cannot recolour or clear the screen, a bidi
override cannot make ``exe.txt`` read as ``txt.exe``, and a 6 MB field stays a line.
Escaping for HTML or Markdown is the renderers' job; this is about what the text *says*.
"""

from __future__ import annotations

import dataclasses

from .._i18n import gettext
from ..contract import clean_server_text, redact_keys
from .card import Card, CardField, CardFooter, CardLink, CardTable

MESSAGE_LIMIT = 300
"""Characters of a message, note or other free text a card shows."""

ID_LIMIT = 80
"""Characters of an id, code, label or other short value a card shows."""

LINE_LIMIT = 120
"""Characters of a card title, a table cell or a code value (an id, a base URL)."""

ROW_LIMIT = 100
"""Rows of a table a card shows; a note says how many more there are."""

_DAY_MS = 86_400_000

INVISIBLE_MARK = "\N{REPLACEMENT CHARACTER}"
"""Shown where an invisible or control character was, so the user sees that one was there."""

ELLIPSIS = "…"


def clean_text(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Return ``text`` as one line that may be shown: keys masked, escapes gone, invisibles
    marked with :data:`INVISIBLE_MARK`, capped; the contract's one cleaning pass."""
    return clean_server_text(text, limit, invisible=INVISIBLE_MARK)


def clean_card(card: Card) -> Card:
    """Clean every string of ``card``; URLs only lose their keys (a cut URL would mislead).

    Links are left whole because :func:`~.links.is_safe_link` decides on the real URL:
    one with an invisible character, or too long, is never made clickable, and the
    renderers show it as text through :func:`clean_text`.
    """
    return dataclasses.replace(
        card,
        kind=clean_text(card.kind, ID_LIMIT),
        title=clean_text(card.title, LINE_LIMIT),
        hero=_optional(card.hero, ID_LIMIT),
        hero_caption=_optional(card.hero_caption, ID_LIMIT),
        badge=_optional(card.badge, ID_LIMIT),
        fields=tuple(_field(field) for field in card.fields),
        table=_table(card.table) if card.table else None,
        links=tuple(
            CardLink(clean_text(link.label, ID_LIMIT), redact_keys(link.url)) for link in card.links
        ),
        notes=tuple(clean_text(note) for note in card.notes) + _rows_left_out(card.table),
        commands=tuple(clean_text(command) for command in card.commands),
        footer=_footer(card.footer) if card.footer else None,
    )


def _optional(text: str | None, limit: int) -> str | None:
    return None if text is None else clean_text(text, limit)


def _field(field: CardField) -> CardField:
    label = clean_text(field.label, ID_LIMIT)
    if field.style == "link":
        return CardField(label, redact_keys(field.value), "link")
    limit = LINE_LIMIT if field.style == "code" else MESSAGE_LIMIT
    return CardField(label, clean_text(field.value, limit), field.style)


def _table(table: CardTable) -> CardTable:
    return CardTable(
        columns=tuple(clean_text(column, ID_LIMIT) for column in table.columns),
        rows=tuple(
            tuple(clean_text(cell, LINE_LIMIT) for cell in row) for row in table.rows[:ROW_LIMIT]
        ),
        empty_message=clean_text(table.empty_message),
        code_columns=table.code_columns,
    )


def _sensible_latency(latency_ms: int | None) -> bool:
    """A latency worth showing: from zero to a day (a server's number is not trusted)."""
    return latency_ms is not None and 0 <= latency_ms <= _DAY_MS


def _rows_left_out(table: CardTable | None) -> tuple[str, ...]:
    if table is None or len(table.rows) <= ROW_LIMIT:
        return ()
    return (
        gettext("Showing the first {shown} of {total} rows.").format(
            shown=ROW_LIMIT, total=len(table.rows)
        ),
    )


def _footer(footer: CardFooter) -> CardFooter:
    return CardFooter(
        origin=clean_text(footer.origin, ID_LIMIT),
        base_url=clean_text(footer.base_url),
        request_id=clean_text(footer.request_id, ID_LIMIT),
        latency_ms=footer.latency_ms if _sensible_latency(footer.latency_ms) else None,
    )
