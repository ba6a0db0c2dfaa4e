"""Which language the package speaks: the setting, the kernel's locale, the fallback.

The rules that map a locale name to a language are the contract's (``contract.locale``),
shared with the sandbox's command line and pages; they are tested here, where the
package's own language uses them.
"""

from __future__ import annotations

import pytest

from infrai_jupyter import _i18n
from infrai_jupyter._i18n import current_language, language, set_language
from infrai_jupyter.contract import LOCALE_VARIABLES, language_from_environment, normalize_language


@pytest.fixture(autouse=True)
def _clean_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in LOCALE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(_i18n, "_chosen", None)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh-CN", "zh_CN"),
        ("zh_CN.UTF-8", "zh_CN"),
        ("zh-Hans", "zh_CN"),
        ("zh-hans-cn", "zh_CN"),
        ("zh", "zh_CN"),
        ("zh_SG.UTF-8", "zh_CN"),
        ("zh-Hans-TW", "zh_CN"),  # the script says Simplified, whatever the region
        (" ZH-cn ", "zh_CN"),
        ("en", "en"),
        ("en_US.UTF-8", "en"),
        ("C.UTF-8", "en"),
        ("POSIX", "en"),
        ("*", "en"),  # an Accept-Language's "any language"
        ("zh-TW", None),
        ("zh-Hant", None),
        ("zh-Hant-CN", None),
        ("zh_HK.UTF-8", None),
        ("fr_FR", None),
        ("", None),
    ],
)
def test_the_spellings_people_use_name_the_language(tag: str, expected: str | None) -> None:
    assert normalize_language(tag) == expected


def test_english_is_the_default_without_a_locale() -> None:
    assert current_language() == "en"


def test_the_kernel_locale_chooses_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert current_language() == "zh_CN"


def test_lc_all_outranks_lang_and_language_lists_fall_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    assert language_from_environment() == "zh_CN"
    monkeypatch.setenv("LANGUAGE", "fr:zh_CN")
    assert language_from_environment() == "zh_CN"


def test_the_first_set_variable_decides_even_when_it_names_no_language_spoken_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.setenv("LANGUAGE", "")  # empty: skipped, as gettext skips it
    assert language_from_environment() == "zh_CN"
    monkeypatch.setenv("LC_MESSAGES", "zh_TW.UTF-8")
    assert language_from_environment() == "en"
    monkeypatch.setenv("LANGUAGE", "fr:de")
    assert language_from_environment() == "en"


def test_an_unsupported_locale_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert current_language() == "en"


def test_the_setting_outranks_the_locale_and_empty_follows_it_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert set_language("en") == "en"
    assert current_language() == "en"
    assert set_language("") == "zh_CN"


def test_an_unknown_language_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"'zh-CN'.*'en'|'en'.*'zh-CN'"):
        set_language("klingon")
    assert current_language() == "en"


def test_the_block_restores_the_previous_choice() -> None:
    set_language("zh-CN")
    with language("en") as inside:
        assert inside == "en"
        assert current_language() == "en"
    assert current_language() == "zh_CN"
