"""The ``/v1`` API answers a person's messages in the language the request asks for.

``error.message`` (and an activation's ``notice``) follow ``Accept-Language`` as the
pages do (``sandbox/i18n.py``): Simplified Chinese when asked for, English otherwise,
chosen per request. Codes, field names and ``details`` never change with the language.
Plain httpx over the real loopback sandbox; the client's side is in
``tests/client/test_accept_language.py``.
"""

# ruff: noqa: RUF001

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from i18n.chinese import english_runs
from infrai_jupyter.contract import ErrorCode
from infrai_jupyter.sandbox import SandboxServer
from infrai_jupyter.sandbox.envelopes import ApiError, unavailable
from infrai_jupyter.sandbox.i18n import page_language

from .conftest import (
    Account,
    SandboxFactory,
    activate,
    envelope,
    error_of,
    has_chinese,
    new_fingerprint,
)

sqlite_only = pytest.mark.parametrize("sandbox_engine", ["sqlite"])
"""Negotiation does not depend on where the sandbox stores its data."""

ZH = {"Accept-Language": "zh-CN, zh;q=0.9, en;q=0.5"}
EN = {"Accept-Language": "en"}
BAD_KEY = {"Authorization": "Bearer ifr_pk_proj_notarealkeynotarealkey"}
ENGLISH_401 = (
    "Missing or unknown project key. Send 'Authorization: Bearer ifr_pk_proj_…': "
    "activate (POST /v1/activate, or %infrai_activate) or set INFRAI_API_KEY."
)
ENGLISH_402 = "The team tier costs $99.00 but the balance is $2.00: add at least $97.00 and retry."


def _upgrade(
    client: httpx.Client, account: Account, tier: Any, headers: dict[str, str], key: str = ""
) -> httpx.Response:
    """An upgrade with a fresh Idempotency-Key unless ``key`` names one, as the SDK sends."""
    return client.post(
        "/v1/account/tier/upgrade",
        json={"target_tier": tier},
        headers={**account.headers, **headers, "Idempotency-Key": key or secrets.token_hex(8)},
    )


@sqlite_only
def test_a_402_in_chinese_keeps_its_code_amounts_and_details(
    client: httpx.Client, account: Account
) -> None:
    chinese = error_of(_upgrade(client, account, "team", ZH), 402, ErrorCode.INSUFFICIENT_CREDIT)
    english = error_of(_upgrade(client, account, "team", EN), 402, ErrorCode.INSUFFICIENT_CREDIT)
    assert english["message"] == ENGLISH_402
    assert chinese["message"] == (
        "team 等级需要 $99.00，但余额只有 $2.00：请至少充值 $97.00 后重试。"
    )
    assert chinese["details"] == english["details"]
    assert chinese["details"]["tier"] == "team"


@sqlite_only
def test_an_unknown_tier_in_chinese_names_the_valid_tiers(
    client: httpx.Client, account: Account
) -> None:
    error = error_of(_upgrade(client, account, "platinum", ZH), 422, ErrorCode.VALIDATION_ERROR)
    assert error["message"] == (
        "target_tier 无效：没有 'platinum' 这个等级；可选的等级为 free, pro, team。"
    )
    assert error["details"]["fields"] == [{"field": "target_tier", "problem": "unknown tier"}]
    assert error["details"]["valid_tiers"] == ["free", "pro", "team"]


@sqlite_only
def test_a_401_is_chinese_when_asked_and_english_otherwise(client: httpx.Client) -> None:
    answers = {
        name: error_of(
            client.get("/v1/account/balance", headers={**BAD_KEY, **headers}),
            401,
            ErrorCode.UNAUTHENTICATED,
        )["message"]
        for name, headers in {
            "zh-CN": ZH,
            "zh": {"Accept-Language": "zh"},
            "zh-Hans": {"Accept-Language": "zh-Hans"},
            "en": EN,
            "none": {},
            "zh-TW": {"Accept-Language": "zh-TW"},
            "zh-HK, fr": {"Accept-Language": "zh-HK, fr;q=0.8"},
            "zh;q=0": {"Accept-Language": "zh;q=0, en;q=0.1"},
        }.items()
    }
    for chinese in ("zh-CN", "zh", "zh-Hans"):
        assert answers[chinese].startswith("缺少项目密钥"), answers[chinese]
        assert "INFRAI_API_KEY" in answers[chinese]
        assert "%infrai_activate" in answers[chinese]
    for english in ("en", "none", "zh-TW", "zh-HK, fr", "zh;q=0"):
        assert answers[english] == ENGLISH_401, english


@sqlite_only
def test_a_validation_error_in_chinese_translates_the_problem_not_the_details(
    client: httpx.Client, account: Account
) -> None:
    """Known pydantic problems get our words; ``details`` keeps pydantic's, for programs."""
    response = client.post(
        "/v1/account/topup",
        json={"amount_usd": -5, "return_url": "ftp://files.example.com/"},
        headers={**account.headers, **ZH},
    )
    error = error_of(response, 422, ErrorCode.VALIDATION_ERROR)
    assert error["message"].startswith("请求参数无效，")
    assert "amount_usd：必须大于 0" in error["message"]
    assert "return_url：必须是以 http:// 或 https:// 开头的完整网址" in error["message"]
    problems = {item["field"]: item["problem"] for item in error["details"]["fields"]}
    assert problems["amount_usd"] == "Input should be greater than 0"

    english = client.post(
        "/v1/account/topup", json={"amount_usd": -5}, headers={**account.headers, **EN}
    )
    assert (
        error_of(english, 422, ErrorCode.VALIDATION_ERROR)["message"]
        == "Invalid amount_usd: Input should be greater than 0"
    )


def _chinese_error_envelopes(
    client: httpx.Client, account: Account, sandbox_factory: SandboxFactory, tmp_path: Path
) -> list[dict[str, Any]]:
    """One Chinese answer for each error the sandbox can be made to give over HTTP."""
    keyed = {**account.headers, **ZH}
    answers = [
        client.get("/v1/account/balance", headers={**BAD_KEY, **ZH}),  # 401
        _upgrade(client, account, "team", ZH),  # 402
        _upgrade(client, account, "platinum", ZH),  # 422 unknown tier
        client.get("/v1/account/topups/tu_nothing", headers=keyed),  # 404 top-up
        client.get("/v1/nowhere", headers=ZH),  # 404 route
        client.delete("/v1/account/balance", headers=keyed),  # 405
        client.post(  # 400 not JSON
            "/v1/account/topup",
            content=b"{not json",
            headers={**keyed, "Content-Type": "application/json"},
        ),
        client.post(  # 422 pydantic: missing, too many decimals, not a JSON object
            "/v1/account/topup", json={"amount_usd": "1.234"}, headers=keyed
        ),
        client.post("/v1/account/topup", json={}, headers=keyed),
        client.post("/v1/account/topup", json=[1], headers=keyed),
        client.post(
            "/v1/activate",
            json={"device_fingerprint": "short", "region": "mars"},
            headers=ZH,
        ),
        client.post(  # 413, announced
            "/v1/account/topup", content=b" " * (70 * 1024), headers=keyed
        ),
        client.get("/v1/account/balance", headers={**ZH, "Host": "evil.example"}),  # 421
    ]
    key = secrets.token_hex(8)
    _upgrade(client, account, "pro", ZH, key)
    answers.append(_upgrade(client, account, "team", ZH, key))  # 422 key reused

    limited = sandbox_factory(
        db_path=tmp_path / "limited.sqlite3", rate_limit_per_minute=1, activations_per_minute=1
    )
    with httpx.Client(base_url=limited.url, timeout=30) as other:
        someone = activate(other)
        other.get("/v1/account/balance", headers=someone.headers)
        answers.append(other.get("/v1/account/balance", headers={**someone.headers, **ZH}))
        answers.append(
            other.post("/v1/activate", json={"device_fingerprint": new_fingerprint()}, headers=ZH)
        )  # 429 activations
    return [envelope(response) for response in answers]


@sqlite_only
def test_chinese_error_envelopes_leave_no_english_phrase(
    client: httpx.Client, account: Account, sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    envelopes = _chinese_error_envelopes(client, account, sandbox_factory, tmp_path)
    statuses = sorted({body["error"]["code"] for body in envelopes})
    assert statuses == sorted(
        {
            "UNAUTHENTICATED",
            "INSUFFICIENT_CREDIT",
            "VALIDATION_ERROR",
            "NOT_FOUND",
            "METHOD_NOT_ALLOWED",
            "INVALID_REQUEST",
            "IDEMPOTENCY_KEY_REUSED",
            "RATE_LIMITED",
        }
    )
    for body in envelopes:
        message = body["error"]["message"]
        assert has_chinese(message), message
        assert english_runs(message) == [], message


@pytest.mark.parametrize(
    "error",
    [
        unavailable(
            "The sandbox is failing this call on purpose (a scenario your teacher set); "
            "retry shortly."
        ),
        ApiError(
            409,
            ErrorCode.IDEMPOTENCY_KEY_IN_USE,
            "A request with this Idempotency-Key is still being processed; "
            "retry shortly to get its result.",
        ),
        ApiError(
            503,
            ErrorCode.INTERNAL_ERROR,
            "The sandbox's database is busy or unreachable for a moment; nothing was "
            "changed. Retry shortly (with the same Idempotency-Key).",
        ),
        ApiError(
            500,
            ErrorCode.INTERNAL_ERROR,
            "The sandbox hit an unexpected error; it is logged on the server. "
            "Retrying with the same Idempotency-Key is safe.",
        ),
    ],
    ids=["503-scenario", "409-in-flight", "503-database", "500"],
)
def test_errors_hard_to_provoke_over_http_have_chinese_words(error: ApiError) -> None:
    """The 409/500/503 messages are in the catalogue (their HTTP paths: test_idempotency)."""
    chinese = error.payload(page_language("zh_CN"))["error"]["message"]
    assert has_chinese(chinese) and english_runs(chinese) == [], chinese
    assert error.payload()["error"]["message"] == error.message
    assert error.payload(page_language("en"))["error"]["message"] == error.message


@sqlite_only
def test_concurrent_requests_in_both_languages_never_mix(sandbox_factory: SandboxFactory) -> None:
    """Threads of the server's pool and its event loop answer both languages at once."""
    sandbox = sandbox_factory(auth_failures_per_minute=None)
    client = httpx.Client(base_url=sandbox.url, timeout=30)

    def ask(number: int) -> tuple[bool, str, str]:
        chinese = number % 2 == 0
        headers = ZH if chinese else EN
        if number % 4 < 2:
            response = _upgrade(client, account, "platinum", headers)
        else:
            response = client.get("/v1/account/balance", headers={**BAD_KEY, **headers})
        return chinese, response.json()["error"]["message"], response.json()["error"]["code"]

    with client, ThreadPoolExecutor(max_workers=16) as pool:
        account = activate(client)
        answers = list(pool.map(ask, range(160)))
    for chinese, message, code in answers:
        assert has_chinese(message) is chinese, message
        assert code in ("VALIDATION_ERROR", "UNAUTHENTICATED")
        if not chinese:
            assert message in (
                ENGLISH_401,
                "Invalid target_tier: unknown tier 'platinum'; valid tiers are free, pro, team.",
            )


@sqlite_only
def test_a_replay_returns_the_stored_answer_in_the_words_first_given(
    client: httpx.Client, account: Account
) -> None:
    """The replay's promise is the first result: a 402 first said in Chinese stays so."""
    key = secrets.token_hex(8)
    first = error_of(_upgrade(client, account, "team", ZH, key), 402, ErrorCode.INSUFFICIENT_CREDIT)
    replay = _upgrade(client, account, "team", EN, key)
    again = error_of(replay, 402, ErrorCode.INSUFFICIENT_CREDIT)
    assert replay.json()["metadata"]["cache_hit"] is True
    assert again == first
    assert has_chinese(again["message"])


@sqlite_only
def test_the_activation_notice_follows_the_language(client: httpx.Client) -> None:
    fingerprint = new_fingerprint()
    body = {"device_fingerprint": fingerprint}
    trial = envelope(client.post("/v1/activate", json=body, headers=ZH))["data"]
    assert trial["notice"] == "已添加 $2.00 的沙盒试用额度。"
    no_trial = envelope(client.post("/v1/activate", json=body, headers=ZH))["data"]
    assert has_chinese(no_trial["notice"]) and "checkout_url" in no_trial["notice"]
    assert english_runs(no_trial["notice"]) == []
    english = envelope(client.post("/v1/activate", json=body, headers=EN))["data"]
    assert english["notice"] == (
        "No trial credit: this device already received one. "
        "Add funds at checkout_url to use paid features."
    )

    short_key = {"Idempotency-Key": "short-key"}
    fresh = {"device_fingerprint": new_fingerprint()}
    client.post("/v1/activate", json=fresh, headers={**short_key, **EN})
    withheld = envelope(client.post("/v1/activate", json=fresh, headers={**short_key, **ZH}))
    notice = withheld["data"]["notice"]
    assert "32" in notice and has_chinese(notice) and english_runs(notice) == []


@sqlite_only
def test_the_sandbox_says_it_answers_per_request(sandbox: SandboxServer) -> None:
    """The same server, two clients, two languages, one after the other and back."""
    with (
        httpx.Client(base_url=sandbox.url, headers=ZH) as chinese,
        httpx.Client(base_url=sandbox.url) as english,
    ):
        for _ in range(3):
            zh = chinese.get("/v1/account/balance", headers=BAD_KEY).json()["error"]["message"]
            en = english.get("/v1/account/balance", headers=BAD_KEY).json()["error"]["message"]
            assert has_chinese(zh) and en == ENGLISH_401
