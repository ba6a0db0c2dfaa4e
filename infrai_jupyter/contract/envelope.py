"""The response envelope every infrai endpoint answers with, success or failure."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .money import ExactUsd

DataT = TypeVar("DataT")


class ErrorCode(str, Enum):
    """Machine-readable error codes; clients must also accept codes not listed here."""

    INVALID_REQUEST = "INVALID_REQUEST"  # 400
    VALIDATION_ERROR = "VALIDATION_ERROR"  # 422
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"  # 422: same key, different body
    UNAUTHENTICATED = "UNAUTHENTICATED"  # 401
    INSUFFICIENT_CREDIT = "INSUFFICIENT_CREDIT"  # 402
    PERMISSION_DENIED = "PERMISSION_DENIED"  # 403
    NOT_FOUND = "NOT_FOUND"  # 404
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"  # 405
    CONFLICT = "CONFLICT"  # 409
    IDEMPOTENCY_KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE"  # 409: first request still running
    RATE_LIMITED = "RATE_LIMITED"  # 429
    INTERNAL_ERROR = "INTERNAL_ERROR"  # 500


class ErrorBody(BaseModel):
    """What went wrong: a stable code, a human message and structured details."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class Metadata(BaseModel):
    """Facts about one call: what it cost, how long it took, and its request id."""

    model_config = ConfigDict(extra="allow")

    cost_usd: ExactUsd = Decimal("0")
    latency_ms: int = 0
    vendor: str = ""
    cache_hit: bool = False
    request_id: str = ""


class Envelope(BaseModel, Generic[DataT]):
    """``{"ok", "data", "error", "metadata"}``: ``data`` on success, ``error`` otherwise."""

    ok: bool
    data: DataT | None = None
    error: ErrorBody | None = None
    metadata: Metadata = Field(default_factory=Metadata)
