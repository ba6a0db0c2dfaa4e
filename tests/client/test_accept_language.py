# The Chinese strings use full-width punctuation, as Chinese text does.
# ruff: noqa: RUF001
"""Every request asks the server for the session's language, as it is at that call.

The real client over the real loopback sandbox: what ``Accept-Language`` went over the
wire (a recording transport), and what the sandbox answered in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from infrai_jupyter import InfraiClient, _i18n
from infrai_jupyter.errors import (
    AuthenticationError,
    InsufficientCreditError,
    InvalidRequestError,
)
from infrai_jupyter.sandbox import SandboxServer

from .conftest import Recorder, RecordingTransport, maybe_await, opened, recording_for

CHINESE = "zh-CN, zh;q=0.9, en;q=0.5"
BAD_KEY = "ifr_pk_proj_notarealkeynotarealkey"


@pytest.fixture(autouse=True)
def english_session() -> Iterator[None]:
    """Each test starts in English and leaves the session's choice as it found it."""
    with _i18n.language("en"):
        yield


@pytest.mark.anyio
async def test_the_header_follows_the_language_from_one_call_to_the_next(
    kind: str, sandbox: SandboxServer
) -> None:
    recorder = Recorder()
    async with opened(recording_for(kind, sandbox, recorder, max_retries=0)) as client:
        await maybe_await(client.activate(write_credentials=False))
        with _i18n.language("zh-CN"):
            await maybe_await(client.account.balance())
            await maybe_await(client.account.keys.list())
        await maybe_await(client.account.balance())
        _i18n.set_language("zh_CN.UTF-8")
        with pytest.raises(InvalidRequestError) as raised:
            await maybe_await(client.account.tier.upgrade(target_tier="platinum"))
    assert recorder.header("Accept-Language") == ["en", CHINESE, CHINESE, "en", CHINESE]
    assert raised.value.message.startswith("target_tier 无效")


@pytest.mark.anyio
async def test_a_retry_resends_the_header_of_its_call(
    kind: str, sandbox: SandboxServer, sleeps: list[float]
) -> None:
    """A retry is the same request: the language it asked for when the call began."""

    def lose_first(
        attempt: int, request: httpx.Request, response: httpx.Response
    ) -> httpx.Response:
        if attempt == 2:
            _i18n.set_language("en")  # changed mid-call: the retry keeps the call's language
            raise httpx.ReadError("connection reset by peer", request=request)
        return httpx.Response(
            response.status_code, headers=response.headers, content=response.content
        )

    recorder = Recorder()
    with _i18n.language("zh-CN"):
        client = recording_for(kind, sandbox, recorder, lose_first, max_retries=2)
        async with opened(client):
            await maybe_await(client.activate(write_credentials=False))
            await maybe_await(client.account.balance())
    assert recorder.header("Accept-Language") == [CHINESE, CHINESE, CHINESE]
    assert len(sleeps) == 1


def test_an_accept_language_on_the_callers_http_client_wins(sandbox: SandboxServer) -> None:
    recorder = Recorder()
    http = httpx.Client(
        transport=RecordingTransport(recorder), headers={"Accept-Language": "en-GB"}
    )
    with _i18n.language("zh-CN"), InfraiClient(base_url=sandbox.url, http_client=http) as client:
        client.activate(write_credentials=False)
        with pytest.raises(InsufficientCreditError) as raised:
            client.account.tier.upgrade(target_tier="team")
    assert recorder.header("Accept-Language") == ["en-GB", "en-GB"]
    assert raised.value.message.startswith("The team tier costs $99.00")


def test_a_402_in_chinese_reads_chinese_with_the_same_amounts(client: InfraiClient) -> None:
    with _i18n.language("zh-CN"), pytest.raises(InsufficientCreditError) as raised:
        client.account.tier.upgrade("team")
    error = raised.value
    assert (error.status_code, error.code) == (402, "INSUFFICIENT_CREDIT")
    assert error.message == "team 等级需要 $99.00，但余额只有 $2.00：请至少充值 $97.00 后重试。"
    assert error.details["missing_usd"] == Decimal("97.00")
    assert error.details["tier"] == "team"


def test_a_422_unknown_tier_in_chinese(client: InfraiClient) -> None:
    with _i18n.language("zh-CN"), pytest.raises(InvalidRequestError) as raised:
        client.account.tier.upgrade(target_tier="platinum")
    error = raised.value
    assert error.message == (
        "target_tier 无效：没有 'platinum' 这个等级；可选的等级为 free, pro, team。"
    )
    assert error.details["valid_tiers"] == ["free", "pro", "team"]


def test_a_401_in_chinese(sandbox: SandboxServer) -> None:
    bad = InfraiClient(api_key=BAD_KEY, base_url=sandbox.url, max_retries=0)
    with bad, _i18n.language("zh-CN"), pytest.raises(AuthenticationError) as raised:
        bad.account.balance()
    assert raised.value.message.startswith("缺少项目密钥，或密钥无法识别。")
    assert raised.value.code == "UNAUTHENTICATED"


def test_in_english_the_server_words_are_unchanged(client: InfraiClient) -> None:
    with pytest.raises(InsufficientCreditError) as raised:
        client.account.tier.upgrade("team")
    assert raised.value.message == (
        "The team tier costs $99.00 but the balance is $2.00: add at least $97.00 and retry."
    )
    with pytest.raises(InvalidRequestError) as unknown:
        client.account.tier.upgrade(target_tier="platinum")
    assert unknown.value.message == (
        "Invalid target_tier: unknown tier 'platinum'; valid tiers are free, pro, team."
    )


def test_the_activation_notice_is_in_the_session_language(sandbox: SandboxServer) -> None:
    with (
        _i18n.language("zh-CN"),
        InfraiClient(base_url=sandbox.url, max_retries=0) as client,
    ):
        result = client.activate(write_credentials=False)
    assert result.notice == "已添加 $2.00 的沙盒试用额度。"
