"""Every failure becomes the one typed error that explains it, from a real server if possible."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter.contract import PROJECT_KEY_PREFIX
from infrai_jupyter.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    InfraiError,
    InsufficientCreditError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from infrai_jupyter.results import TopupRecord
from infrai_jupyter.sandbox import SandboxServer

from .conftest import (
    SandboxFactory,
    error_envelope,
    maybe_await,
    mock_client,
    mock_for,
    opened,
)


def assert_sandbox_request_id(error: APIStatusError) -> None:
    assert uuid.UUID(error.request_id).version == 7
    assert error.request_id in str(error)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# ------------------------------------------------------------ from the sandbox


def test_a_return_url_the_server_refuses_is_an_invalid_request(client: InfraiClient) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.account.topup(amount_usd=5, return_url="ftp://files.example.com/")
    error = raised.value
    assert (error.status_code, error.code) == (422, "VALIDATION_ERROR")
    assert [field["field"] for field in error.details["fields"]] == ["return_url"]
    assert_sandbox_request_id(error)
    assert "Check the arguments" in str(error)


def test_an_unknown_tier_is_an_invalid_request_naming_the_valid_ones(
    client: InfraiClient,
) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.account.tier.upgrade(target_tier="platinum")
    assert raised.value.details["valid_tiers"] == ["free", "pro", "team"]


def test_a_bad_key_is_an_authentication_error(sandbox: SandboxServer) -> None:
    bad = InfraiClient(api_key="ifr_pk_proj_notarealkeynotarealkey", base_url=sandbox.url)
    with bad, pytest.raises(AuthenticationError) as raised:
        bad.account.balance()
    error = raised.value
    assert (error.status_code, error.code) == (401, "UNAUTHENTICATED")
    assert "INFRAI_API_KEY" in str(error) and "activate" in str(error)
    assert error.method == "GET" and error.url == f"{sandbox.url}/v1/account/balance"
    assert_sandbox_request_id(error)


def test_an_upgrade_beyond_the_balance_is_insufficient_credit(
    client: InfraiClient, sandbox: SandboxServer
) -> None:
    with pytest.raises(InsufficientCreditError) as raised:
        client.account.tier.upgrade(target_tier="pro")
    error = raised.value
    assert (error.status_code, error.code) == (402, "INSUFFICIENT_CREDIT")
    assert error.details["missing_usd"] == Decimal("18.00")
    assert type(error.details["missing_usd"]) is Decimal
    assert error.details["checkout_url"].startswith(f"{sandbox.url}/add-funds/")
    assert "$20.00" in error.message
    assert "account.topup" in str(error)
    assert_sandbox_request_id(error)


def test_an_unknown_topup_is_not_found(client: InfraiClient) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.account.topups.retrieve("tu_doesnotexist")
    assert (raised.value.status_code, raised.value.code) == (404, "NOT_FOUND")
    assert "tu_doesnotexist" in raised.value.message


def test_an_id_is_one_path_segment_however_it_is_spelled(client: InfraiClient) -> None:
    for topup_id in ("../keys", "tu_1?state=succeeded", "tu_1#x", "a b/c"):
        with pytest.raises(NotFoundError) as raised:
            client.account.topups.retrieve(topup_id)
        assert raised.value.request_id


def test_a_key_still_in_flight_is_a_conflict(
    sandbox_factory: SandboxFactory, client: InfraiClient
) -> None:
    """Two requests with one key at once: one runs, the other gets 409 (when not retrying).

    Which one wins the race does not matter, so the test does not depend on timing.
    """
    slow = sandbox_factory(processing_delay_seconds=1.0)  # the same database, slowly
    key = client.config.api_key
    clients = [InfraiClient(api_key=key, base_url=slow.url, max_retries=0) for _ in range(2)]
    start = threading.Barrier(2)

    def topup(racer: InfraiClient) -> TopupRecord:
        start.wait()
        return racer.account.topup(amount_usd=5, idempotency_key="same")

    with ThreadPoolExecutor(2) as pool:
        outcomes = [
            future.exception() or future.result()
            for future in [pool.submit(topup, racer) for racer in clients]
        ]
    for racer in clients:
        racer.close()
    conflicts = [outcome for outcome in outcomes if isinstance(outcome, ConflictError)]
    created = [outcome for outcome in outcomes if isinstance(outcome, TopupRecord)]
    assert (len(conflicts), len(created)) == (1, 1), outcomes
    assert (conflicts[0].status_code, conflicts[0].code) == (409, "IDEMPOTENCY_KEY_IN_USE")
    assert [item.topup_id for item in client.account.topups.list().items] == [created[0].topup_id]


def test_a_rate_limited_call_without_retries_raises(sandbox_factory: SandboxFactory) -> None:
    limited = sandbox_factory(rate_limit_per_minute=2)
    with InfraiClient(base_url=limited.url, max_retries=0) as client:
        client.activate(write_credentials=False)  # activation is not rate limited
        client.account.balance()
        client.account.balance()
        with pytest.raises(RateLimitError) as raised:
            client.account.balance()
    error = raised.value
    assert (error.status_code, error.code) == (429, "RATE_LIMITED")
    assert error.retry_after is not None and 0 < error.retry_after <= 60
    assert error.details["retry_after_seconds"] == error.retry_after


def test_a_closed_port_is_a_connection_error_that_suggests_the_sandbox() -> None:
    url = closed_port_url()
    key = PROJECT_KEY_PREFIX + "closedport0123a1b2"
    client = InfraiClient(api_key=key, base_url=url, max_retries=0)
    with client, pytest.raises(APIConnectionError) as raised:
        client.account.balance()
    error = raised.value
    assert type(error) is APIConnectionError
    assert url in str(error)
    assert "sandbox" in str(error)
    assert isinstance(error.__cause__, httpx.ConnectError)
    assert (error.method, error.url) == ("GET", f"{url}/v1/account/balance")


def test_a_slow_server_is_a_timeout(client: InfraiClient, sandbox_factory: SandboxFactory) -> None:
    slow = sandbox_factory(processing_delay_seconds=1.0)  # the same database, slowly
    key = client.config.api_key
    impatient = InfraiClient(api_key=key, base_url=slow.url, timeout=0.1, max_retries=0)
    with impatient, pytest.raises(APITimeoutError) as raised:
        impatient.account.topup(amount_usd=5)
    assert isinstance(raised.value, APIConnectionError)
    assert slow.url in str(raised.value) and "timeout" in str(raised.value)


# ------------------------------------------------- statuses the sandbox never sends


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [
        (400, "INVALID_REQUEST", InvalidRequestError),
        (403, "PERMISSION_DENIED", PermissionDeniedError),
        (409, "CONFLICT", ConflictError),
        (418, "TEAPOT", APIStatusError),
        (500, "INTERNAL_ERROR", ServerError),
        (503, "UNAVAILABLE", ServerError),
    ],
)
@pytest.mark.anyio
async def test_each_status_maps_to_its_error_class(
    status: int, code: str, error_class: type[APIStatusError], kind: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=error_envelope(code, "It failed.", field="x"))

    async with opened(mock_for(kind, handler, max_retries=0)) as client:
        with pytest.raises(error_class) as raised:
            await maybe_await(client.account.balance())
    error = raised.value
    assert type(error) is error_class
    assert (error.status_code, error.code, error.message) == (status, code, "It failed.")
    assert error.details == {"field": "x"}
    assert error.request_id == "01890a5d-ac96-774b-bcce-b302099a8057"
    assert f"HTTP {status}" in str(error)


# ---------------------------------------------------------- not the envelope

HTML_PAGE = b"<html><body><h1>502 Bad Gateway</h1><p>nginx/1.25.3</p></body></html>"

MALFORMED: dict[str, Callable[[httpx.Request], httpx.Response]] = {
    "html 502 from a proxy": lambda request: httpx.Response(
        502, content=HTML_PAGE, headers={"Content-Type": "text/html"}
    ),
    "empty body": lambda request: httpx.Response(
        200, content=b"", headers={"Content-Type": "application/json"}
    ),
    "truncated json": lambda request: httpx.Response(
        200,
        content=b'{"ok": true, "data": {"balance_us',
        headers={"Content-Type": "application/json"},
    ),
    "json that is not the envelope": lambda request: httpx.Response(
        200, json={"balance_usd": 2, "currency": "USD"}
    ),
    "a json list": lambda request: httpx.Response(200, json=[1, 2]),
    "data that breaks the contract": lambda request: httpx.Response(
        200, json={"ok": True, "data": {"balance_usd": "lots"}}
    ),
    "ok without data": lambda request: httpx.Response(200, json={"ok": True, "data": None}),
    "failure without error": lambda request: httpx.Response(400, json={"ok": False}),
    "invalid utf-8": lambda request: httpx.Response(
        200, content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
@pytest.mark.anyio
async def test_an_answer_that_is_not_the_envelope_is_a_malformed_response(
    name: str, kind: str
) -> None:
    handler = MALFORMED[name]
    async with opened(mock_for(kind, handler, max_retries=0)) as client:
        with pytest.raises(MalformedResponseError) as raised:
            await maybe_await(client.account.balance())
    error = raised.value
    expected = handler(httpx.Request("GET", "http://infrai.test"))
    message = str(error)
    assert f"HTTP {expected.status_code}" in message
    assert (expected.headers.get("content-type") or "no content type") in message
    assert "http://infrai.test/v1/account/balance" in message
    assert "<html>" not in message and "nginx" not in message
    assert not isinstance(error, json.JSONDecodeError | ValueError)
    # No JSONDecodeError in the traceback either: nothing chained, nothing shown as context.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    assert error.status_code == expected.status_code


def test_activation_data_that_breaks_the_contract_names_the_field_not_the_key() -> None:
    key = PROJECT_KEY_PREFIX + "s3cr3tS3CR3Ts3cr3tS3CR3T" + "a1b2"

    def handler(request: httpx.Request) -> httpx.Response:
        data = {"primary_api_key": key, "project_id": "proj_1", "trial_credit_usd": 2}
        return httpx.Response(200, json={"ok": True, "data": data})

    client = mock_client(handler, max_retries=0)
    with client, pytest.raises(MalformedResponseError) as raised:
        client.activate(write_credentials=False, new_account=True)
    error = raised.value
    assert "ActivateResult" in str(error) and "account_id" in str(error)
    assert error.__cause__ is None and error.__suppress_context__
    for text in (str(error), repr(error), error.message):
        assert "s3cr3tS3CR3T" not in text


def test_every_error_is_an_infrai_error() -> None:
    for error_class in (
        APIStatusError,
        APIConnectionError,
        APITimeoutError,
        MalformedResponseError,
        RateLimitError,
    ):
        assert issubclass(error_class, InfraiError)


def test_the_clients_timeout_holds_with_an_injected_http_client(
    client: InfraiClient, sandbox_factory: SandboxFactory
) -> None:
    """An ``http_client`` made with a generous timeout of its own still obeys ``timeout=``."""
    slow = sandbox_factory(processing_delay_seconds=2.0)
    patient_http = httpx.Client(timeout=60)
    impatient = InfraiClient(
        api_key=client.config.api_key,
        base_url=slow.url,
        timeout=0.2,
        max_retries=0,
        http_client=patient_http,
    )
    with impatient, pytest.raises(APITimeoutError):
        impatient.account.topup(amount_usd=5)


@pytest.mark.anyio
async def test_the_async_clients_timeout_holds_with_an_injected_http_client(
    client: InfraiClient, sandbox_factory: SandboxFactory
) -> None:
    slow = sandbox_factory(processing_delay_seconds=2.0)
    impatient = AsyncInfraiClient(
        api_key=client.config.api_key,
        base_url=slow.url,
        timeout=0.2,
        max_retries=0,
        http_client=httpx.AsyncClient(timeout=60),
    )
    async with impatient:
        with pytest.raises(APITimeoutError):
            await impatient.account.topup(amount_usd=5)


# ------------------------------------------------- what to do next, and whether to retry

NEXT_STEPS: list[tuple[int, str, bool, str]] = [
    (400, "INVALID_REQUEST", False, "Check the arguments"),
    (401, "UNAUTHENTICATED", False, "INFRAI_API_KEY"),
    (402, "INSUFFICIENT_CREDIT", False, "account.topup"),
    (403, "PERMISSION_DENIED", False, "key of the project"),
    (404, "NOT_FOUND", False, "Check the id"),
    (409, "CONFLICT", False, "read it again"),
    (409, "IDEMPOTENCY_KEY_IN_USE", True, "same key"),
    (422, "VALIDATION_ERROR", False, "Check the arguments"),
    (429, "RATE_LIMITED", True, "Wait about 7 s"),
    (500, "INTERNAL_ERROR", True, "server-side"),
    (503, "UNAVAILABLE", True, "server-side"),
]


@pytest.mark.parametrize(("status", "code", "retryable", "hint"), NEXT_STEPS)
def test_each_error_says_what_to_do_next_and_whether_a_retry_can_help(
    status: int, code: str, retryable: bool, hint: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Retry-After": "7"} if status == 429 else {}
        return httpx.Response(status, json=error_envelope(code, "It failed."), headers=headers)

    with mock_client(handler, max_retries=0) as client, pytest.raises(APIStatusError) as raised:
        client.account.balance()
    error = raised.value
    assert error.retryable is retryable
    assert hint in error.hint
    assert str(error).endswith(error.hint)


@pytest.mark.parametrize(
    ("fault", "error_class", "retryable", "hint"),
    [
        (lambda: httpx.ConnectError("refused"), APIConnectionError, True, "start the sandbox"),
        (lambda: httpx.ReadTimeout("slow"), APITimeoutError, True, "raise the client's timeout"),
        (lambda: httpx.Response(502, content=HTML_PAGE), MalformedResponseError, True, "proxy"),
        (lambda: httpx.Response(200, content=b"{"), MalformedResponseError, False, "base URL"),
    ],
)
@pytest.mark.anyio
async def test_errors_without_an_envelope_say_what_to_do_next_too(
    kind: str,
    fault: Callable[[], Exception | httpx.Response],
    error_class: type[InfraiError],
    retryable: bool,
    hint: str,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        outcome = fault()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async with opened(mock_for(kind, handler, max_retries=0)) as client:
        with pytest.raises(error_class) as raised:
            await maybe_await(client.account.balance())
    assert raised.value.retryable is retryable
    assert hint in raised.value.hint and raised.value.hint in str(raised.value)
    assert raised.value.hint not in raised.value.message  # said once, where it belongs
