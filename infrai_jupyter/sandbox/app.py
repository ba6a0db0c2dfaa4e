"""``create_app``: the sandbox as an ASGI app, and the one place error envelopes are written.

Every failure, whoever raises it, ends in one of the handlers below: our ``ApiError``,
FastAPI's request validation, Starlette's routing 404/405, and any uncaught exception
(500, no traceback in the body). A client therefore never sees a framework error page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from infrai_jupyter.contract import ErrorCode

from .api import build_router as build_api_router
from .checkout import build_router as build_checkout_router
from .context import RateLimiter, Sandbox
from .errors import ApiError
from .responses import RequestClockMiddleware, envelope_response
from .settings import SandboxSettings
from .store import SqliteStore

_STATUS_CODES = {
    400: ErrorCode.INVALID_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
}


def _field_name(location: tuple[Any, ...]) -> str:
    # ("body", "amount_usd") -> "amount_usd"; ("header", "Idempotency-Key") -> "Idempotency-Key"
    return ".".join(str(part) for part in location[1:]) or str(location[0])


def _validation_error(exc: RequestValidationError) -> ApiError:
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return ApiError(
            400,
            ErrorCode.INVALID_REQUEST,
            "The request body is not valid JSON; send a JSON object with "
            "Content-Type: application/json.",
        )
    fields = [
        {"field": _field_name(tuple(error["loc"])), "problem": str(error["msg"])}
        for error in errors
    ]
    summary = "; ".join(f"{item['field']}: {item['problem']}" for item in fields)
    return ApiError(422, ErrorCode.VALIDATION_ERROR, f"Invalid {summary}", {"fields": fields})


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return envelope_response(request, exc.status_code, exc.payload(), headers=exc.headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return await _on_api_error(request, _validation_error(exc))


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no such route, wrong method) in our envelope."""
    assert isinstance(exc, HTTPException)
    code = _STATUS_CODES.get(exc.status_code, ErrorCode.INVALID_REQUEST)
    if exc.status_code == 404:
        message = f"No route {request.method} {request.url.path}; the API lives under /v1."
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        message = f"{request.method} is not allowed on {request.url.path}; use {allowed}."
    else:
        message = str(exc.detail)
    error = ApiError(exc.status_code, code, message, headers=exc.headers)
    return await _on_api_error(request, error)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    error = ApiError(
        500,
        ErrorCode.INTERNAL_ERROR,
        "The sandbox hit an unexpected error; it is logged on the server. "
        "Retrying with the same Idempotency-Key is safe.",
    )
    return await _on_api_error(request, error)


def create_app(settings: SandboxSettings | None = None) -> FastAPI:
    """A fresh sandbox app; its store opens when the app starts (lifespan), not at import."""
    config = settings or SandboxSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        store = SqliteStore(config.db_path)
        await run_in_threadpool(store.open)
        yield {"sandbox": Sandbox(config, store, RateLimiter(config.rate_limit_per_minute))}

    app = FastAPI(
        title="infrai sandbox",
        version="1",
        summary="A local implementation of the infrai account API.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(RequestClockMiddleware)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)
    app.include_router(build_api_router())
    app.include_router(build_checkout_router())
    return app
