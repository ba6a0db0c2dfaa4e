"""``%name?`` in the session's language: every magic's help rebuilt from the catalogue.

IPython shows a magic's ``__doc__``, which ``magic_arguments`` fixed at import time as
the English usage, description and options. :func:`speak` rewrites it (and the
parser's texts, so a wrong call's usage error matches) in the current language, and
restores the English originals exactly when the language is English again. The
catalogue's message for a description is the ``cleandoc``-ed docstring, which
``scripts/i18n.py`` extracts from every ``@line_magic``; argument help is marked with
``N_`` where it is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from inspect import cleandoc
from typing import Any

from .._i18n import ENGLISH, N_, current_language, gettext

_HEADINGS = {
    "options": N_("options"),
    "optional arguments": N_("options"),
    "positional arguments": N_("positional arguments"),
}


@dataclass(frozen=True)
class _English:
    """What a magic said before any translation: restored for English."""

    doc: str | None
    description: str | None
    argument_help: tuple[tuple[Any, str | None], ...]
    group_titles: tuple[tuple[Any, str | None], ...]


_ORIGINALS: dict[Callable[..., Any], _English] = {}
_spoken_language: str | None = None  # what the help is written in now


def speak(magics_classes: Iterable[type]) -> None:
    """Write the help of every line magic of ``magics_classes`` in the current language."""
    global _spoken_language
    language = current_language()
    if language == _spoken_language:
        return
    for magics_class in magics_classes:
        for method_name in magics_class.magics["line"].values():  # type: ignore[attr-defined]
            _rewrite(getattr(magics_class, method_name), language)
    _spoken_language = language


def _rewrite(function: Callable[..., Any], language: str) -> None:
    english = _ORIGINALS.setdefault(function, _remember(function))
    parser = getattr(function, "parser", None)
    if language == ENGLISH:
        _restore(function, english, parser)
        return
    if parser is None:
        function.__doc__ = gettext(cleandoc(english.doc)) if english.doc else english.doc
        return
    parser.description = gettext(cleandoc(english.description)) if english.description else None
    for action, help_text in english.argument_help:
        action.help = gettext(help_text) if help_text else help_text
    for group, title in english.group_titles:
        group.title = gettext(_HEADINGS.get(title, title)) if title else title
    function.__doc__ = parser.format_help()


def _remember(function: Callable[..., Any]) -> _English:
    parser = getattr(function, "parser", None)
    if parser is None:
        return _English(function.__doc__, None, (), ())
    return _English(
        function.__doc__,
        parser.description,
        tuple((action, action.help) for action in parser._actions),
        tuple((group, group.title) for group in parser._action_groups),
    )


def _restore(function: Callable[..., Any], english: _English, parser: Any) -> None:
    function.__doc__ = english.doc
    if parser is None:
        return
    parser.description = english.description
    for action, help_text in english.argument_help:
        action.help = help_text
    for group, title in english.group_titles:
        group.title = title
