"""Which language a sandbox page speaks for a browser's ``Accept-Language`` (sandbox/i18n)."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from infrai_jupyter.contract.money import (
    AMOUNT_MESSAGES,
    TOPUP_MAX_USD,
    AmountError,
    AmountReason,
    parse_amount,
)
from infrai_jupyter.sandbox.i18n import (
    ENGLISH,
    SIMPLIFIED_CHINESE,
    accepted_ranges,
    amount_problem,
    negotiate,
    page_language,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, ENGLISH),
        ("", ENGLISH),
        ("en-US,en;q=0.9", ENGLISH),
        ("zh-CN,zh;q=0.9", SIMPLIFIED_CHINESE),
        ("zh", SIMPLIFIED_CHINESE),
        ("zh-Hans", SIMPLIFIED_CHINESE),
        ("zh-Hans-CN", SIMPLIFIED_CHINESE),
        ("zh-SG", SIMPLIFIED_CHINESE),
        ("ZH-cn", SIMPLIFIED_CHINESE),
        ("zh_CN", SIMPLIFIED_CHINESE),  # not a valid range, but some tools send it
        # Traditional Chinese is not Simplified: English, the default.
        ("zh-TW", ENGLISH),
        ("zh-HK,zh;q=0", ENGLISH),
        ("zh-Hant", ENGLISH),
        ("zh-Hant-CN", ENGLISH),
        ("zh-MO", ENGLISH),
        # ... unless the browser also accepts Simplified, before any English.
        ("zh-TW,zh-CN;q=0.8,en;q=0.5", SIMPLIFIED_CHINESE),
        ("zh-TW,en;q=0.8,zh-CN;q=0.5", ENGLISH),
        # q-values, not header order, say what is preferred; equal q keeps the order.
        ("en;q=0.5, zh-CN;q=0.9", SIMPLIFIED_CHINESE),
        ("zh-CN;q=0.5, en;q=0.9", ENGLISH),
        ("zh-CN;q=0.8, en;q=0.8", SIMPLIFIED_CHINESE),
        ("en;q=0.8, zh-CN;q=0.8", ENGLISH),
        ("en;q=0, zh", SIMPLIFIED_CHINESE),
        ("zh-CN;q=0", ENGLISH),
        ("fr-FR,fr;q=0.9,zh-CN;q=0.1", SIMPLIFIED_CHINESE),
        ("fr-FR,de;q=0.5", ENGLISH),
        ("*", ENGLISH),
        ("ja, *;q=0.5", ENGLISH),
        # Malformed entries are skipped; a well-formed one later still counts.
        ("zh-CN;q=2", ENGLISH),
        ("zh-CN;q=abc, en;q=0.1", ENGLISH),
        ("<script>, zh-CN;q=0.3", SIMPLIFIED_CHINESE),
        (";;;,,,", ENGLISH),
    ],
)
def test_the_page_language_follows_accept_language(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_ranges_come_most_preferred_first_with_ties_in_header_order() -> None:
    header = "da, en-GB;q=0.8, en;q=0.7, zh-CN ; q = 0.8, fr;q=0"
    assert accepted_ranges(header) == ["da", "en-gb", "zh-cn", "en"]


def test_a_huge_header_is_read_only_so_far() -> None:
    header = ",".join(["fr"] * 10_000 + ["zh-CN"])
    assert negotiate(header) == ENGLISH


def test_each_language_has_its_own_catalogue_and_tags() -> None:
    chinese, english = page_language(SIMPLIFIED_CHINESE), page_language(ENGLISH)
    assert (chinese.html_lang, english.html_lang) == ("zh-CN", "en")
    assert chinese.gettext("Cancel") == "取消"
    assert english.gettext("Cancel") == "Cancel"
    assert page_language(SIMPLIFIED_CHINESE) is chinese  # read once


@pytest.mark.parametrize(
    "typed", [None, "", "abc", "nan", "0", "20000", "1e30", "12.345", "x" * 100]
)
def test_refused_amounts_say_the_contracts_english_and_have_chinese(typed: object) -> None:
    """The add-funds page says the contract's own refusal: in English its very words."""
    with pytest.raises(AmountError) as refused:
        parse_amount(typed, maximum=None if typed == "1e30" else TOPUP_MAX_USD)
    error = refused.value
    assert amount_problem(page_language(ENGLISH), error) == str(error)
    chinese = amount_problem(page_language(SIMPLIFIED_CHINESE), error)
    for quoted in error.params.values():  # what was typed, quoted back as it was
        chinese = chinese.replace(quoted, "")
    assert not re.search(r"[A-Za-z]", chinese), chinese


def test_every_refusal_the_contract_names_has_a_message() -> None:
    assert set(AMOUNT_MESSAGES) == set(get_args(AmountReason))
