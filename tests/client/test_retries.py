"""Retries: what is retried, how long the client waits, and what it logs."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable

import httpx
import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter._wire import MAX_RETRY_AFTER
from infrai_jupyter.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    InfraiError,
    InsufficientCreditError,
    InvalidRequestError,
    RateLimitError,
    ServerError,
)
from infrai_jupyter.sandbox import SandboxServer

from .conftest import (
    Recorder,
    SandboxFactory,
    assert_no_secret,
    error_envelope,
    maybe_await,
    mock_for,
    opened,
    recording_client,
    recording_for,
    replay,
    secret_key,
)


def failing(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json=error_envelope("SOME_ERROR", "Failed."), headers=headers or {}
    )


def counting(
    responses: Callable[[int], httpx.Response],
) -> tuple[list[httpx.Request], Callable[[httpx.Request], httpx.Response]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses(len(seen))

    return seen, handler


def test_the_default_is_two_retries() -> None:
    assert InfraiClient().max_retries == 2
    assert AsyncInfraiClient().max_retries == 2
    with pytest.raises(ValueError, match="max_retries"):
        InfraiClient(max_retries=-1)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (408, InfraiError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
    ],
)
@pytest.mark.anyio
async def test_transient_statuses_are_retried_up_to_max_retries(
    status: int, error_class: type[InfraiError], kind: str, sleeps: list[float]
) -> None:
    seen, handler = counting(lambda attempt: failing(status))
    async with opened(mock_for(kind, handler, max_retries=3)) as client:
        with pytest.raises(error_class):
            await maybe_await(client.account.balance())
    assert len(seen) == 4
    assert len(sleeps) == 3


@pytest.mark.parametrize("status", [408, 429, 500, 503])
@pytest.mark.anyio
async def test_a_transient_status_then_success_returns_the_result(
    status: int, kind: str, sleeps: list[float]
) -> None:
    def responses(attempt: int) -> httpx.Response:
        if attempt == 1:
            return failing(status)
        return httpx.Response(200, json={"ok": True, "data": {"balance_usd": 1}})

    seen, handler = counting(responses)
    async with opened(mock_for(kind, handler)) as client:
        assert (await maybe_await(client.account.balance())).balance_usd == 1
    assert len(seen) == 2 and len(sleeps) == 1


@pytest.mark.anyio
async def test_backoff_grows_exponentially_with_jitter(kind: str, sleeps: list[float]) -> None:
    _, handler = counting(lambda attempt: failing(500))
    async with opened(mock_for(kind, handler, max_retries=4)) as client:
        with pytest.raises(ServerError):
            await maybe_await(client.account.balance())
    assert len(sleeps) == 4
    for attempt, delay in enumerate(sleeps):
        ceiling = 0.5 * 2**attempt
        assert 0.75 * ceiling <= delay <= ceiling, (attempt, delay)


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 409, 422])
@pytest.mark.anyio
async def test_client_errors_are_not_retried(status: int, kind: str, sleeps: list[float]) -> None:
    seen, handler = counting(lambda attempt: failing(status))
    async with opened(mock_for(kind, handler)) as client:
        with pytest.raises(InfraiError):
            await maybe_await(client.account.balance())
    assert len(seen) == 1 and sleeps == []


def test_real_client_errors_from_the_sandbox_are_sent_once(
    client: InfraiClient, sandbox: SandboxServer, sleeps: list[float]
) -> None:
    recorder = Recorder()
    with recording_client(sandbox, recorder, api_key=client.config.api_key) as retrying:
        with pytest.raises(InvalidRequestError):
            retrying.account.topup(amount_usd=5, return_url="ftp://x.test/")
        with pytest.raises(InsufficientCreditError):
            retrying.account.tier.upgrade(target_tier="pro")
    wrong = recording_client(sandbox, recorder, api_key="ifr_pk_proj_wrongwrongwrong")
    with wrong, pytest.raises(AuthenticationError):
        wrong.account.balance()
    assert len(recorder.requests) == 3 and sleeps == []


@pytest.mark.anyio
async def test_connection_errors_are_retried(kind: str, sleeps: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with opened(mock_for(kind, handler)) as client:
        with pytest.raises(APIConnectionError) as raised:
            await maybe_await(client.account.balance())
    assert len(sleeps) == 2
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


@pytest.mark.anyio
async def test_timeouts_are_retried_then_succeed(
    kind: str, sandbox: SandboxServer, sleeps: list[float]
) -> None:
    def slow_once(attempt: int, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if attempt == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return replay(response)

    recorder = Recorder()
    async with opened(recording_for(kind, sandbox, recorder, slow_once)) as client:
        await maybe_await(client.activate(write_credentials=False))
    assert len(recorder.requests) == 2 and len(sleeps) == 1


@pytest.mark.anyio
async def test_timeouts_exhaust_the_retries(kind: str, sleeps: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with opened(mock_for(kind, handler, max_retries=1)) as client:
        with pytest.raises(APITimeoutError):
            await maybe_await(client.account.balance())
    assert len(sleeps) == 1


@pytest.mark.anyio
async def test_retry_after_seconds_is_honoured(kind: str, sleeps: list[float]) -> None:
    _, handler = counting(
        lambda attempt: (
            failing(429, {"Retry-After": "7"})
            if attempt == 1
            else httpx.Response(200, json={"ok": True, "data": {"balance_usd": 1}})
        )
    )
    async with opened(mock_for(kind, handler)) as client:
        await maybe_await(client.account.balance())
    assert sleeps == [7.0]


@pytest.mark.anyio
async def test_retry_after_as_an_http_date_is_honoured(kind: str, sleeps: list[float]) -> None:
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    _, handler = counting(lambda attempt: failing(503, {"Retry-After": later}))
    async with opened(mock_for(kind, handler, max_retries=1)) as client:
        with pytest.raises(ServerError):
            await maybe_await(client.account.balance())
    (delay,) = sleeps
    assert 25 <= delay <= 30


@pytest.mark.anyio
async def test_a_huge_retry_after_is_capped(kind: str, sleeps: list[float]) -> None:
    _, handler = counting(lambda attempt: failing(429, {"Retry-After": "86400"}))
    async with opened(mock_for(kind, handler, max_retries=1)) as client:
        with pytest.raises(RateLimitError):
            await maybe_await(client.account.balance())
    assert sleeps == [MAX_RETRY_AFTER] and MAX_RETRY_AFTER <= 60


@pytest.mark.parametrize("value", ["soon", "inf", "nan", "1e999", "-infinity"])
@pytest.mark.anyio
async def test_an_unreadable_retry_after_falls_back_to_backoff(
    value: str, kind: str, sleeps: list[float]
) -> None:
    _, handler = counting(lambda attempt: failing(429, {"Retry-After": value}))
    async with opened(mock_for(kind, handler, max_retries=1)) as client:
        with pytest.raises(RateLimitError) as raised:
            await maybe_await(client.account.balance())
    (delay,) = sleeps
    assert 0.375 <= delay <= 0.5
    assert raised.value.retry_after is None  # an error card never says "wait about inf s"


@pytest.mark.anyio
async def test_a_proxy_page_with_retry_after_is_honoured(kind: str, sleeps: list[float]) -> None:
    _, handler = counting(
        lambda attempt: httpx.Response(
            503, content=b"<html>maintenance</html>", headers={"Retry-After": "4"}
        )
    )
    async with opened(mock_for(kind, handler, max_retries=1)) as client:
        with pytest.raises(InfraiError):
            await maybe_await(client.account.balance())
    assert sleeps == [4.0]


def test_a_real_rate_limit_is_waited_out_and_retried(
    client: InfraiClient,
    sandbox: SandboxServer,
    sandbox_factory: SandboxFactory,
    sleeps: list[float],
) -> None:
    """The sandbox's own 429 and Retry-After; its window lasts a real minute, so the retry
    goes to an unlimited twin on the same database, as if that minute had passed."""
    limited = sandbox_factory(rate_limit_per_minute=1)
    key = client.config.api_key
    retry_after: list[str] = []

    def minute_passes(
        attempt: int, request: httpx.Request, response: httpx.Response
    ) -> httpx.Response:
        if attempt == 1:
            assert response.status_code == 429
            retry_after.append(response.headers["Retry-After"])
            return replay(response)
        twin = request.url.copy_with(port=httpx.URL(sandbox.url).port)
        with httpx.Client() as http:
            return replay(http.send(httpx.Request("GET", twin, headers=request.headers)))

    with InfraiClient(api_key=key, base_url=limited.url) as first:
        first.account.balance()  # uses up the minute
    recorder = Recorder()
    with recording_client(limited, recorder, minute_passes, api_key=key) as retrying:
        assert retrying.account.balance().balance_usd == 2
    assert len(recorder.requests) == 2
    assert sleeps == [float(retry_after[0])] and 0 < sleeps[0] <= 60


@pytest.mark.anyio
async def test_each_retry_decision_is_logged_without_the_key(
    kind: str,
    client: InfraiClient,
    sandbox: SandboxServer,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def unavailable_once(
        attempt: int, request: httpx.Request, response: httpx.Response
    ) -> httpx.Response:
        if attempt == 1:
            return httpx.Response(503, json=error_envelope("DOWN", "Down for a moment."))
        return replay(response)

    key = secret_key(client)
    caplog.set_level(logging.DEBUG, logger="infrai_jupyter")
    retrying = recording_for(kind, sandbox, Recorder(), unavailable_once, api_key=key)
    async with opened(retrying):
        await maybe_await(retrying.account.topup(amount_usd=5, idempotency_key="order-7"))
        with pytest.raises(InsufficientCreditError):
            await maybe_await(retrying.account.tier.upgrade(target_tier="pro"))
    decisions = [
        record.getMessage()
        for record in caplog.records
        if record.name == "infrai_jupyter" and "etrying" in record.getMessage()
    ]
    assert len(decisions) == 2
    assert decisions[0].startswith("Retrying POST /v1/account/topup in ")
    assert "HTTP 503" in decisions[0] and "order-7" in decisions[0]
    assert decisions[1].startswith("Not retrying POST /v1/account/tier/upgrade")
    assert "HTTP 402" in decisions[1]
    assert all(record.levelno == logging.DEBUG for record in caplog.records)
    for record in caplog.records:
        assert_no_secret(record.getMessage(), key)


@pytest.mark.anyio
async def test_a_logged_retry_never_shows_enough_of_a_generated_idempotency_key_to_replay_it(
    kind: str,
    sandbox: SandboxServer,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Repeating an activation's long idempotency key returns its project key: the log
    line that correlates the retries shows only the key's start."""

    def unavailable_once(
        attempt: int, request: httpx.Request, response: httpx.Response
    ) -> httpx.Response:
        if attempt == 1:
            return httpx.Response(503, json=error_envelope("DOWN", "Down for a moment."))
        return replay(response)

    caplog.set_level(logging.DEBUG, logger="infrai_jupyter")
    recorder = Recorder()
    async with opened(recording_for(kind, sandbox, recorder, unavailable_once)) as client:
        await maybe_await(client.activate(write_credentials=False))
    sent = recorder.header("Idempotency-Key")[0]
    assert sent is not None and len(sent) > 20
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"idempotency key {sent[:8]}..." in logged
    assert sent not in logged


@pytest.mark.anyio
@pytest.mark.parametrize(
    "value",
    ["Mon, 01 Jan 2020 00:00:00 +99999999999999999999", "Tue, 32 Feb 2020 00:00:00 GMT"],
)
async def test_a_retry_after_date_no_calendar_holds_falls_back_to_backoff(
    value: str, kind: str, sleeps: list[float]
) -> None:
    _, handler = counting(lambda attempt: failing(503, {"Retry-After": value}))
    async with opened(mock_for(kind, handler, max_retries=1)) as client:
        with pytest.raises(ServerError) as raised:
            await maybe_await(client.account.balance())
    assert raised.value.retry_after is None and len(sleeps) == 1
