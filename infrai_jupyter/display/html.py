"""The HTML card: escaped markup, the scoped stylesheet and a plain-text twin.

Each card carries its own ``<style>`` so a saved notebook renders without this
package, and a ``<pre class="infrai-plain">`` copy of ``render_text`` that the
stylesheet hides: where a renderer strips CSS (GitHub, nbviewer) the text shows.
"""

from __future__ import annotations

import re
from html import escape

from .._i18n import N_, gettext, html_lang
from .card import Card, CardField, CardLink, CardTable
from .clean import clean_card, clean_text
from .links import UNSAFE_LINK_WARNING, is_safe_link
from .text import footer_parts, render_text
from .theme import CARD_CSS

_TONE_BADGES = {"success": N_("Success"), "warning": N_("Warning"), "error": N_("Error")}
_NOT_A_CLASS_NAME = re.compile(r"[^a-z0-9-]+")
_NEW_TAB_MARK = '<span aria-hidden="true">↗</span>'
_MAGIC_NAME = re.compile(r"(%infrai(?:_[a-z]+)*)")


def _text(value: str) -> str:
    return escape(value, quote=True)


def _class_name(value: str) -> str:
    """Reduce a builder-supplied kind or tone to a safe class-name fragment."""
    return _NOT_A_CLASS_NAME.sub("-", value.lower()).strip("-") or "card"


def render_html(card: Card) -> str:
    """Draw the card as one self-contained HTML fragment: no script, nothing fetched."""
    card = clean_card(card)
    # JupyterLab typesets $...$ in HTML as TeX ("costs $20.00 but the balance is $2.00"
    # would turn into italic math): MathJax 3 skips mathjax_ignore, MathJax 2 tex2jax_ignore.
    classes = (
        f"infrai-card infrai-card-{_class_name(card.kind)} infrai-tone-{_class_name(card.tone)}"
        " mathjax_ignore tex2jax_ignore" + (" infrai-has-table" if card.table else "")
    )
    body = "".join(
        [
            _hero(card),
            _fields(card.fields),
            _table(card.table) if card.table else "",
            _actions(card.links),
            _notes(card.notes),
            _commands(card.commands),
        ]
    )
    parts = [
        f'<div class="{classes}" lang="{html_lang(card.language)}"><style>{CARD_CSS}</style>',
        _header(card),
        f'<div class="infrai-body">{body}</div>' if body else "",
        f'<div class="infrai-footer">{_text(" · ".join(footer_parts(card.footer)))}</div>'
        if card.footer
        else "",
        f'<pre class="infrai-plain">{_text(render_text(card))}</pre></div>',
    ]
    return "".join(parts)


def _header(card: Card) -> str:
    tone_badge = _TONE_BADGES.get(card.tone)
    badge = card.badge or (gettext(tone_badge) if tone_badge else None)
    # The space keeps title and badge apart where the stylesheet is stripped.
    badge_html = f' <span class="infrai-badge">{_text(badge)}</span>' if badge else ""
    return (
        f'<div class="infrai-header"><strong class="infrai-title">{_text(card.title)}</strong>'
        f"{badge_html}</div>"
    )


def _hero(card: Card) -> str:
    hero = f'<div class="infrai-hero">{_text(card.hero)}</div>' if card.hero else ""
    if card.hero_caption:
        hero += f'<div class="infrai-hero-caption">{_text(card.hero_caption)}</div>'
    return f"<div>{hero}</div>" if hero else ""


def _fields(fields: tuple[CardField, ...]) -> str:
    if not fields:
        return ""
    rows = "".join(
        f"<dt>{_text(field.label)}</dt><dd>{_field_value(field)}</dd>" for field in fields
    )
    return f'<dl class="infrai-fields">{rows}</dl>'


def _field_value(field: CardField) -> str:
    if field.style == "link":
        if is_safe_link(field.value):
            return _anchor(field.value, _text(field.value), "infrai-link")
        return _unsafe_url(field.value)
    if field.style == "code":
        return f'<code class="infrai-code">{_text(field.value)}</code>'
    return _text(field.value)


def _anchor(url: str, label_html: str, css_class: str) -> str:
    """Open an already-vetted http(s) URL in a new tab that cannot reach back to the notebook."""
    return (
        f'<a class="{css_class}" href="{_text(url)}" target="_blank" '
        f'rel="noopener noreferrer">{label_html}</a>'
    )


def _unsafe_url(url: str) -> str:
    return (
        f'<code class="infrai-code">{_text(clean_text(url))}</code> '
        f'<span class="infrai-warning">({_text(gettext(UNSAFE_LINK_WARNING))})</span>'
    )


def _actions(links: tuple[CardLink, ...]) -> str:
    if not links:
        return ""
    items = "".join(
        _anchor(link.url, f"{_text(link.label)} {_NEW_TAB_MARK}", "infrai-button")
        if is_safe_link(link.url)
        else f"<span>{_text(link.label)}: {_unsafe_url(link.url)}</span>"
        for link in links
    )
    return f'<div class="infrai-actions">{items}</div>'


def _table(table: CardTable) -> str:
    if not table.rows:
        return f'<p class="infrai-empty">{_text(table.empty_message)}</p>'
    head = "".join(f'<th scope="col">{_text(column)}</th>' for column in table.columns)
    rows = "".join(
        "<tr>"
        + "".join(_cell(cell, index in table.code_columns) for index, cell in enumerate(row))
        + "</tr>"
        for row in table.rows
    )
    # The region is focusable and labelled, so keyboard users can scroll it sideways too.
    label = _text(gettext("Table (scrolls sideways on narrow screens)"))
    return (
        '<div class="infrai-table-scroll" role="region" tabindex="0" '
        f'aria-label="{label}"><table class="infrai-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _cell(text: str, code: bool) -> str:
    if code and text:
        return f'<td><code class="infrai-code">{_text(text)}</code></td>'
    return f"<td>{_text(text)}</td>"


def _notes(notes: tuple[str, ...]) -> str:
    if not notes:
        return ""
    paragraphs = "".join(f"<p>{_magics_as_code(_text(note))}</p>" for note in notes)
    return f'<div class="infrai-notes">{paragraphs}</div>'


def _magics_as_code(escaped: str) -> str:
    """Set magic names in monospace inside already-escaped prose (they contain no markup)."""
    return _MAGIC_NAME.sub(r'<code class="infrai-code">\1</code>', escaped)


def _commands(commands: tuple[str, ...]) -> str:
    if not commands:
        return ""
    return f'<pre class="infrai-commands"><code>{_text(chr(10).join(commands))}</code></pre>'
