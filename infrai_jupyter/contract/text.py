"""Server text made safe to hold in an exception: one line, no escapes, no keys, capped.

Whatever a server (or a proxy before it) sends can reach a traceback, a log line or a
card: an error's message, code, details, request id. :func:`clean_server_text` is the
one pass all of it takes, in this order: terminal escape sequences go whole, other
control and invisible characters go (so a key split by a zero-width space joins up
again), then every project key is masked, then the length is capped.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from .keys import redact_keys
from .money import MONEY_LIMIT

TEXT_LIMIT = 500
"""Characters kept of a message or other free text."""

TOKEN_LIMIT = 120
"""Characters kept of a code, a request id, a content type or another short value."""

ITEMS_LIMIT = 50
"""Entries kept of each list or object inside an error's ``details``."""

DEPTH_LIMIT = 8
"""Levels of nesting kept inside an error's ``details``."""

_ELLIPSIS = "…"

# CSI (ESC [ … final), OSC (ESC ] … BEL or ST), two-character ESC sequences, 8-bit CSI.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_SPACING = frozenset("\t\n\r\v\f\x85\u2028\u2029")


def clean_server_text(text: object, limit: int = TEXT_LIMIT, *, invisible: str = "") -> str:
    """``text`` as one safe line: escapes and controls removed, keys masked, capped.

    ``invisible`` replaces each control or invisible character (a card passes a visible
    mark, so the reader sees that one was there); where dropping them reveals a key, the
    key wins and is masked whole, marks or not.
    """
    line = str(text)
    if line.isprintable():  # the common case: no escape, control or invisible character
        masked = redact_keys(line)
    else:
        line = _ESCAPE_SEQUENCE.sub("", line)
        joined = "".join(_spaced(char) for char in line if _kept(char))
        masked = redact_keys(joined)
        if invisible and masked == joined:
            masked = "".join(_spaced(char) if _kept(char) else invisible for char in line)
    return masked if len(masked) <= limit else masked[: limit - 1] + _ELLIPSIS


def _spaced(char: str) -> str:
    return " " if char in _SPACING or unicodedata.category(char) == "Zs" else char


def is_absurd_number(value: int | float | Decimal) -> bool:
    """Whether no field of the API could hold ``value``: not finite, or 2**63 or more."""
    try:
        number = Decimal(value)
    except (ValueError, ArithmeticError):
        return True
    return not number.is_finite() or number.copy_abs() >= MONEY_LIMIT


def clean_server_data(value: Any, depth: int = 0) -> Any:
    """An error's ``details`` with every string (keys of objects too) cleaned and capped,
    and numbers no field could hold (NaN, 1e999) dropped as ``None``, so code that
    reads an amount from them (a top-up suggestion) never meets one."""
    if isinstance(value, str):
        return clean_server_text(value)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return None if is_absurd_number(value) else value
    if depth >= DEPTH_LIMIT and isinstance(value, (dict, list)):
        return _ELLIPSIS
    if isinstance(value, dict):
        items = list(value.items())[:ITEMS_LIMIT]
        return {
            clean_server_text(name, TOKEN_LIMIT): clean_server_data(item, depth + 1)
            for name, item in items
        }
    if isinstance(value, list):
        return [clean_server_data(item, depth + 1) for item in value[:ITEMS_LIMIT]]
    return value


def _kept(char: str) -> bool:
    return char.isprintable() or char in _SPACING or unicodedata.category(char) == "Zs"
