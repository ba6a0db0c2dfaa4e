"""Errors and envelopes: ``ApiError``, the one writer of responses, and the error handlers.

Every failure, whoever raises it, ends in one of the handlers installed by
``install_error_handlers``: our ``ApiError``, FastAPI's request validation, Starlette's
routing 404/405, a database that is busy or unreachable for now (503 with
``Retry-After``: the transaction was rolled back, so a retry is safe), and any uncaught
exception (500, no traceback in the body). A client therefore never sees a framework
error page, and every ``/v1`` answer is the envelope.

An error's message is kept as its English text and parameters and written in the
language the request's ``Accept-Language`` negotiates (``i18n``) when the answer is
sent: the code and ``details`` stay as they are, for programs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uuid6 import uuid7

from infrai_jupyter.contract import (
    IDEMPOTENT_REPLAYED_HEADER,
    ErrorBody,
    ErrorCode,
    Metadata,
    is_loopback_host,
)

from .context import host_port
from .i18n import ENGLISH, ENGLISH_LANGUAGE, N_, PageLanguage, language_of, render
from .store import StoreUnavailable

VENDOR = "sandbox"

logger = logging.getLogger(__name__)

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


class ApiError(Exception):
    """A failure the client should see as an error envelope with this status and code.

    ``message`` is English with ``{placeholders}`` filled from ``params``, marked for the
    catalogue (``N_``) where it is written; :meth:`payload` says it in a request's language.
    """

    def __init__(
        self,
        status_code: int,
        code: ErrorCode,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.template = message
        self.params = dict(params or {})
        self.message = render(ENGLISH_LANGUAGE, message, self.params)
        super().__init__(self.message)
        self.status_code = status_code
        self.code = code
        self.details = dict(details or {})
        self.headers = dict(headers or {})

    def message_in(self, language: PageLanguage) -> str:
        """The message in ``language`` (English where the catalogue has none)."""
        return render(language, self.template, self.params)

    def payload(self, language: PageLanguage = ENGLISH_LANGUAGE) -> dict[str, Any]:
        """The envelope without metadata, in ``language``: what is stored for a replay."""
        message = self.message_in(language)
        error = ErrorBody(code=self.code.value, message=message, details=self.details)
        return {"ok": False, "data": None, "error": error.model_dump(mode="json")}


class EnvelopedHTTPException(HTTPException):
    """An ``HTTPException`` that carries the ``ApiError`` its handler answers with.

    Raised where only an ``HTTPException`` gets through FastAPI as it is (a failed body
    read); the handler then answers with ``error``, in the request's language.
    """

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.status_code, error.message, error.headers or None)
        self.error = error


class RequestClockMiddleware:
    """Give every HTTP request a UUID v7 and a start time before any route or handler runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            state["request_id"] = str(uuid7())
            state["started"] = time.perf_counter()
        await self.app(scope, receive, send)


class PathPrefixMiddleware:
    """Serve ``/sandbox/…`` as ``/…`` when ``public_url`` is ``https://host/sandbox``.

    A reverse proxy that strips the prefix sends ``/checkout/…``, one that keeps it sends
    ``/sandbox/checkout/…``: both reach the same route. The same holds for a root-path
    ``public_url`` (jupyter-server-proxy's ``proxy/{port}`` strips, ``proxy/absolute/{port}``
    keeps).
    """

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(f"{self.prefix}/"):
            inner = path[len(self.prefix) :]
            scope = {**scope, "path": inner, "raw_path": inner.encode()}
        await self.app(scope, receive, send)


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _hostname(host: str) -> str:
    """``example.org`` of ``example.org:8765``; ``::1`` of ``[::1]:8765``."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0].lower()
    return (host.rsplit(":", 1)[0] if host.count(":") == 1 else host).lower()


class KnownHostMiddleware:
    """Answer 421 to a request whose ``Host`` names another server (DNS rebinding).

    A page of ``evil.example`` whose name an attacker re-points to 127.0.0.1 becomes
    same-origin with this server and could read its answers (a new key, a form token);
    its requests say ``Host: evil.example``. Served are: the address the connection
    reached, the host of ``public_url``, and the loopback names on a loopback connection.

    A root-path ``public_url`` (``public_path``, a kernel behind a Jupyter server's
    proxy) names no host: the proxy forwards the browser's ``Host`` (the hub's), which
    the sandbox cannot know. Such a request is served when it comes from a loopback peer
    (jupyter-server-proxy runs beside the kernel), its ``Host`` names a port other than
    the one the connection reached, and it says it is for ``public_path`` (the
    ``X-Forwarded-Context`` that ``proxy/{port}`` sends, or the path that
    ``proxy/absolute/{port}`` keeps). The port is what a rebinding page cannot fake: a
    browser connecting to the sandbox itself always sends the sandbox's port in ``Host``
    (a forbidden header to scripts), whereas a proxy connects on its own and passes on
    the port of the page the browser opened. Headers and paths alone would not do: a
    same-origin page may set any header and request any path.
    """

    def __init__(
        self, app: ASGIApp, public_host: str | None, public_path: str | None = None
    ) -> None:
        self.app = app
        self.public_host = public_host
        self.public_path = public_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host and not self._serves(host, scope):
                error = ApiError(
                    421,
                    ErrorCode.INVALID_REQUEST,
                    N_(
                        "This sandbox does not serve that host name; use the address it "
                        "printed when it started (or its --public-url)."
                    ),
                )
                request = Request(scope)
                payload = error.payload(language_of(request))
                await envelope_response(request, 421, payload)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _serves(self, host: str, scope: Scope) -> bool:
        name, server = _hostname(host), scope.get("server")
        local = (server[0] if server else "").lower()
        if name in (local, self.public_host):
            return True
        if name in LOOPBACK_NAMES and is_loopback_host(local):
            return True
        return self._through_local_proxy(host, scope)

    def _through_local_proxy(self, host: str, scope: Scope) -> bool:
        client, server = scope.get("client"), scope.get("server")
        if not (self.public_path and client and server and is_loopback_host(client[0])):
            return False
        if host_port(host) in (None, server[1]):
            return False
        context = dict(scope["headers"]).get(b"x-forwarded-context", b"").decode("latin-1")
        path: str = scope.get("path", "")
        return context.rstrip("/") == self.public_path or (
            path == self.public_path or path.startswith(f"{self.public_path}/")
        )


class BodySizeLimitMiddleware:
    """Refuse a request body over ``limit`` bytes with a 413 envelope, announced or not.

    Starlette's own limiter answers an announced oversize body in plain text, outside
    the envelope every ``/v1`` client parses; this one answers it before the route runs,
    and a chunked body fails the route's read, through the same handlers as any error.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = dict(scope["headers"]).get(b"content-length")
        if announced is not None and announced.isdigit() and int(announced) > self.limit:
            request = Request(scope)
            payload = self._too_large().payload(language_of(request))
            await envelope_response(request, 413, payload)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                # An HTTPException, since FastAPI turns any other body error into a 400.
                raise EnvelopedHTTPException(self._too_large())
            return message

        await self.app(scope, counted, send)

    def _too_large(self) -> ApiError:
        return ApiError(
            413,
            ErrorCode.INVALID_REQUEST,
            N_(
                "The request body is larger than {limit} bytes; the sandbox's requests "
                "are small JSON objects."
            ),
            params={"limit": self.limit},
        )


def success_payload(result: BaseModel) -> dict[str, Any]:
    """The success envelope for ``result``, without metadata."""
    return {"ok": True, "data": result.model_dump(mode="json"), "error": None}


def envelope_response(
    request: Request,
    status_code: int,
    payload: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    replayed: bool = False,
) -> JSONResponse:
    """Send ``payload`` (ok/data/error) with fresh metadata for this request."""
    state = request.scope.get("state", {})
    started = state.get("started", time.perf_counter())
    metadata = Metadata(
        cost_usd=Decimal("0"),
        latency_ms=round((time.perf_counter() - started) * 1000),
        vendor=VENDOR,
        cache_hit=replayed,
        request_id=state.get("request_id") or str(uuid7()),
    )
    body = {**payload, "metadata": metadata.model_dump(mode="json")}
    all_headers = dict(headers or {})
    if replayed:
        all_headers[IDEMPOTENT_REPLAYED_HEADER] = "true"
    return JSONResponse(body, status_code=status_code, headers=all_headers)


def _field_name(location: tuple[Any, ...]) -> str:
    # ("body", "amount_usd") -> "amount_usd"; ("header", "Idempotency-Key") -> "Idempotency-Key"
    return ".".join(str(part) for part in location[1:]) or str(location[0])


def _validation_error(exc: RequestValidationError) -> ApiError:
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return ApiError(
            400,
            ErrorCode.INVALID_REQUEST,
            N_(
                "The request body is not valid JSON; send a JSON object with "
                "Content-Type: application/json."
            ),
        )
    fields = [
        {"field": _field_name(tuple(error["loc"])), "problem": str(error["msg"])}
        for error in errors
    ]
    return ValidationFailure(errors, fields)


_PROBLEMS = {
    "missing": N_("required"),
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "decimal_max_places": N_("must have at most {decimal_places} decimals"),
    "decimal_max_digits": N_("must have at most {max_digits} digits"),
    "decimal_parsing": N_("must be a number"),
    "decimal_type": N_("must be a number"),
    "finite_number": N_("must be a finite number"),
    "string_type": N_("must be a string"),
    "string_too_short": N_("must have at least {min_length} characters"),
    "string_too_long": N_("must have at most {max_length} characters"),
    "string_pattern_mismatch": N_("does not have the expected form"),
    "literal_error": N_("must be one of {expected}"),
    "model_attributes_type": N_("must be a JSON object"),
    "dict_type": N_("must be a JSON object"),
    "url_parsing": N_("must be a URL"),
    "extra_forbidden": N_("is not a field of this request"),
}
"""Pydantic's problems, in words the catalogue can translate (``ctx`` fills the gaps).

A problem of another type keeps pydantic's English (its messages are not in our
catalogue); ``details.fields`` always has pydantic's own words, for programs.
"""

_CONTRACT_PROBLEMS = {
    "must be an absolute http:// or https:// URL": N_(
        "must be an absolute http:// or https:// URL"
    ),
}
"""The contract's own validators' words (``ValueError``), said again for the catalogue."""


_FIELD_PROBLEM = N_("{field}: {problem}")
_SEPARATOR = N_("; ")
"""How the summary of a 422 reads: its punctuation is the language's too."""


class ValidationFailure(ApiError):
    """A 422 whose message lists each field's problem, in the request's language."""

    def __init__(self, errors: list[Any], fields: list[dict[str, str]]) -> None:
        self.errors = errors
        summary = "; ".join(f"{item['field']}: {item['problem']}" for item in fields)
        super().__init__(
            422,
            ErrorCode.VALIDATION_ERROR,
            N_("Invalid {summary}"),
            {"fields": fields},
            params={"summary": summary},
        )
        self.fields = fields

    def message_in(self, language: PageLanguage) -> str:
        if language.code == ENGLISH:
            return self.message  # pydantic's words, exactly as before
        summary = language.gettext(_SEPARATOR).join(
            render(
                language,
                _FIELD_PROBLEM,
                {"field": item["field"], "problem": _problem(language, error, item["problem"])},
            )
            for error, item in zip(self.errors, self.fields, strict=True)
        )
        return render(language, self.template, {"summary": summary})


def _problem(language: PageLanguage, error: Mapping[str, Any], english: str) -> str:
    """One field's problem in ``language``: ours if we know its type, else pydantic's."""
    kind = str(error.get("type", ""))
    context = {name: str(value) for name, value in (error.get("ctx") or {}).items()}
    if kind == "value_error":
        reason = context.get("error", "")
        if reason in _CONTRACT_PROBLEMS:
            return language.gettext(_CONTRACT_PROBLEMS[reason])
        return english
    template = _PROBLEMS.get(kind)
    if template is None:
        return english
    if kind == "literal_error":  # "'a', 'b' or 'c'": the "or" is English
        context["expected"] = context.get("expected", "").replace(" or ", ", ")
    try:
        return render(language, template, context) if context else language.gettext(template)
    except (KeyError, IndexError):  # a context without the value the template names
        return english


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    payload = exc.payload(language_of(request))
    return envelope_response(request, exc.status_code, payload, headers=exc.headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return await _on_api_error(request, _validation_error(exc))


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no such route, wrong method) in our envelope."""
    assert isinstance(exc, HTTPException)
    if isinstance(exc, EnvelopedHTTPException):
        return await _on_api_error(request, exc.error)
    code = _STATUS_CODES.get(exc.status_code, ErrorCode.INVALID_REQUEST)
    where = {"method": request.method, "path": request.url.path}
    if exc.status_code == 404:
        message = N_("No route {method} {path}; the API lives under /v1.")
    elif exc.status_code == 405:
        where["allowed"] = (exc.headers or {}).get("Allow", "")
        message = N_("{method} is not allowed on {path}; use {allowed}.")
    else:
        message, where = "{detail}", {"detail": str(exc.detail)}
    error = ApiError(exc.status_code, code, message, headers=exc.headers, params=where)
    return await _on_api_error(request, error)


def unavailable(message: str, retry_after: int = 1) -> ApiError:
    """A 503 the client should retry (its retry policy honours ``Retry-After``);
    ``message`` is marked for the catalogue where it is written."""
    return ApiError(
        503,
        ErrorCode.INTERNAL_ERROR,
        message,
        {"retry_after_seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


async def _on_store_unavailable(request: Request, exc: Exception) -> Response:
    logger.warning("database unavailable: %s", exc)
    error = unavailable(
        N_(
            "The sandbox's database is busy or unreachable for a moment; nothing was "
            "changed. Retry shortly (with the same Idempotency-Key)."
        )
    )
    return await _on_api_error(request, error)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    error = ApiError(
        500,
        ErrorCode.INTERNAL_ERROR,
        N_(
            "The sandbox hit an unexpected error; it is logged on the server. "
            "Retrying with the same Idempotency-Key is safe."
        ),
    )
    return await _on_api_error(request, error)


def install_error_handlers(app: FastAPI) -> None:
    """Make every failure of ``app`` an error envelope with a request id and latency."""
    app.add_middleware(RequestClockMiddleware)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(StoreUnavailable, _on_store_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
