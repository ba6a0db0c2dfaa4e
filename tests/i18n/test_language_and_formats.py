"""Which language the cards and the form speak, and what stays the same in every language.

``%config InfraiMagics.language = "zh-CN"`` sets the language through ``set_language``
(the magics' trait); the kernel's locale (``LANG``, ``LC_ALL`` = ``zh_CN…``) chooses it
when nothing was set. Money keeps one format (``$1,234.50``) in both languages, and
dates are in the kernel's local time zone, which the column heading names.
"""

# The Chinese strings use full-width punctuation, as Chinese text does.
# ruff: noqa: RUF001

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from infrai_jupyter import _i18n
from infrai_jupyter._usage import UsageEntry, UsageLedger
from infrai_jupyter.contract import Metadata
from infrai_jupyter.display import error_card, format_usd, render_text
from infrai_jupyter.errors import InsufficientCreditError
from infrai_jupyter.results import Balance, TopupList

BASE_URL = "https://api.infrai.cc"


@pytest.fixture(autouse=True)
def _clean_language(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(_i18n, "_chosen", None)


@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The kernel's local zone is Tokyo (UTC+9, no daylight saving)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _balance() -> Balance:
    return Balance.from_response({"balance_usd": 1234.5}, Metadata(), BASE_URL)


def test_english_without_a_setting_or_locale() -> None:
    assert render_text(_balance().card()).startswith("Balance\n$1,234.50")


@pytest.mark.parametrize("variable", ["LANG", "LC_ALL"])
def test_the_kernel_locale_makes_the_cards_chinese(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "zh_CN.UTF-8")
    assert render_text(_balance().card()).startswith("余额\n$1,234.50")


def test_the_setting_chooses_chinese_over_an_english_locale_and_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    _i18n.set_language("zh-CN")  # what %config InfraiMagics.language = "zh-CN" does
    assert _balance().card().title == "余额"
    _i18n.set_language("")  # follow the kernel's locale again
    assert _balance().card().title == "Balance"


def test_traditional_chinese_locales_fall_back_to_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANG", "zh_TW.UTF-8")
    assert _balance().card().title == "Balance"


def test_money_has_one_format_in_both_languages() -> None:
    error = InsufficientCreditError(
        "x",
        status_code=402,
        code="INSUFFICIENT_CREDIT",
        details={"missing_usd": 1234.5, "balance_usd": 0},
    )
    cards = []
    for language in ("en", "zh-CN"):
        with _i18n.language(language):
            cards.append(render_text(_balance().card()))
            cards.append(render_text(error_card(error, base_url=BASE_URL, origin="hosted")))
            assert format_usd(Decimal("-1234.5")) == "-$1,234.50"
    for card in cards:
        assert "$1,234.50" in card
        assert "1 234,50" not in card and "¥" not in card


def test_dates_are_in_the_local_zone_which_the_heading_names(tokyo: None) -> None:
    topups = TopupList.from_response(
        {
            "items": [
                {
                    "topup_id": "tu_01",
                    "amount_usd": 25,
                    "state": "succeeded",
                    "created_at": "2026-03-01T12:00:00Z",
                }
            ]
        },
        Metadata(),
        BASE_URL,
    )
    english = render_text(topups.card())
    with _i18n.language("zh-CN"):
        chinese = render_text(topups.card())
    assert "Created (JST)" in english and "2026-03-01 21:00" in english
    assert "创建时间（JST）" in chinese and "2026-03-01 21:00" in chinese
    assert "已支付" in chinese


def test_usage_times_are_local_too(tokyo: None) -> None:
    ledger = UsageLedger()
    moment = datetime(2026, 3, 1, 12, 0, 5, tzinfo=timezone.utc)
    ledger.record(UsageEntry(moment, "account.balance", 200, Decimal("0.0004"), 12, "req_1"))
    with _i18n.language("zh-CN"):
        text = render_text(ledger.card())
    assert "时间（JST）" in text and "21:00:05" in text and "$0.0004" in text
    assert ledger.to_csv().splitlines()[1].startswith("2026-03-01T12:00:05+00:00")
