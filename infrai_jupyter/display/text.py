"""Plain-text and Markdown forms of a card, for terminals, nbconvert and GitHub.

Text is for reading in a terminal: aligned ``label: value`` lines, URLs printed
bare. Markdown backslash-escapes every significant character in values, so a
hostile label cannot open a link, an HTML tag, an entity or a heading.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from .._i18n import N_, gettext
from .card import Card, CardField, CardFooter, CardTable
from .clean import clean_card, clean_text
from .links import UNSAFE_LINK_WARNING, is_safe_link

TONE_MARKS = {"success": "✔ ", "warning": "⚠ ", "error": "✖ "}

# Everything CommonMark or GFM gives a meaning to: emphasis, links, images, code, HTML,
# entities, headings, lists, tables, math; ":" and "@" break up bare URLs and e-mail autolinks.
_MARKDOWN_SIGNIFICANT = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|&~$:@=])")
_BACKTICK_RUN = re.compile(r"`+")
# Characters that would end or confuse a Markdown link destination.
_DESTINATION_ESCAPES = str.maketrans({"(": "%28", ")": "%29", "<": "%3C", ">": "%3E"})


# Where an answer came from, as the footer says it (the card keeps the stable word).
_ORIGINS = {"hosted": N_("hosted"), "sandbox": N_("sandbox"), "custom": N_("custom")}


def footer_parts(footer: CardFooter) -> list[str]:
    """Name the request and the origin, in the order every format shows them."""
    parts = (
        [gettext("request {request_id}").format(request_id=footer.request_id)]
        if footer.request_id
        else []
    )
    origin = _ORIGINS.get(footer.origin)
    parts += [gettext(origin) if origin else footer.origin, footer.base_url]
    if footer.latency_ms is not None:
        parts.append(f"{footer.latency_ms} ms")
    return [part for part in parts if part]


def _join_blocks(blocks: Iterable[str]) -> str:
    return "\n\n".join(block for block in blocks if block)


# --- plain text -------------------------------------------------------------------------


def render_text(card: Card) -> str:
    """Draw the card as aligned plain text; this is also the copy hidden inside the HTML."""
    card = clean_card(card)
    status = f" · {card.badge}" if card.badge else ""
    heading = [TONE_MARKS.get(card.tone, "") + card.title + status]
    if card.hero:
        heading.append(card.hero)
    if card.hero_caption:
        heading.append(card.hero_caption)
    blocks = [
        "\n".join(heading),
        _aligned([(field.label, _text_value(field)) for field in card.fields]),
        _text_table(card.table) if card.table else "",
        _aligned([(link.label, _text_url(link.url)) for link in card.links]),
        "\n".join(card.notes),
        "\n".join("    " + command.replace("\n", "\n    ") for command in card.commands),
        " · ".join(footer_parts(card.footer)) if card.footer else "",
    ]
    return _join_blocks(blocks)


def _text_url(url: str) -> str:
    return url if is_safe_link(url) else f"{clean_text(url)} ({gettext(UNSAFE_LINK_WARNING)})"


def _text_value(field: CardField) -> str:
    return _text_url(field.value) if field.style == "link" else field.value


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` columns (``ljust`` counts characters)."""
    return text + " " * (width - _width(text))


def _aligned(pairs: Sequence[tuple[str, str]]) -> str:
    """Line values up after the longest ``label:`` so a column of values reads at a glance."""
    if not pairs:
        return ""
    width = max(_width(label) for label, _ in pairs) + 2
    return "\n".join(
        f"{_pad(label + ':', width)}{value.replace(chr(10), chr(10) + ' ' * width)}"
        for label, value in pairs
    )


def _text_table(table: CardTable) -> str:
    if not table.rows:
        return table.empty_message
    lines = [_padded(table.columns, table), *(_padded(row, table) for row in table.rows)]
    widths = [max(_width(line[index]) for line in lines) for index in range(len(lines[0]))]
    lines.insert(1, ["-" * width for width in widths])
    return "\n".join(
        "  ".join(_pad(cell, width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _padded(cells: Sequence[str], table: CardTable) -> list[str]:
    """Give every line of the table the same number of one-line cells."""
    count = max(len(table.columns), *(len(row) for row in table.rows))
    return [cell.replace("\n", " ") for cell in cells] + [""] * (count - len(cells))


# --- Markdown ---------------------------------------------------------------------------


def render_markdown(card: Card) -> str:
    """Draw the card as Markdown; only http(s) URLs become links."""
    card = clean_card(card)
    hero = ""
    if card.hero:
        hero = f"**{_md_text(card.hero)}**"
        if card.hero_caption:
            hero += f" — {_md_text(card.hero_caption)}"
    elif card.hero_caption:
        hero = _md_text(card.hero_caption)
    blocks = [
        f"**{_md_text(TONE_MARKS.get(card.tone, '') + card.title)}**"
        + (f" · {_md_text(card.badge)}" if card.badge else ""),
        hero,
        "\n".join(f"- **{_md_text(field.label)}:** {_md_value(field)}" for field in card.fields),
        _md_table(card.table) if card.table else "",
        " · ".join(_md_url(link.url, link.label) for link in card.links),
        "\n\n".join(_md_text(note) for note in card.notes),
        _md_fence("\n".join(card.commands)) if card.commands else "",
        _md_footer(card.footer) if card.footer else "",
    ]
    return _join_blocks(blocks)


def _md_text(text: str) -> str:
    """Escape every significant mark and fold lines, so a value stays one literal span."""
    return _MARKDOWN_SIGNIFICANT.sub(r"\\\1", text.replace("\n", " "))


def _md_code(text: str) -> str:
    """Wrap in a code span whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * (longest + 1)
    text = text.replace("\n", " ")
    # Pad only where needed: a code span strips one space from each side.
    padding = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _md_fence(text: str) -> str:
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def _md_url(url: str, label: str | None = None) -> str:
    """Link a safe URL; show any other as code with the warning, never as a link."""
    if is_safe_link(url):
        return f"[{_md_text(label or url)}]({url.translate(_DESTINATION_ESCAPES)})"
    shown = f"{_md_code(clean_text(url))} *({_md_text(gettext(UNSAFE_LINK_WARNING))})*"
    return f"{_md_text(label)}: {shown}" if label else shown


def _md_value(field: CardField) -> str:
    if field.style == "link":
        return _md_url(field.value)
    if field.style == "code":
        return _md_code(field.value)
    return _md_text(field.value)


def _md_table(table: CardTable) -> str:
    if not table.rows:
        return f"*{_md_text(table.empty_message)}*"
    header = "| " + " | ".join(_md_text(column) for column in table.columns) + " |"
    rule = "|" + " --- |" * len(table.columns)
    rows = (
        "| "
        + " | ".join(
            _md_code(cell) if index in table.code_columns and cell else _md_text(cell)
            for index, cell in enumerate(row)
        )
        + " |"
        for row in table.rows
    )
    return "\n".join([header, rule, *rows])


def _md_footer(footer: CardFooter) -> str:
    parts = footer_parts(footer)
    return "*" + " · ".join(_md_text(part) for part in parts) + "*" if parts else ""
