"""The ``/v1`` routes, one per entry of ``contract.ROUTES``.

Handlers that write are plain ``def`` so FastAPI runs them in its thread pool: a
transaction that waits for the writer never stalls the event loop. Reads of a local
store (SQLite) run on the loop itself (``authenticate``; ``balance`` only formats the
account it found), sparing each read a thread hop. Each declares its success envelope
and every error envelope it can answer with, so ``/openapi.json`` describes exactly
what is served.

Request bodies are read with ``parse_float=Decimal``: ``19.999999999999999`` is refused
for its fraction of a cent instead of becoming the float 20.0 first.

Failed authentication is limited per client address (``auth_failures_per_minute``):
past the limit every keyed request from that address gets 429 with the real time left,
before its key is looked up, so a guesser learns nothing more that minute. Activation,
which needs no key, is limited per address too (``activations_per_minute``). These
counts are kept by each worker process (see ``context.RateLimiter``).

A teacher's scenarios (``admin``) are read from the database on every call, so they
hold across workers: "fail the next N calls" consumes exactly N, whichever worker
answers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from infrai_jupyter.contract import (
    IDEMPOTENCY_KEY_HEADER,
    ROUTES,
    AccountSummary,
    ActivateRequest,
    ActivateResult,
    Balance,
    Envelope,
    ErrorCode,
    KeyList,
    TopupList,
    TopupRecord,
    TopupRequest,
    UpgradeRequest,
)

from . import admin, service
from .activation import KeyReplay
from .admin import Scenarios
from .context import Sandbox, base_url_of, client_address, sandbox_of
from .envelopes import ApiError, envelope_response, success_payload, unavailable
from .i18n import N_, PageLanguage, language_of
from .idempotency import StoredResponse, execute_once, identify
from .results import (
    account_summary,
    activate_result,
    insufficient_credit_error,
    key_info,
    topup_record,
    unknown_tier_error,
)
from .store import Account, Transaction

Handler = TypeVar("Handler", bound=Callable[..., JSONResponse | Awaitable[JSONResponse]])


class ErrorEnvelope(Envelope[None]):
    """An error response: ``ok`` false, ``data`` null, ``error`` set."""


_ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "Missing or unknown project key",
    402: "Not enough credit (INSUFFICIENT_CREDIT); details say how much is missing",
    404: "No such resource for this account",
    409: "A request with this Idempotency-Key is still in flight",
    413: "The request body is too large",
    422: "Validation failed (details name the fields) or Idempotency-Key reused",
    429: "Rate limited, or too many failed authentications from this address; see Retry-After",
    500: "Unexpected server error",
    503: "The database is busy or unreachable for now (or a teacher's scenario); see Retry-After",
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": ErrorEnvelope, "description": _ERROR_DESCRIPTIONS[status]}
        for status in (*statuses, 500, 503)
    }


class _ExactJsonRequest(Request):
    """A request whose JSON numbers stay exact decimals on their way to validation."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(body, parse_float=Decimal)
            except (ValueError, RecursionError) as error:  # bad UTF-8, 5000-digit ints, [[[[…
                raise json.JSONDecodeError(str(error), "", 0) from None
        return self._json


class ExactJsonRoute(APIRoute):
    """Routes that parse bodies with ``_ExactJsonRequest`` (FastAPI's custom-route hook)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def exact_json_handler(request: Request) -> Response:
            response: Response = await handler(_ExactJsonRequest(request.scope, request.receive))
            return response

        return exact_json_handler


_bearer = HTTPBearer(auto_error=False, description="A project key: ifr_pk_proj_…")

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY_HEADER,
        min_length=1,
        max_length=255,
        description="Same key and body within the window: the first response is replayed.",
    ),
]


def _too_many(retry_after: int, message: str) -> ApiError:
    """A 429; ``message`` is marked for the catalogue and has a ``{seconds}`` to fill."""
    return ApiError(
        429,
        ErrorCode.RATE_LIMITED,
        message,
        {"retry_after_seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
        params={"seconds": retry_after},
    )


def _fail_if_asked(sandbox: Sandbox, scenarios: Scenarios) -> None:
    """Answer 503 if a teacher asked for the next calls to fail and one is left."""
    if scenarios.fail_next_calls <= 0:
        return
    with sandbox.store.transaction() as tx:
        failing = tx.consume_scenario(admin.FAIL_CALLS)
    if failing:
        raise unavailable(
            N_(
                "The sandbox is failing this call on purpose (a scenario your teacher set); "
                "retry shortly."
            )
        )


def _scenarios(sandbox: Sandbox) -> Scenarios:
    with sandbox.store.transaction(write=False) as tx:
        return Scenarios.from_values(tx.get_scenarios())


def _look_up(sandbox: Sandbox, key_hash: str | None) -> tuple[Account | None, Scenarios]:
    """One read transaction finds the key's account and the teacher's scenarios together."""
    with sandbox.store.transaction(write=False) as tx:
        scenarios = Scenarios.from_values(tx.get_scenarios())
        return (tx.find_account_by_key(key_hash) if key_hash else None), scenarios


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    """The account of the bearer key, or 401 (429 after repeated failures from the
    address, before the key is looked up); then the optional per-key rate limit.

    Async, so a read needs no thread hop where the store's reads are local (SQLite);
    anything that may wait (a networked store, a scenario's write) goes to the pool.
    """
    sandbox, address = sandbox_of(request), client_address(request)
    if credentials is not None:
        wait = sandbox.auth_failures.blocked_for(address)
        if wait is not None:
            raise _too_many(
                wait, N_("Too many failed authentications from this address; retry in {seconds} s.")
            )
    key_hash = service.sha256(credentials.credentials) if credentials else None
    if sandbox.store.local_reads:
        account, scenarios = _look_up(sandbox, key_hash)
    else:
        account, scenarios = await run_in_threadpool(_look_up, sandbox, key_hash)
    if scenarios.fail_next_calls > 0:
        await run_in_threadpool(_fail_if_asked, sandbox, scenarios)
    if account is None or key_hash is None:
        if key_hash is not None:
            sandbox.auth_failures.count(address)
        raise ApiError(
            401,
            ErrorCode.UNAUTHENTICATED,
            N_(
                "Missing or unknown project key. Send 'Authorization: Bearer ifr_pk_proj_…': "
                "activate (POST /v1/activate, or %infrai_activate) or set INFRAI_API_KEY."
            ),
        )
    retry_after = sandbox.rate_limiter.retry_after(key_hash, scenarios.rate_limit_per_minute)
    if retry_after is not None:
        raise _too_many(retry_after, N_("Too many requests for this key; retry in {seconds} s."))
    return account


CurrentAccount = Annotated[Account, Depends(authenticate)]


def _respond(request: Request, outcome: tuple[StoredResponse, bool]) -> JSONResponse:
    response, replayed = outcome
    return envelope_response(request, response.status_code, response.payload, replayed=replayed)


def _endpoint(
    router: APIRouter,
    name: str,
    result: type[BaseModel],
    errors: tuple[int, ...],
    summary: str,
) -> Callable[[Handler], Handler]:
    """Declare the route ``name`` of ``contract.ROUTES``: its path, method, envelopes;
    ``result`` is the contract model its success envelope carries."""
    route = ROUTES[name]
    return router.api_route(
        route.path,
        methods=[route.method],
        response_model=Envelope[result],  # type: ignore[valid-type]
        responses=_errors(*errors),
        operation_id=name,
        summary=summary,
    )


def _upgrade(
    tx: Transaction,
    sandbox: Sandbox,
    account_id: str,
    tier: str,
    base_url: str,
    language: PageLanguage,
) -> StoredResponse:
    """Upgrade, keeping a 402 as the stored answer: a retry must not charge later.

    The stored 402 is in the first request's language; its replays say the same words.
    """
    try:
        account = service.upgrade_tier(tx, sandbox.settings, account_id, tier)
    except service.InsufficientCredit as shortfall:
        error = insufficient_credit_error(shortfall, base_url)
        return StoredResponse(402, error.payload(language))
    except service.UnknownAccount:
        raise ApiError(404, ErrorCode.NOT_FOUND, N_("This account no longer exists.")) from None
    return StoredResponse(200, success_payload(account_summary(account)))


def build_router() -> APIRouter:
    """The API routes; a new router per app, so apps share nothing."""
    router = APIRouter(route_class=ExactJsonRoute)

    @_endpoint(
        router,
        "infra.activate",
        ActivateResult,
        (400, 409, 413, 422, 429),
        summary="Create an anonymous account with trial credit",
    )
    def activate(
        request: Request, body: ActivateRequest, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        sandbox = sandbox_of(request)
        _fail_if_asked(sandbox, _scenarios(sandbox))
        wait = sandbox.activations.retry_after(client_address(request))
        if wait is not None:
            raise _too_many(
                wait, N_("Too many activations from this address; retry in {seconds} s.")
            )
        scope = f"device:{service.sha256(body.device_fingerprint)}"
        identity = identify(scope, "infra.activate", body, idempotency_key, derive=False)
        base_url, language = base_url_of(request), language_of(request)
        replays = KeyReplay(sandbox, idempotency_key)

        def create(tx: Transaction) -> StoredResponse:
            activation = service.activate(tx, sandbox.settings, body, replays.issue_key)
            result = activate_result(activation, base_url, language)
            return StoredResponse(200, success_payload(result))

        response, replayed = execute_once(sandbox, identity, create, redact=replays.redact)
        if replayed:
            response = replays.restore(response, language)
        return _respond(request, (response, replayed))

    @_endpoint(router, "account.balance", Balance, (401, 429), summary="The account's balance")
    async def balance(request: Request, account: CurrentAccount) -> JSONResponse:
        result = Balance(balance_usd=service.usd(account.balance_cents))
        return envelope_response(request, 200, success_payload(result))

    @_endpoint(
        router,
        "account.topup",
        TopupRecord,
        (400, 401, 409, 413, 422, 429),
        summary="Start a top-up; the user pays at checkout_url",
    )
    def topup(
        request: Request,
        account: CurrentAccount,
        body: TopupRequest,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        sandbox = sandbox_of(request)
        identity = identify(f"account:{account.account_id}", "account.topup", body, idempotency_key)
        base_url = base_url_of(request)

        def create(tx: Transaction) -> StoredResponse:
            created = service.create_topup(tx, account.account_id, body.amount_usd, body.return_url)
            return StoredResponse(200, success_payload(topup_record(sandbox, created, base_url)))

        return _respond(request, execute_once(sandbox, identity, create))

    @_endpoint(
        router,
        "account.topups.list",
        TopupList,
        (401, 429),
        summary="The account's top-ups, newest first",
    )
    def list_topups(request: Request, account: CurrentAccount) -> JSONResponse:
        sandbox, base_url = sandbox_of(request), base_url_of(request)
        with sandbox.store.transaction(write=False) as tx:
            topups = tx.list_topups(account.account_id)
        result = TopupList(items=[topup_record(sandbox, item, base_url) for item in topups])
        return envelope_response(request, 200, success_payload(result))

    @_endpoint(
        router,
        "account.topups.retrieve",
        TopupRecord,
        (401, 404, 422, 429),
        summary="One top-up of the account",
    )
    def retrieve_topup(
        request: Request,
        account: CurrentAccount,
        topup_id: Annotated[str, Path(min_length=1, max_length=128)],
    ) -> JSONResponse:
        sandbox = sandbox_of(request)
        with sandbox.store.transaction(write=False) as tx:
            found = tx.get_topup(topup_id)
        if found is None or found.account_id != account.account_id:
            raise ApiError(
                404,
                ErrorCode.NOT_FOUND,
                N_("No top-up {topup_id} on this account."),
                params={"topup_id": repr(topup_id)},
            )
        result = topup_record(sandbox, found, base_url_of(request))
        return envelope_response(request, 200, success_payload(result))

    @_endpoint(
        router,
        "account.keys.list",
        KeyList,
        (401, 429),
        summary="The account's project keys (masked)",
    )
    def list_keys(request: Request, account: CurrentAccount) -> JSONResponse:
        with sandbox_of(request).store.transaction(write=False) as tx:
            keys = tx.list_keys(account.account_id)
        result = KeyList(items=[key_info(key) for key in keys])
        return envelope_response(request, 200, success_payload(result))

    @_endpoint(
        router,
        "account.tier.upgrade",
        AccountSummary,
        (400, 401, 402, 409, 413, 422, 429),
        summary="Change tier, paying its price from the balance",
    )
    def upgrade(
        request: Request,
        account: CurrentAccount,
        body: UpgradeRequest,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        sandbox = sandbox_of(request)
        if body.target_tier not in sandbox.settings.tier_prices:
            raise unknown_tier_error(sandbox, body.target_tier)
        identity = identify(
            f"account:{account.account_id}", "account.tier.upgrade", body, idempotency_key
        )
        base_url, language = base_url_of(request), language_of(request)
        return _respond(
            request,
            execute_once(
                sandbox,
                identity,
                lambda tx: _upgrade(
                    tx, sandbox, account.account_id, body.target_tier, base_url, language
                ),
            ),
        )

    return router
