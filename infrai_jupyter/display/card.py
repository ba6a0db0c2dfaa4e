"""A card described as plain data, so one renderer per format can draw any of them.

Results, errors and the session summary each build a ``Card``; the renderers in
this package turn it into HTML, Markdown or text. Escaping and link rules live in
the renderers only, so no builder can forget them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .._i18n import current_language

Tone = Literal["normal", "success", "warning", "error"]
FieldStyle = Literal["text", "code", "link"]


@dataclass(frozen=True)
class CardField:
    """One labelled value; ``link`` fields become anchors only for http(s) URLs."""

    label: str
    value: str
    style: FieldStyle = "text"


@dataclass(frozen=True)
class CardTable:
    """A small table (the keys list); every cell is text."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty_message: str = "Nothing to show."
    code_columns: tuple[int, ...] = ()  # columns of ids or commands, drawn in monospace


@dataclass(frozen=True)
class CardLink:
    """A call to action, such as the checkout or add-funds link."""

    label: str
    url: str


@dataclass(frozen=True)
class CardFooter:
    """Where the data came from: every card names its request id and its origin."""

    origin: str  # "sandbox", "hosted" or "custom"
    base_url: str
    request_id: str = ""
    latency_ms: int | None = None


@dataclass(frozen=True)
class Card:
    """Everything a card shows, in reading order."""

    kind: str  # a stable CSS hook: "activation", "balance", "topup", "keys", "account", ...
    title: str
    hero: str | None = None  # the one value that matters most, drawn large
    hero_caption: str | None = None
    fields: tuple[CardField, ...] = ()
    table: CardTable | None = None
    links: tuple[CardLink, ...] = ()
    notes: tuple[str, ...] = ()  # short sentences: hints, what to do next
    commands: tuple[str, ...] = ()  # commands the user can type, shown as code
    tone: Tone = "normal"
    badge: str | None = None  # the status pill in the header; by default the tone in words
    footer: CardFooter | None = None
    # The language its words were written in (``en``, ``zh_CN``): the HTML says so, for
    # screen readers, fonts and whoever reads the exported page.
    language: str = field(default_factory=current_language)
