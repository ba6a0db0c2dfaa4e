"""A server that echoes your key back never gets it shown, logged or kept in full.

The hostile server reads the caller's ``Authorization`` header (or the key it just
issued) and writes it into every place an envelope has text: the error's code, message
and details, the request id, an activation notice, a key label. Then every surface is
scanned: the exception (str, repr, attributes, the whole traceback chain), the log
records of httpx, httpcore and the package at DEBUG, warnings, and result reprs.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter.errors import (
    APIStatusError,
    AuthenticationError,
    InfraiError,
    InsufficientCreditError,
    MalformedResponseError,
)

from .conftest import (
    HostileFactory,
    Reply,
    SeenRequest,
    assert_no_canary,
    caller_key,
    error_envelope,
    exception_surfaces,
    json_reply,
    log_texts,
    masked,
    ok_envelope,
    result_surfaces,
    warning_texts,
)


def echo_error(place: str, status: int = 401) -> Callable[[SeenRequest], Reply]:
    """A server that puts the caller's key into ``place`` of an error envelope."""

    def respond(request: SeenRequest) -> Reply:
        key = caller_key(request)
        code, message, details, rid = "UNAUTHENTICATED", "Unknown key.", {}, "req_1"
        if place in ("code", "all"):
            code = f"BAD_KEY_{key}"
        if place in ("message", "all"):
            message = f"The key {key} was revoked; key={key}."
        if place in ("details", "all"):
            details = {"key": key, "seen": [{"authorization": f"Bearer {key}"}], "n": 1}
        if place in ("request_id", "all"):
            rid = key
        return json_reply(status, error_envelope(code, message, details, request_id=rid))

    return respond


def call_and_capture(
    caplog: pytest.LogCaptureFixture, call: Callable[[], Any], error: type[BaseException]
) -> tuple[BaseException, list[str]]:
    """Run ``call`` expecting ``error``; return it and every log line and warning it made."""
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(error) as raised:
            call()
    return raised.value, log_texts(caplog.records) + warning_texts(caught)


@pytest.mark.parametrize("place", ["code", "message", "details", "request_id", "all"])
def test_an_error_echoing_the_key_never_shows_it(
    hostile: HostileFactory, canary: str, caplog: pytest.LogCaptureFixture, place: str
) -> None:
    server = hostile(echo_error(place))
    client = InfraiClient(api_key=canary, base_url=server.url, max_retries=0)
    with client:
        error, logged = call_and_capture(caplog, client.account.balance, AuthenticationError)
    assert server.requests, "the call never reached the hostile server"
    assert_no_canary(exception_surfaces(error), canary, where=f"the exception ({place})")
    assert_no_canary(logged, canary, where="logs or warnings")
    assert_no_canary([repr(client), repr(client.config)], canary, where="the client repr")


def test_a_402_echoing_the_key_everywhere_still_guides_without_showing_it(
    hostile: HostileFactory, canary: str, caplog: pytest.LogCaptureFixture
) -> None:
    def respond(request: SeenRequest) -> Reply:
        key = caller_key(request)
        details = {"missing_usd": 18.0, "account_key": key, "hint": f"top up {key}"}
        envelope = error_envelope("INSUFFICIENT_CREDIT", f"{key} is broke", details, request_id=key)
        return json_reply(402, envelope)

    server = hostile(respond)
    with InfraiClient(api_key=canary, base_url=server.url, max_retries=0) as client:
        error, logged = call_and_capture(
            caplog, lambda: client.account.tier.upgrade(target_tier="pro"), InsufficientCreditError
        )
    assert isinstance(error, InsufficientCreditError)
    assert_no_canary(exception_surfaces(error), canary, where="the 402 error")
    assert_no_canary(logged, canary, where="logs or warnings")
    assert masked(canary) in str(error)  # masked is fine, and still recognisable


def test_retries_of_a_5xx_echoing_the_key_log_nothing_secret(
    hostile: HostileFactory, canary: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = hostile(echo_error("all", status=503))
    with InfraiClient(api_key=canary, base_url=server.url, max_retries=1, timeout=5) as client:
        error, logged = call_and_capture(caplog, client.account.balance, APIStatusError)
    assert len(server.requests) == 2  # one retry: the retry decision was logged at DEBUG
    assert_no_canary(exception_surfaces(error), canary, where="the 503 error")
    assert_no_canary(logged, canary, where="retry logs")


def test_a_malformed_activation_carrying_a_key_leaks_it_nowhere(
    hostile: HostileFactory, canary: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The data holds a key but fails validation: pydantic's own message would quote it.
    data = {"account_id": "acct_1", "project_id": "proj_1", "primary_api_key": canary}
    data["trial_credit_usd"] = {"amount": canary}
    server = hostile(lambda request: json_reply(200, ok_envelope(data)))
    with InfraiClient(base_url=server.url, max_retries=0) as client:
        error, logged = call_and_capture(
            caplog, lambda: client.activate(write_credentials=False), MalformedResponseError
        )
    assert_no_canary(exception_surfaces(error), canary, where="the malformed-activation error")
    assert_no_canary(logged, canary, where="logs")


def test_a_key_echoed_in_a_response_header_stays_out_of_debug_logs(
    hostile: HostileFactory, canary: str, caplog: pytest.LogCaptureFixture
) -> None:
    # httpcore logs every response's headers at DEBUG; a realistic 401 names the token.
    def respond(request: SeenRequest) -> Reply:
        reply = json_reply(401, error_envelope("UNAUTHENTICATED", "No."))
        challenge = f'Bearer error="invalid_token", token="{caller_key(request)}"'
        reply.headers.append(("WWW-Authenticate", challenge))
        reply.headers.append(("X-Echo-Key", caller_key(request)))
        return reply

    server = hostile(respond)
    with InfraiClient(api_key=canary, base_url=server.url, max_retries=0) as client:
        error, logged = call_and_capture(caplog, client.account.balance, AuthenticationError)
    assert any(text.startswith("httpcore") for text in logged), "httpcore did not log at DEBUG"
    assert_no_canary(logged, canary, where="httpx/httpcore DEBUG logs")
    assert_no_canary(exception_surfaces(error), canary, where="the exception")


def test_an_activation_whose_notice_and_links_echo_the_new_key_shows_it_masked(
    hostile: HostileFactory, canary: str, caplog: pytest.LogCaptureFixture
) -> None:
    data = {
        "account_id": "acct_1",
        "project_id": "proj_1",
        "primary_api_key": canary,
        "trial_credit_usd": 2,
        "checkout_url": f"http://127.0.0.1:9/add-funds?key={canary}",
        "notice": f"Welcome! Your key is {canary}. Keep {canary} safe.",
    }
    server = hostile(lambda request: json_reply(200, ok_envelope(data, request_id=canary)))
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with InfraiClient(base_url=server.url, max_retries=0) as client:
            result = client.activate(write_credentials=True)
            surfaces = [*result_surfaces(result), repr(client), repr(client.config)]
    assert result.primary_api_key.get_secret_value() == canary  # the secret is kept, on purpose
    assert_no_canary(surfaces, canary, where="the activation result")
    assert_no_canary(log_texts(caplog.records) + warning_texts(caught), canary, where="logs")
    assert masked(canary) in result._repr_html_()


def test_a_key_list_whose_labels_echo_the_callers_key_shows_it_masked(
    hostile: HostileFactory, canary: str, caplog: pytest.LogCaptureFixture
) -> None:
    def respond(request: SeenRequest) -> Reply:
        key = caller_key(request)
        item = {
            "key_id": key,
            "label": f"laptop {key}",
            "scopes": [key, "account:read"],
            "created_at": "2026-01-01T00:00:00Z",
            "masked_key": key,
        }
        return json_reply(200, ok_envelope({"items": [item]}, request_id=key))

    server = hostile(respond)
    caplog.set_level(logging.DEBUG)
    with InfraiClient(api_key=canary, base_url=server.url, max_retries=0) as client:
        keys = client.account.keys.list()
    assert_no_canary(result_surfaces(keys), canary, where="the key list")
    assert_no_canary(log_texts(caplog.records), canary, where="logs")


def test_the_async_client_hides_an_echoed_key_too(
    hostile: HostileFactory, canary: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = hostile(echo_error("all"))

    async def call() -> InfraiError:
        async with AsyncInfraiClient(api_key=canary, base_url=server.url, max_retries=0) as client:
            try:
                await client.account.balance()
            except InfraiError as error:
                return error
        raise AssertionError("no error raised")

    caplog.set_level(logging.DEBUG)
    error = asyncio.run(call())
    assert isinstance(error, AuthenticationError)
    assert_no_canary(exception_surfaces(error), canary, where="the async exception")
    assert_no_canary(log_texts(caplog.records), canary, where="logs")


def test_an_activation_naming_the_key_as_its_region_keeps_the_client_masked(
    hostile: HostileFactory, canary: str
) -> None:
    # The client adopts the server's region; its repr (and %infrai's card) then shows it.
    data = {
        "account_id": "acct_1",
        "project_id": "proj_1",
        "primary_api_key": canary,
        "trial_credit_usd": 2,
        "region": canary,
    }
    server = hostile(lambda request: json_reply(200, ok_envelope(data)))
    with InfraiClient(base_url=server.url, max_retries=0) as client:
        result = client.activate(write_credentials=False)
        surfaces = [*result_surfaces(result), repr(client), repr(client.config)]
    assert_no_canary(surfaces, canary, where="the client after activation")


def test_a_key_pasted_as_the_idempotency_key_is_never_logged_in_full(
    hostile: HostileFactory, canary: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A user pastes the project key into --idempotency-key; retries log that header.
    server = hostile(lambda request: json_reply(503, error_envelope("DOWN", "Down.")))
    caplog.set_level(logging.DEBUG)
    client = InfraiClient(api_key=canary, base_url=server.url, max_retries=1)
    with client, pytest.raises((InfraiError, ValueError)) as raised:
        client.account.topup(amount_usd=5, idempotency_key=canary)
    assert_no_canary(exception_surfaces(raised.value), canary, where="the error")
    assert_no_canary(log_texts(caplog.records), canary, where="retry logs")
