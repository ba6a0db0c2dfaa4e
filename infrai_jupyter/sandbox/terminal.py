"""What the command line prints, in the terminal's language (``i18n.locale_language``).

Shared by ``__main__`` and ``admin_cli``. A terminal gives a Chinese character two
columns, while argparse and ``str.ljust`` count characters: Chinese help would run twice
past the terminal's edge and a table's columns would drift. So text with Chinese in it
is laid out by columns here; English text is left to argparse, exactly as before.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterator
from itertools import groupby

from .i18n import N_, PageLanguage, render
from .store import StoreError

_NO_LINE_START = frozenset("，。；：、！？）》」』")  # noqa: RUF001 (Chinese punctuation, on purpose)
"""Punctuation that closes a phrase: it hangs at the end of a line rather than open one."""
_NO_LINE_END = frozenset("（《「『")  # noqa: RUF001 (Chinese punctuation, on purpose)


def columns(text: str) -> int:
    """The columns ``text`` takes in a terminal: a wide (Chinese) character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` filled with spaces to ``width`` columns, on the right (or on the left)."""
    padding = " " * (width - columns(text))
    return padding + text if right else text + padding


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of ``width`` columns; a line may break between Chinese characters."""
    lines: list[str] = []
    line = ""
    for piece in _pieces(" ".join(text.split())):
        if piece == " ":
            line += " " if line else ""
        elif line and piece not in _NO_LINE_START and columns(line + piece) > width:
            lines.append(line.rstrip())
            line = piece
        else:
            line += piece
    return [*lines, line.rstrip()] if line else lines


def _pieces(text: str) -> Iterator[str]:
    """What a line may break between: words, spaces and Chinese characters, an opening
    bracket kept with what it opens."""
    opening = ""
    for piece in _words_and_characters(text):
        if piece in _NO_LINE_END:
            opening += piece
        else:
            yield opening + piece
            opening = ""
    if opening:
        yield opening


def _words_and_characters(text: str) -> Iterator[str]:
    """Words of narrow characters, single spaces, and each wide character on its own."""
    for wide, run in groupby(text, key=lambda char: columns(char) == 2):
        if wide:
            yield from run
        else:
            yield from filter(None, re.split("( )", "".join(run)))


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, wrapped by terminal columns where the text has wide characters."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        if columns(text) == len(text):
            return super()._split_lines(text, width)
        return wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if columns(text) == len(text):
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in wrap(text, width - len(indent)))


def print_error(language: PageLanguage, error: Exception) -> None:
    """``error: …`` on stderr, in ``language`` where the sandbox wrote the words.

    A ``StoreError`` is ours to translate; anything else (the system's ``OSError``) is
    quoted as it came.
    """
    said = error.message_in(language) if isinstance(error, StoreError) else str(error)
    print(render(language, N_("error: {error}"), {"error": said}), file=sys.stderr)
