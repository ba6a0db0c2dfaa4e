"""Execute a charging or creating request at most once per (scope, idempotency key).

Two transactions per request. The first reserves the key (or finds it reserved, done,
or used for another body); the second runs the operation and stores its response, so
the effect and the remembered answer commit together. Whoever holds the reservation
token executes; everyone else gets 409 while it runs and the stored answer afterwards.
A reservation older than ``abandoned_after_seconds`` is taken over (its holder died);
the holder's own commit then fails the token check, so even then nothing runs twice.

Keys are stored hashed, and stored responses are sealed with the raw key: the database
alone reveals neither the keys nor a replayable response (an activation's response
holds a project key, which must never be at rest in clear).

A money-moving request (top-up, upgrade) without ``Idempotency-Key`` gets a derived one:
a hash of the route and the canonical body, deduplicated for the shorter
``derived_key_window_seconds``. A client that retries a lost response without a key
therefore still cannot pay or charge twice, while a deliberate repeat minutes later is a
new request. Activation derives none: a second keyless activation from a device is a new
account (without trial), as the one-trial-per-device rule expects.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from infrai_jupyter.contract import ErrorCode

from .envelopes import ApiError
from .settings import SandboxSettings
from .store import IdempotencyRecord, Store, Transaction


@dataclass(frozen=True)
class StoredResponse:
    """A status and the envelope without metadata: what a replay sends again."""

    status_code: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class IdempotentRequest:
    """What identifies one logical request: its scope, its key and its body."""

    scope: str
    key: str
    request_hash: str
    derived: bool

    @property
    def key_hash(self) -> str:
        """How the key is stored: hashed, so the database never holds it in clear."""
        return hashlib.sha256(f"{self.scope}\0{self.key}".encode()).hexdigest()


def _canonical(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


def identify(
    scope: str, route_name: str, body: BaseModel, key: str | None, *, derive: bool = True
) -> IdempotentRequest | None:
    """Hash the parsed body (so whitespace or 25 vs 25.00 do not matter) and pick the key.

    ``None`` when there is no key and ``derive`` is false: the request is not deduplicated.
    """
    canonical = json.dumps(
        [route_name, body.model_dump()], sort_keys=True, separators=(",", ":"), default=_canonical
    )
    request_hash = hashlib.sha256(canonical.encode()).hexdigest()
    if key is not None:
        return IdempotentRequest(scope, key, request_hash, derived=False)
    if not derive:
        return None
    return IdempotentRequest(scope, f"derived:{request_hash}", request_hash, derived=True)


def _keystream_xor(data: bytes, secret: str) -> bytes:
    stream = hashlib.shake_256(secret.encode()).digest(len(data))
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def _seal(payload: dict[str, Any], secret: str) -> str:
    return base64.b64encode(_keystream_xor(json.dumps(payload).encode(), secret)).decode()


def _unseal(sealed: str, secret: str) -> dict[str, Any]:
    opened: dict[str, Any] = json.loads(_keystream_xor(base64.b64decode(sealed), secret))
    return opened


def _secret(request: IdempotentRequest, token: str) -> str:
    return f"{request.scope}\0{request.key}\0{token}"


def _simulate_slowness(settings: SandboxSettings) -> None:
    if settings.processing_delay_seconds > 0:
        time.sleep(settings.processing_delay_seconds)


def execute_once(
    store: Store,
    settings: SandboxSettings,
    request: IdempotentRequest | None,
    operation: Callable[[Transaction], StoredResponse],
    clock: Callable[[], float] = time.time,
) -> tuple[StoredResponse, bool]:
    """Run ``operation`` unless this request already ran; return (response, replayed)."""
    if request is None:
        _simulate_slowness(settings)
        with store.transaction() as tx:
            return operation(tx), False
    key_hash = request.key_hash
    window = (
        settings.derived_key_window_seconds
        if request.derived
        else settings.idempotency_window_seconds
    )
    with store.transaction() as tx:
        now = clock()
        record = tx.get_idempotency(request.scope, key_hash)
        if record is not None and now - record.created_at < window:
            if record.request_hash != request.request_hash:
                raise ApiError(
                    422,
                    ErrorCode.IDEMPOTENCY_KEY_REUSED,
                    "This Idempotency-Key was already used with a different request body; "
                    "use a new key for a new request.",
                )
            if record.state == "done" and record.sealed_response and record.status_code:
                payload = _unseal(record.sealed_response, _secret(request, record.token))
                return StoredResponse(record.status_code, payload), True
            if now - record.created_at < settings.abandoned_after_seconds:
                raise ApiError(
                    409,
                    ErrorCode.IDEMPOTENCY_KEY_IN_USE,
                    "A request with this Idempotency-Key is still being processed; "
                    "retry shortly to get its result.",
                    headers={"Retry-After": "1"},
                )
        token = secrets.token_hex(16)
        reservation = IdempotencyRecord(
            request.scope, key_hash, request.request_hash, token, "in_flight", now
        )
        tx.put_idempotency(reservation)

    _simulate_slowness(settings)
    try:
        with store.transaction() as tx:
            current = tx.get_idempotency(request.scope, key_hash)
            if current is None or current.token != token:
                raise ApiError(
                    409,
                    ErrorCode.IDEMPOTENCY_KEY_IN_USE,
                    "This request took too long and was superseded by a retry with the same "
                    "Idempotency-Key; fetch the result by retrying.",
                    headers={"Retry-After": "1"},
                )
            response = operation(tx)
            tx.put_idempotency(
                replace(
                    current,
                    state="done",
                    status_code=response.status_code,
                    sealed_response=_seal(response.payload, _secret(request, token)),
                )
            )
    except BaseException:
        # Not stored: the client may retry with the same key (e.g. after a 500).
        with store.transaction() as tx:
            tx.delete_idempotency(request.scope, key_hash, token)
        raise
    return response, False
