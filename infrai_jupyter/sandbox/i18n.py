"""The language of the sandbox's answers: what the request asks for, English by default.

Checkout, add funds and the teacher's page are pages a person opens in a browser, and
the ``/v1`` API's messages (``error.message``, an activation's ``notice``) are read by a
person in a card, so both speak the language the request's ``Accept-Language`` prefers
among those the sandbox has: English (the source text) and Simplified Chinese
(``locale/zh_CN/LC_MESSAGES/infrai_sandbox.po``, kept by ``scripts/i18n.py``). The
choice is made per request and handed to the page code as a :class:`PageLanguage`:
there is no "current language", so concurrent requests in threads or on the event loop
never mix.

Negotiation (RFC 9110 §12.5.4): ranges are tried by descending ``q`` (ties in header
order); ``q=0`` means "not this"; the first range the sandbox speaks wins, and if none
does the page is English. Which range names which language is the contract's rule
(``contract.locale``, the package's too): ``zh``, ``zh-CN``, ``zh-SG`` and
``zh-Hans(-…)`` are Simplified Chinese; ``zh-TW``, ``zh-HK``, ``zh-MO`` and
``zh-Hant(-…)`` are Traditional, which the sandbox does not speak, so they fall through
to the next range (English if none). An explicit script wins over a region:
``zh-Hans-TW`` is Simplified.

The parser is written here (about 30 lines, tested in ``tests/sandbox/
test_pages_language.py``) rather than taken from a library: Starlette has none, Babel is
a development tool only (it extracts and compiles the catalogues), and Werkzeug's would
be a runtime dependency for one header.

Money keeps one format in every language (``$1,234.50``), so amounts are formatted
by the page code, never by a translation.

The command line (``__main__``, ``admin_cli``) and the lesson helpers (``teaching``)
answer no request: they speak the process's locale (``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES``, ``LANG``), read by the contract's rules as the package reads them
(:func:`locale_language`).

An API message is built as its English text (marked with :func:`N_`) and its
parameters, and rendered in the request's language only when the answer is written
(see ``envelopes.ApiError``). Codes, field names and ``details`` stay as they are: they
are for programs. An idempotent replay returns the stored answer, in the words it was
first given (see ``idempotency``).
"""

from __future__ import annotations

import gettext as _gettext
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request

# The sandbox's languages are named as the contract names them; importable from here too.
from infrai_jupyter.contract.locale import ENGLISH as ENGLISH
from infrai_jupyter.contract.locale import SIMPLIFIED_CHINESE as SIMPLIFIED_CHINESE
from infrai_jupyter.contract.locale import language_from_environment, normalize_language
from infrai_jupyter.contract.money import AMOUNT_MESSAGES, AmountError

DOMAIN = "infrai_sandbox"
LOCALE_DIR = Path(__file__).parent / "locale"

_HTML_LANG = {ENGLISH: "en", SIMPLIFIED_CHINESE: "zh-CN"}
_RANGE = re.compile(r"^(?:\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*)$")
_QUALITY = re.compile(r"^q=(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")
_MAX_RANGES = 64
"""Ranges read from one header: a real browser sends a handful, a hostile client more."""


def accepted_ranges(header: str | None) -> list[str]:
    """The language ranges of an ``Accept-Language`` value, most preferred first.

    Lower-cased; ranges with ``q=0`` and malformed entries are dropped; ties keep
    the header's order.
    """
    weighted: list[tuple[float, int, str]] = []
    for position, entry in enumerate((header or "").split(",")[:_MAX_RANGES]):
        language_range, *parameters = (part.strip().lower() for part in entry.split(";"))
        language_range = language_range.replace("_", "-")  # zh_CN, as some tools send it
        if not _RANGE.match(language_range):
            continue
        quality = 1.0
        for parameter in parameters:
            compact = parameter.replace(" ", "")
            if not compact.startswith("q="):
                continue
            if not _QUALITY.match(compact):
                break
            quality = float(compact[2:])
        else:
            if quality > 0:
                weighted.append((-quality, position, language_range))
    return [language_range for _, _, language_range in sorted(weighted)]


def negotiate(header: str | None) -> str:
    """The language the pages speak for this ``Accept-Language``: ``en`` or ``zh_CN``."""
    for language_range in accepted_ranges(header):
        language = normalize_language(language_range)
        if language is not None:
            return language
    return ENGLISH


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue where it is defined; translate it where shown."""
    return message


@dataclass(frozen=True)
class PageLanguage:
    """One page's (or terminal's) language: its messages, and the tags that say so to the
    browser."""

    code: str
    translations: _gettext.NullTranslations

    @property
    def html_lang(self) -> str:
        """The BCP 47 tag for ``<html lang>`` and ``Content-Language``."""
        return _HTML_LANG[self.code]

    def gettext(self, message: str) -> str:
        """``message`` in this language (the English text if it has no translation)."""
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The form of ``singular``/``plural`` that fits ``count``, in this language."""
        return self.translations.ngettext(singular, plural, count)


@cache
def page_language(code: str) -> PageLanguage:
    """The :class:`PageLanguage` for ``en`` or ``zh_CN``; catalogues are read once."""
    if code == ENGLISH:
        return PageLanguage(ENGLISH, _gettext.NullTranslations())
    # fallback: a build without the compiled catalogue shows English rather than failing;
    # tests/sandbox/test_pages_language.py fails if that ever happens.
    translations = _gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)
    return PageLanguage(code, translations)


def language_of(request: Request) -> PageLanguage:
    """The language to answer ``request`` in, from its ``Accept-Language``."""
    return page_language(negotiate(request.headers.get("accept-language")))


ENGLISH_LANGUAGE = page_language(ENGLISH)
"""English, for an answer written before (or without) a request to negotiate with."""

_NOT_SPOKEN = N_("{tag} is not a language the sandbox speaks: use 'en' or 'zh-CN'.")


def locale_language(tag: str | None = None) -> PageLanguage:
    """The language ``tag`` names (``zh-CN``, ``zh_CN.UTF-8``, ``en`` …), or with None the
    process's locale: what a terminal and lesson code read, where no request asks.

    Raises ``ValueError`` for a ``tag`` the sandbox does not speak.
    """
    if tag is None:
        return page_language(language_from_environment())
    code = normalize_language(tag)
    if code is None:
        raise ValueError(render(locale_language(), _NOT_SPOKEN, {"tag": repr(tag)}))
    return page_language(code)


def render(language: PageLanguage, message: str, params: Mapping[str, object]) -> str:
    """``message`` (English, with ``{placeholders}``) in ``language``, filled from ``params``."""
    translated = language.gettext(message)
    return translated.format(**params) if params else translated


def amount_problem(language: PageLanguage, error: AmountError) -> str:
    """Why an amount was refused, in ``language`` (the contract says it in English)."""
    message = AMOUNT_MESSAGES.get(error.reason)
    if message is None:  # a reason added to the contract after this table
        return str(error)
    return render(language, message, error.params)
