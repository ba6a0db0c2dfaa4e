"""The one writer of response envelopes, and the middleware that times each request."""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from uuid6 import uuid7

from infrai_jupyter.contract import IDEMPOTENT_REPLAYED_HEADER, Metadata

VENDOR = "sandbox"


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
