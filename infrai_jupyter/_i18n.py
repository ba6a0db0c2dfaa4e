"""The language the package speaks: English by default, Simplified Chinese on request.

Messages live in gettext catalogues (``locale/<lang>/LC_MESSAGES/infrai_jupyter.po``,
compiled to ``.mo``; ``scripts/i18n`` extracts, merges and compiles them with Babel).
Code marks a shown sentence with :func:`gettext` (``_``) where it is shown, or with
:func:`N_` where it is defined at import time (a table of titles, a class's hint) and
translated where it is shown: the language may change after import.

The language comes from ``set_language`` (``%config InfraiMagics.language = "zh-CN"``),
else from the locale variables gettext reads (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
``LANG``). Which names mean which language is ``contract.locale``'s to say: the sandbox
follows the same rules and may import only the contract. Money keeps one format in
every language (``$1,234.50``).

This module imports nothing else of the package but the contract, so every layer above
the contract may use it.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

# The locale rules are the contract's; their names stay importable from here too.
from .contract.locale import ENGLISH as ENGLISH
from .contract.locale import SIMPLIFIED_CHINESE
from .contract.locale import language_from_environment as language_from_environment
from .contract.locale import normalize_language as normalize_language

DOMAIN = "infrai_jupyter"
LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED_LANGUAGES = (ENGLISH, SIMPLIFIED_CHINESE)
"""What ``set_language`` accepts (as ``zh-CN``, ``zh_CN.UTF-8``, ``zh-Hans`` … too)."""

_chosen: str | None = None  # set_language's choice; None follows the environment


def set_language(tag: str | None) -> str:
    """Speak ``tag`` from now on (None: follow the environment); return the language.

    Raises ``ValueError`` naming the supported languages for anything else.
    """
    global _chosen
    if tag is None or not tag.strip():
        _chosen = None
        return current_language()
    language = normalize_language(tag)
    if language is None:
        message = gettext(
            "{tag} is not a language infrai_jupyter speaks: use 'en' or 'zh-CN' "
            "(or '' to follow the kernel's locale)."
        )
        raise ValueError(message.format(tag=repr(tag)))
    _chosen = language
    return language


def current_language() -> str:
    """``en`` or ``zh_CN``: what the next message will be written in."""
    return _chosen or language_from_environment()


def html_lang(language: str) -> str:
    """The BCP 47 tag of ``language`` for an HTML ``lang`` attribute (``zh_CN`` → ``zh-CN``)."""
    return language.replace("_", "-") if language in SUPPORTED_LANGUAGES else ENGLISH


@contextmanager
def language(tag: str | None) -> Iterator[str]:
    """Speak ``tag`` inside the block, then whatever was chosen before."""
    previous = _chosen
    try:
        yield set_language(tag)
    finally:
        _restore(previous)


def _restore(previous: str | None) -> None:
    global _chosen
    _chosen = previous


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The catalogue for ``language``; English is the source text itself."""
    if language == ENGLISH:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def gettext(message: str) -> str:
    """``message`` in the current language (the English text if it has no translation)."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of ``singular``/``plural`` that fits ``count``, in the current language."""
    return translations(current_language()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """``message`` as meant in ``context`` (one English word, two Chinese ones: the
    top-up itself, "充值", and the label of its id, "充值单号")."""
    return translations(current_language()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it yet (see module doc)."""
    return message


_ = gettext
