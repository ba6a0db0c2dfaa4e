"""The ``/v1`` routes, one per entry of ``contract.ROUTES``, and the results they send.

Handlers are plain ``def`` so FastAPI runs them in its thread pool: SQLite's blocking
calls never stall the event loop. Each declares its success envelope and every error
envelope it can answer with, so ``/openapi.json`` describes exactly what is served.
The service returns domain objects; this module turns them into contract results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import JSONResponse

from infrai_jupyter.contract import (
    IDEMPOTENCY_KEY_HEADER,
    ROUTES,
    AccountSummary,
    ActivateRequest,
    ActivateResult,
    Balance,
    Envelope,
    ErrorCode,
    KeyInfo,
    KeyList,
    TopupList,
    TopupRecord,
    TopupRequest,
    UpgradeRequest,
)

from . import service
from .context import Sandbox, add_funds_url, base_url_of, checkout_url, sandbox_of
from .envelopes import ApiError, envelope_response, success_payload
from .idempotency import StoredResponse, execute_once, identify
from .store import Account, ProjectKey, Topup, Transaction

Handler = TypeVar("Handler", bound=Callable[..., JSONResponse])


class ErrorEnvelope(Envelope[None]):
    """An error response: ``ok`` false, ``data`` null, ``error`` set."""


_ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "Missing or unknown project key",
    402: "Not enough credit (INSUFFICIENT_CREDIT); details say how much is missing",
    404: "No such resource for this account",
    409: "A request with this Idempotency-Key is still in flight",
    422: "Validation failed (details name the fields) or Idempotency-Key reused",
    429: "Rate limited; see Retry-After",
    500: "Unexpected server error",
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": ErrorEnvelope, "description": _ERROR_DESCRIPTIONS[status]}
        for status in (*statuses, 500)
    }


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


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    """The account of the bearer key, or 401; then the optional per-key rate limit."""
    sandbox = sandbox_of(request)
    account = None
    key_hash = service.sha256(credentials.credentials) if credentials else None
    if key_hash is not None:
        with sandbox.store.transaction(write=False) as tx:
            account = tx.find_account_by_key(key_hash)
    if account is None or key_hash is None:
        raise ApiError(
            401,
            ErrorCode.UNAUTHENTICATED,
            "Missing or unknown project key. Send 'Authorization: Bearer ifr_pk_proj_…': "
            "activate (POST /v1/activate, or %infrai_activate) or set INFRAI_API_KEY.",
        )
    retry_after = sandbox.rate_limiter.retry_after(key_hash)
    if retry_after is not None:
        raise ApiError(
            429,
            ErrorCode.RATE_LIMITED,
            f"Too many requests for this key; retry in {retry_after} s.",
            {"retry_after_seconds": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
    return account


CurrentAccount = Annotated[Account, Depends(authenticate)]


def _respond(request: Request, outcome: tuple[StoredResponse, bool]) -> JSONResponse:
    response, replayed = outcome
    return envelope_response(request, response.status_code, response.payload, replayed=replayed)


def _endpoint(
    router: APIRouter, name: str, errors: tuple[int, ...], summary: str
) -> Callable[[Handler], Handler]:
    """Declare the route ``name`` of ``contract.ROUTES``: its path, method, envelopes."""
    route = ROUTES[name]
    return router.api_route(
        route.path,
        methods=[route.method],
        response_model=Envelope[route.result],  # type: ignore[name-defined]
        responses=_errors(*errors),
        operation_id=name,
        summary=summary,
    )


def activate_result(activation: service.Activation, base_url: str) -> ActivateResult:
    granted = activation.trial_granted
    if granted:
        notice = f"Sandbox trial credit of ${service.usd(activation.trial_cents)} added."
    else:
        notice = (
            "No trial credit: this device already received one. "
            "Add funds at checkout_url to use paid features."
        )
    return ActivateResult(
        account_id=activation.account.account_id,
        project_id=activation.account.project_id,
        primary_api_key=activation.api_key,
        trial_credit_usd=service.usd(activation.trial_cents),
        trial_granted=granted,
        region=activation.account.region,
        checkout_url=add_funds_url(base_url, activation.account),
        notice=notice,
    )


def topup_record(topup: Topup, base_url: str) -> TopupRecord:
    url = checkout_url(base_url, topup.topup_id)
    return TopupRecord(
        topup_id=topup.topup_id,
        amount_usd=service.usd(topup.amount_cents),
        state=topup.state,
        checkout_url=url,
        next_action_url=url,
        return_url=topup.return_url,
        created_at=topup.created_at,
    )


def key_info(key: ProjectKey) -> KeyInfo:
    return KeyInfo(
        key_id=key.key_id,
        label=key.label,
        scopes=list(key.scopes),
        created_at=key.created_at,
        masked_key=key.masked_key,
    )


def account_summary(account: Account) -> AccountSummary:
    return AccountSummary(
        account_id=account.account_id,
        kind="anonymous",
        status="active",
        tier=account.tier,
        balance_usd=service.usd(account.balance_cents),
    )


def insufficient_credit_error(shortfall: service.InsufficientCredit, base_url: str) -> ApiError:
    account, price, missing = shortfall.account, shortfall.price_cents, shortfall.missing_cents
    return ApiError(
        402,
        ErrorCode.INSUFFICIENT_CREDIT,
        f"The {shortfall.tier} tier costs ${service.usd(price)} but the balance is "
        f"${service.usd(account.balance_cents)}: add at least ${service.usd(missing)} and retry.",
        {
            "tier": shortfall.tier,
            "required_usd": float(service.usd(price)),
            "balance_usd": float(service.usd(account.balance_cents)),
            "missing_usd": float(service.usd(missing)),
            "checkout_url": f"{add_funds_url(base_url, account)}?amount={service.usd(missing)}",
        },
    )


def unknown_tier_error(sandbox: Sandbox, tier: str) -> ApiError:
    prices = sandbox.settings.tier_prices
    valid = sorted(prices, key=lambda name: prices[name])
    return ApiError(
        422,
        ErrorCode.VALIDATION_ERROR,
        f"Invalid target_tier: unknown tier {tier!r}; valid tiers are {', '.join(valid)}.",
        {"fields": [{"field": "target_tier", "problem": "unknown tier"}], "valid_tiers": valid},
    )


def _upgrade(
    tx: Transaction, sandbox: Sandbox, account_id: str, tier: str, base_url: str
) -> StoredResponse:
    """Upgrade, keeping a 402 as the stored answer: a retry must not charge later."""
    try:
        account = service.upgrade_tier(tx, sandbox.settings, account_id, tier)
    except service.InsufficientCredit as shortfall:
        return StoredResponse(402, insufficient_credit_error(shortfall, base_url).payload())
    except service.UnknownAccount:
        raise ApiError(404, ErrorCode.NOT_FOUND, "This account no longer exists.") from None
    return StoredResponse(200, success_payload(account_summary(account)))


def build_router() -> APIRouter:
    """The API routes; a new router per app, so apps share nothing."""
    router = APIRouter()

    @_endpoint(
        router,
        "infra.activate",
        (400, 409, 422),
        summary="Create an anonymous account with trial credit",
    )
    def activate(
        request: Request, body: ActivateRequest, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        sandbox = sandbox_of(request)
        scope = f"device:{service.sha256(body.device_fingerprint)}"
        identity = identify(scope, "infra.activate", body, idempotency_key, derive=False)
        base_url = base_url_of(request)

        def create(tx: Transaction) -> StoredResponse:
            activation = service.activate(tx, sandbox.settings, body)
            return StoredResponse(200, success_payload(activate_result(activation, base_url)))

        return _respond(request, execute_once(sandbox.store, sandbox.settings, identity, create))

    @_endpoint(router, "account.balance", (401, 429), summary="The account's balance")
    def balance(request: Request, account: CurrentAccount) -> JSONResponse:
        result = Balance(balance_usd=service.usd(account.balance_cents))
        return envelope_response(request, 200, success_payload(result))

    @_endpoint(
        router,
        "account.topup",
        (400, 401, 409, 422, 429),
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
            return StoredResponse(200, success_payload(topup_record(created, base_url)))

        return _respond(request, execute_once(sandbox.store, sandbox.settings, identity, create))

    @_endpoint(
        router, "account.topups.list", (401, 429), summary="The account's top-ups, newest first"
    )
    def list_topups(request: Request, account: CurrentAccount) -> JSONResponse:
        base_url = base_url_of(request)
        with sandbox_of(request).store.transaction(write=False) as tx:
            topups = tx.list_topups(account.account_id)
        result = TopupList(items=[topup_record(item, base_url) for item in topups])
        return envelope_response(request, 200, success_payload(result))

    @_endpoint(
        router, "account.topups.retrieve", (401, 404, 422, 429), summary="One top-up of the account"
    )
    def retrieve_topup(
        request: Request,
        account: CurrentAccount,
        topup_id: Annotated[str, Path(min_length=1, max_length=128)],
    ) -> JSONResponse:
        with sandbox_of(request).store.transaction(write=False) as tx:
            found = tx.get_topup(topup_id)
        if found is None or found.account_id != account.account_id:
            raise ApiError(404, ErrorCode.NOT_FOUND, f"No top-up {topup_id!r} on this account.")
        result = topup_record(found, base_url_of(request))
        return envelope_response(request, 200, success_payload(result))

    @_endpoint(
        router, "account.keys.list", (401, 429), summary="The account's project keys (masked)"
    )
    def list_keys(request: Request, account: CurrentAccount) -> JSONResponse:
        with sandbox_of(request).store.transaction(write=False) as tx:
            keys = tx.list_keys(account.account_id)
        result = KeyList(items=[key_info(key) for key in keys])
        return envelope_response(request, 200, success_payload(result))

    @_endpoint(
        router,
        "account.tier.upgrade",
        (400, 401, 402, 409, 422, 429),
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
        base_url = base_url_of(request)
        return _respond(
            request,
            execute_once(
                sandbox.store,
                sandbox.settings,
                identity,
                lambda tx: _upgrade(tx, sandbox, account.account_id, body.target_tier, base_url),
            ),
        )

    return router
