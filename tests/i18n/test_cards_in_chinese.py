# The Chinese strings use full-width punctuation, as Chinese text does.
# ruff: noqa: RUF001
"""Every card, error card and form state, drawn in Simplified Chinese, leaves no English
phrase behind (see :mod:`.chinese` for what may stay English, and why); English stays
the default.

Each kind is drawn from the code path that makes it in use: results from envelopes,
client errors from the client itself (a refused connection, a cut answer, a bad
amount), so a message added there without a translation fails here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from infrai_jupyter import _i18n
from infrai_jupyter._base_client import deadline_error
from infrai_jupyter._client import InfraiClient
from infrai_jupyter._usage import UsageEntry, UsageLedger
from infrai_jupyter.contract import Metadata
from infrai_jupyter.credentials import ResolvedConfig, StoredCredentials, write_credentials
from infrai_jupyter.credentials._format import parse
from infrai_jupyter.display import (
    Card,
    error_card,
    error_line,
    not_signed_in_card,
    render_html,
    render_markdown,
    render_text,
)
from infrai_jupyter.errors import (
    APIStatusError,
    CredentialsError,
    InfraiError,
    status_error_class,
)
from infrai_jupyter.magics.account_cards import accounts_card, upgrade_outcome
from infrai_jupyter.results import (
    AccountSummary,
    ActivateResult,
    Balance,
    KeyList,
    TopupList,
    TopupRecord,
)

from .chinese import english_runs, visible_text

KEY = "ifr_pk_proj_" + "a1B2" * 8
BASE_URL = "https://api.infrai.cc"
SERVER_MESSAGE = "Server says no"  # a server's words: shown as sent, in any language
METADATA = Metadata(request_id="01890a5d-ac96-774b-bcce-b302099a8057", latency_ms=42)
CREATED = "2026-03-01T12:00:00Z"
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _clean_language(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "INFRAI_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(_i18n, "_chosen", None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _activation(**data: Any) -> ActivateResult:
    body = {
        "account_id": "acct_01",
        "project_id": "proj_01",
        "primary_api_key": KEY,
        "trial_credit_usd": 2,
        "checkout_url": "https://pay.infrai.cc/add-funds/acct_01",
        **data,
    }
    return ActivateResult.from_response(body, METADATA, BASE_URL)


def _topup(state: str) -> TopupRecord:
    return TopupRecord.from_response(
        {
            "topup_id": "tu_01",
            "amount_usd": 1234.5,
            "state": state,
            "checkout_url": "https://pay.infrai.cc/checkout/tu_01",
            "created_at": CREATED,
        },
        METADATA,
        BASE_URL,
    )


def _ledger() -> UsageLedger:
    ledger = UsageLedger()
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    ledger.record(UsageEntry(moment, "account.balance", 200, Decimal("0.0004"), 12, "req_1"))
    ledger.record(UsageEntry(moment, "account.topup", 402, None, None, ""))
    return ledger


RESULT_CARDS: dict[str, Callable[[], Card]] = {
    "balance": lambda: Balance.from_response({"balance_usd": 1234.5}, METADATA, BASE_URL).card(),
    "balance in CNY": lambda: Balance.from_response(
        {"balance_usd": 3, "currency": "CNY"}, METADATA, BASE_URL
    ).card(),
    "topup awaiting payment": lambda: _topup("requires_payment").card(),
    "topup paid": lambda: _topup("succeeded").card(),
    "topup canceled": lambda: _topup("canceled").card(),
    "keys": lambda: KeyList.from_response(
        {
            "items": [
                {
                    "key_id": "key_01",
                    "label": "default",
                    "scopes": ["read", "write"],
                    "created_at": CREATED,
                    "masked_key": "ifr_pk_proj_…a1B2",
                }
            ]
        },
        METADATA,
        BASE_URL,
    ).card(),
    "no keys": lambda: KeyList.from_response({"items": []}, METADATA, BASE_URL).card(),
    "tier upgrade": lambda: AccountSummary.from_response(
        {
            "account_id": "acct_01",
            "kind": "anonymous",
            "status": "active",
            "tier": "pro",
            "balance_usd": 12,
        },
        METADATA,
        BASE_URL,
    ).card(),
    "topups": lambda: TopupList.from_response(
        {
            "items": [
                {
                    "topup_id": "tu_01",
                    "amount_usd": 25,
                    "state": "requires_payment",
                    "created_at": CREATED,
                }
            ]
        },
        METADATA,
        BASE_URL,
    ).card(),
    "no topups": lambda: TopupList.from_response({"items": []}, METADATA, BASE_URL).card(),
    "activation": lambda: _activation().card(),
    "activation without trial": lambda: _activation(trial_granted=False).card(),
    "activation in china": lambda: _activation(region="china").card(),
    "activation in china, in CNY, no link": lambda: _activation(
        region="china", currency="CNY", checkout_url=None
    ).card(),
    "usage": lambda: _ledger().card(),
    "no usage": lambda: UsageLedger().card(),
    "not signed in": lambda: not_signed_in_card(
        base_url=BASE_URL, origin="hosted", commands=("%infrai_activate", "%infrai_login")
    ),
    "no kept accounts": lambda: accounts_card(ResolvedConfig(None, "none", BASE_URL)),
    "a sandbox key in use, not kept": lambda: accounts_card(
        ResolvedConfig(KEY, "activation", "http://127.0.0.1:9")
    ),
    "an environment key in use": lambda: accounts_card(
        ResolvedConfig(KEY, "INFRAI_API_KEY", "http://127.0.0.1:9")
    ),
}


def _all_formats(card: Card) -> str:
    """The card as HTML shows it, as text, and as Markdown reads once its escapes are gone."""
    markdown = re.sub(r"\\(.)", r"\1", render_markdown(card))
    return "\n".join([visible_text(render_html(card)), render_text(card), markdown])


def _assert_chinese(text: str, *server_words: str) -> None:
    left = english_runs(text, server_words)
    assert not left, f"English left in the Chinese text: {left}\n---\n{text}"


@pytest.mark.parametrize("kind", list(RESULT_CARDS))
def test_every_result_card_speaks_chinese(kind: str) -> None:
    with _i18n.language("zh-CN"):
        card = RESULT_CARDS[kind]()
        _assert_chinese(_all_formats(card))


@pytest.mark.parametrize("kind", list(RESULT_CARDS))
def test_the_same_cards_stay_english_by_default(kind: str) -> None:
    english = _all_formats(RESULT_CARDS[kind]())
    assert not _CHINESE.search(english), english
    with _i18n.language("zh-CN"):
        assert _all_formats(RESULT_CARDS[kind]()) != english


def test_a_card_drawn_again_follows_the_language_of_the_moment() -> None:
    balance = Balance.from_response({"balance_usd": 1234.5}, METADATA, BASE_URL)
    assert balance.card().title == "Balance"
    with _i18n.language("zh-CN"):
        assert balance.card().title == "余额"
        assert "$1,234.50" in balance._repr_html_()
    assert "Balance" in balance._repr_markdown_()


# --------------------------------------------------------------------------- errors


def _status_error(status: int, **options: Any) -> APIStatusError:
    codes = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 402: "INSUFFICIENT_CREDIT",
             403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT", 418: "TEAPOT",
             429: "RATE_LIMITED", 503: "UNAVAILABLE"}  # fmt: skip
    return status_error_class(status)(
        SERVER_MESSAGE,
        status_code=status,
        code=options.pop("code", codes[status]),
        request_id="req_01",
        method="POST",
        url=f"{BASE_URL}/v1/account/topup",
        **options,
    )


def _answering(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> InfraiClient:
    options.setdefault("api_key", KEY)
    return InfraiClient(
        base_url=BASE_URL,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        **options,
    )


def _raised(call: Callable[[], object]) -> InfraiError:
    with pytest.raises(InfraiError) as caught:
        call()
    return caught.value


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def _slow(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def _proxy_page(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        502, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"}
    )


def _wrong_data(request: httpx.Request) -> httpx.Response:
    body = {"ok": True, "data": {"balance": "lots"}, "error": None, "metadata": {}}
    return httpx.Response(200, json=body)


def _broken_credentials() -> InfraiError:
    with pytest.raises(CredentialsError) as caught:
        parse(b"{not json", Path("/home/ada/.infrai/credentials"))
    return caught.value


# Each error, made as the package makes it, with the words that are not ours: the
# server's message and the system's.
ERRORS: dict[str, Callable[[], tuple[InfraiError, tuple[str, ...]]]] = {
    **{
        f"HTTP {status}": (lambda status=status: (_status_error(status), (SERVER_MESSAGE,)))
        for status in (400, 401, 403, 404, 418, 503)
    },
    "402 with details": lambda: (
        _status_error(402, details={"missing_usd": 18, "required_usd": 20, "balance_usd": 2}),
        (SERVER_MESSAGE,),
    ),
    "409 in flight": lambda: (_status_error(409, code="IDEMPOTENCY_KEY_IN_USE"), (SERVER_MESSAGE,)),
    "409 changed": lambda: (_status_error(409), (SERVER_MESSAGE,)),
    "429 with retry_after": lambda: (_status_error(429, retry_after=7.5), (SERVER_MESSAGE,)),
    "429": lambda: (_status_error(429), (SERVER_MESSAGE,)),
    "connection refused": lambda: (
        _raised(lambda: _answering(_refused).account.balance()),
        ("ConnectError: [Errno 111] Connection refused",),  # the system's words
    ),
    "timeout": lambda: (
        _raised(lambda: _answering(_slow).account.balance()),
        ("ReadTimeout",),
    ),
    "whole-attempt deadline": lambda: (
        deadline_error(httpx.Request("GET", f"{BASE_URL}/v1/account/balance"), 30.0),
        (),
    ),
    "malformed data": lambda: (_raised(lambda: _answering(_wrong_data).account.balance()), ()),
    "proxy page": lambda: (_raised(lambda: _answering(_proxy_page).account.balance()), ()),
    "missing key": lambda: (
        _raised(lambda: _answering(_refused, api_key=None).account.balance()),
        (),
    ),
    "second account": lambda: (_raised(lambda: _answering(_refused).activate()), ()),
    "bad amount": lambda: (
        _raised(lambda: _answering(_refused).account.topup(amount_usd="twenty")),
        (),
    ),
    "amount too small": lambda: (
        _raised(lambda: _answering(_refused).account.topup(amount_usd="0")),
        (),
    ),
    "bad idempotency key": lambda: (
        _raised(lambda: _answering(_refused).account.topup(amount_usd=5, idempotency_key="a b")),
        (),
    ),
    "key as an id": lambda: (
        _raised(lambda: _answering(_refused).account.topups.retrieve(KEY)),
        (),
    ),
    "bad base URL": lambda: (_raised(lambda: InfraiClient(base_url="ftp://example.com")), ()),
    "bad timeout": lambda: (_raised(lambda: InfraiClient(base_url=BASE_URL, timeout=-1)), ()),
    "malformed key": lambda: (
        _raised(lambda: InfraiClient(api_key="ifr_pk_proj_short", base_url=BASE_URL)),
        (),
    ),
    "key with a stray character": lambda: (
        _raised(lambda: InfraiClient(api_key=f"{KEY[:20]}\u200b{KEY[20:]}", base_url=BASE_URL)),
        (),
    ),
    "broken credentials file": lambda: (_broken_credentials(), ()),
}


@pytest.mark.parametrize("kind", list(ERRORS))
def test_every_error_card_speaks_chinese(kind: str) -> None:
    with _i18n.language("zh-CN"):
        error, not_ours = ERRORS[kind]()
        card = error_card(
            error,
            base_url=BASE_URL,
            origin="hosted",
            retry_step="重试。",  # the caller's steps are the caller's (the magics', the form's)
            fix_step="修改后重试。",
        )
        _assert_chinese(_all_formats(card), *not_ours)
        _assert_chinese(error_line(error), *not_ours)
        _assert_chinese(
            str(error), *not_ours, error.message if isinstance(error, APIStatusError) else ""
        )


def test_the_402_card_in_chinese_reads_as_a_chinese_user_expects() -> None:
    error = _status_error(402, details={"missing_usd": 18, "required_usd": 20, "balance_usd": 2})
    with _i18n.language("zh-CN"):
        text = render_text(error_card(error, base_url=BASE_URL, origin="hosted"))
        line = error_line(error)
    assert text.splitlines()[0] == "✖ 余额不足"
    assert "缺少:" in text and "$18.00" in text and "$2.00" in text
    assert SERVER_MESSAGE in text  # the server's words, as sent
    assert "请求 req_01 · 托管 API · https://api.infrai.cc" in text
    assert line == "INSUFFICIENT_CREDIT：余额不足（上面的卡片说明了接下来怎么做）"
    english = render_text(error_card(error, base_url=BASE_URL, origin="hosted"))
    assert english.splitlines()[0] == "✖ Not enough credit"
    assert "Missing:" in english


def test_the_amount_message_follows_the_language_and_keeps_the_money_format() -> None:
    client = _answering(_refused)
    english = _raised(lambda: client.account.topup(amount_usd="20000"))
    with _i18n.language("zh-CN"):
        chinese = _raised(lambda: client.account.topup(amount_usd="20000"))
    assert english.message == "The amount can be at most $10,000.00."
    assert chinese.message == "金额最多为 $10,000.00。"
    assert isinstance(chinese, ValueError) and getattr(chinese, "reason", "") == "above_maximum"


# --------------------------------------------------------------------- account cards


@pytest.fixture
def kept_account(tmp_path: Path) -> Iterator[None]:
    """One kept account on a closed loopback port: its balance reads "unreachable"."""
    write_credentials(StoredCredentials(api_key=KEY, base_url="http://127.0.0.1:9"))
    yield


def test_the_kept_accounts_card_speaks_chinese(kept_account: None) -> None:
    with _i18n.language("zh-CN"):
        text = _all_formats(accounts_card(ResolvedConfig(KEY, "argument", "http://127.0.0.1:9")))
    _assert_chinese(text)
    assert "正在使用" in text and "无法连接" in text
    assert "未保存" not in text  # the key in use is the kept one


def test_the_upgrade_outcome_speaks_chinese_with_money_as_everywhere() -> None:
    summary = AccountSummary.from_response(
        {"account_id": "a", "kind": "anonymous", "status": "active", "tier": "pro",
         "balance_usd": 10},
        Metadata(cost_usd=Decimal("1234.5")),
        BASE_URL,
    )  # fmt: skip
    with _i18n.language("zh-CN"):
        assert (
            upgrade_outcome("pro", Decimal("1244.5"), summary) == "已升级到 pro，扣费 $1,234.50。"
        )
    assert (
        upgrade_outcome("pro", Decimal("1244.5"), summary) == "Upgraded to pro — charged $1,234.50."
    )


# ------------------------------------------------------------------- the activation


def test_the_china_activation_says_the_currency_and_where_checkout_happens() -> None:
    result = _activation(region="china", checkout_url="https://pay.example.cn/add-funds")
    english = render_text(result.card())
    with _i18n.language("zh-CN"):
        chinese = render_text(result.card())
    assert (
        "Region china: amounts are in USD, and adding funds opens checkout on pay.example.cn."
        in english
    )
    assert "中国区（china）：金额以 USD 计价，充值时会在 pay.example.cn 打开支付页面。" in chinese
    western = render_text(_activation(region="western").card())
    assert "amounts are in" not in western


def test_the_requested_region_shows_when_the_server_names_none() -> None:
    sent: list[dict[str, Any]] = []

    def activated(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        data = {"account_id": "acct_01", "project_id": "proj_01", "primary_api_key": KEY,
                "trial_credit_usd": 2, "currency": "CNY"}  # fmt: skip
        return httpx.Response(200, json={"ok": True, "data": data, "error": None, "metadata": {}})

    with _answering(activated, api_key=None) as client:
        result = client.activate(
            region="china", write_credentials=False, device_fingerprint="f" * 32
        )
    assert sent[0]["region"] == "china"
    assert result.region == "auto"  # the data stays the server's
    assert result.shown_region == "china"
    with _i18n.language("zh-CN"):
        assert "中国区（china）：金额以 CNY 计价。" in render_text(result.card())


def test_a_card_tells_the_page_which_language_its_words_are_in() -> None:
    """Screen readers and fonts pick Chinese for a Chinese card in an English notebook."""
    with _i18n.language("zh-CN"):
        chinese = UsageLedger().card()
    english = UsageLedger().card()
    for card, tag in ((chinese, "zh-CN"), (english, "en")):
        root = BeautifulSoup(render_html(card), "html.parser").select_one("div.infrai-card")
        assert root is not None and root["lang"] == tag
