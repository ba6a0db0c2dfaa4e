"""Which language a locale name or a language tag asks for: English or Simplified Chinese.

One set of rules for every place the package picks a language: the kernel's locale and
``set_language`` (``_i18n``), and in the sandbox a request's ``Accept-Language`` and the
locale of its command line and lesson helpers. It lives in the contract because that is
the one module both sides may import; it names languages and translates nothing (the
contract speaks English, each side keeps its own catalogue).
"""

from __future__ import annotations

import os

ENGLISH = "en"
SIMPLIFIED_CHINESE = "zh_CN"

LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
"""The variables gettext reads for the language of messages, in the order it reads them."""

_TRADITIONAL = frozenset({"hant", "tw", "hk", "mo"})


def normalize_language(tag: str) -> str | None:
    """``en`` or ``zh_CN`` for the language ``tag`` names, or None for one not spoken here.

    Accepts locale names and BCP 47 tags alike: ``zh_CN.UTF-8``, ``zh-CN``, ``zh``,
    ``zh_SG``, ``zh-Hans-CN``; ``en``, ``en_US.UTF-8``, ``C``, ``POSIX`` and ``*`` (an
    ``Accept-Language`` "any") are English. Traditional Chinese (``zh_TW``, ``zh-HK``,
    ``zh-MO``, ``zh-Hant``) is not Simplified: None. An explicit script wins over a
    region: ``zh-Hans-TW`` is Simplified.
    """
    base = tag.strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    if base in ("c", "posix", "*", ENGLISH) or base.startswith("en-"):
        return ENGLISH
    subtags = base.split("-")
    if subtags[0] != "zh":
        return None
    rest = set(subtags[1:])
    if "hans" in rest:
        return SIMPLIFIED_CHINESE
    return None if rest & _TRADITIONAL else SIMPLIFIED_CHINESE


def language_from_environment() -> str:
    """The language the process's locale asks for: ``en`` or ``zh_CN``.

    The first of :data:`LOCALE_VARIABLES` that is set and not empty decides, as in the
    C library; ``LANGUAGE`` may list several (``zh_CN:en``), as gettext allows, and the
    first one spoken here wins. Anything else is English.
    """
    for variable in LOCALE_VARIABLES:
        value = os.environ.get(variable, "")
        if not value:
            continue
        for tag in value.split(":"):
            language = normalize_language(tag)
            if language is not None:
                return language
        return ENGLISH
    return ENGLISH
