"""Execute a charging or creating request at most once per (scope, idempotency key).

Two transactions per request. The first reserves the key (or finds it reserved, done,
or used for another body); the second runs the operation and stores its response, so
the effect and the remembered answer commit together. Whoever holds the reservation
token executes; everyone else gets 409 while it runs and the stored answer afterwards.

Each reservation names its owner: the ``Instance`` (one per running app) whose request
holds it. An instance registers itself in the database when it starts, renews a
heartbeat every ``instance_lease_seconds / 3`` and unregisters when it stops. A
reservation is released at once when its owner is gone: unregistered, silent for longer
than the lease, or (on the same host) its process no longer exists; so a sandbox killed
mid-request blocks nobody after a restart, and nothing here assumes a single process.
While the owner lives the 409 says ``Retry-After: 1``: the holder is working, so a short
poll is the honest advice. A live holder stuck longer than ``abandoned_after_seconds``
is taken over too; its own commit then fails the token check, so nothing runs twice.

Keys are stored hashed; responses are stored plainly, so nothing secret may be in one:
the activation stores its response with the project key masked (see ``api``).

A stored response keeps the words it was first given in: a replay asking in another
language (``Accept-Language``) gets the stored answer as it was, since the replay's
promise is "the first result", and the stored payload no longer knows which message
and parameters made its text. Errors raised here (409, 422) are not stored, so they
are said in each request's own language.

A money-moving request (top-up, upgrade) without ``Idempotency-Key`` gets a derived one:
a hash of the route and the canonical body, deduplicated for the shorter
``derived_key_window_seconds``. A client that retries a lost response without a key
therefore still cannot pay or charge twice, while a deliberate repeat minutes later is a
new request. Activation derives none: a second keyless activation from a device is a new
account (without trial), as the one-trial-per-device rule expects.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import secrets
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from infrai_jupyter.contract import ErrorCode

from .context import Sandbox
from .envelopes import ApiError
from .i18n import N_
from .settings import SandboxSettings
from .store import IdempotencyRecord, Instance, Store, StoreError, Transaction

Payload = dict[str, Any]

_IN_FLIGHT_RETRY_AFTER_SECONDS = 1

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredResponse:
    """A status and the envelope without metadata: what a replay sends again."""

    status_code: int
    payload: Payload


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


@functools.cache
def _host_identity() -> str:
    """This machine since its last boot: process ids are only comparable within it."""
    boot_id = Path("/proc/sys/kernel/random/boot_id")
    boot = boot_id.read_text().strip() if boot_id.exists() else ""
    return f"{socket.gethostname()}/{boot}"


def new_instance(clock: Callable[[], float] = time.time) -> Instance:
    """The identity a starting app registers under."""
    return Instance(secrets.token_hex(8), _host_identity(), os.getpid(), clock())


def _process_exists(pid: int) -> bool:
    if sys.platform == "win32":
        return True  # os.kill would terminate it there; the heartbeat lease decides instead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def is_alive(instance: Instance | None, settings: SandboxSettings, now: float) -> bool:
    """Whether an instance may still be serving: registered, heartbeating, process present."""
    if instance is None or now - instance.heartbeat_at > settings.instance_lease_seconds:
        return False
    return instance.host != _host_identity() or _process_exists(instance.pid)


def reap_dead_instances(tx: Transaction, settings: SandboxSettings, now: float) -> None:
    """Release every reservation held by an instance that is gone (run at start-up)."""
    for instance in tx.list_instances():
        if not is_alive(instance, settings, now):
            tx.forget_instance(instance.instance_id)


def _simulate_slowness(settings: SandboxSettings) -> None:
    if settings.processing_delay_seconds > 0:
        time.sleep(settings.processing_delay_seconds)


def _in_flight(message: str) -> ApiError:
    retry_after = _IN_FLIGHT_RETRY_AFTER_SECONDS
    return ApiError(
        409,
        ErrorCode.IDEMPOTENCY_KEY_IN_USE,
        message,
        {"retry_after_seconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def _replay_or_wait(
    tx: Transaction,
    settings: SandboxSettings,
    request: IdempotentRequest,
    record: IdempotencyRecord | None,
    now: float,
) -> StoredResponse | None:
    """The stored answer, a 409 while a live holder works, or None: go ahead and run."""
    window = (
        settings.derived_key_window_seconds
        if request.derived
        else settings.idempotency_window_seconds
    )
    if record is None or now - record.created_at >= window:
        return None
    if record.request_hash != request.request_hash:
        raise ApiError(
            422,
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            N_(
                "This Idempotency-Key was already used with a different request body; "
                "use a new key for a new request."
            ),
        )
    if record.state == "done" and record.response is not None and record.status_code:
        return StoredResponse(record.status_code, json.loads(record.response))
    holder_alive = is_alive(tx.get_instance(record.owner), settings, now)
    if holder_alive and now - record.created_at < settings.abandoned_after_seconds:
        raise _in_flight(
            N_(
                "A request with this Idempotency-Key is still being processed; "
                "retry shortly to get its result."
            )
        )
    return None


def _release(store: Store, request: IdempotentRequest, token: str) -> None:
    """Drop a reservation whose request failed; if the database is gone too, the
    reservation is released when this instance stops, dies or is superseded."""
    try:
        with store.transaction() as tx:
            tx.delete_idempotency(request.scope, request.key_hash, token)
    except StoreError:
        logger.warning("could not release an idempotency reservation", exc_info=True)


def execute_once(
    sandbox: Sandbox,
    request: IdempotentRequest | None,
    operation: Callable[[Transaction], StoredResponse],
    *,
    redact: Callable[[Payload], Payload] | None = None,
    clock: Callable[[], float] = time.time,
) -> tuple[StoredResponse, bool]:
    """Run ``operation`` unless this request already ran; return (response, replayed).

    ``redact`` gives the form of a fresh response that may be stored and replayed; the
    caller of the first request still receives it whole.
    """
    store, settings, owner = sandbox.store, sandbox.settings, sandbox.instance.instance_id
    if request is None:
        _simulate_slowness(settings)
        with store.transaction() as tx:
            return operation(tx), False
    with store.transaction() as tx:
        record = tx.get_idempotency(request.scope, request.key_hash)
        # The clock is read once the key is ours: a request that queued behind another's
        # reservation must not see that reservation as made in its own future.
        now = clock()
        replay = _replay_or_wait(tx, settings, request, record, now)
        if replay is not None:
            return replay, True
        token = secrets.token_hex(16)
        reservation = IdempotencyRecord(
            request.scope, request.key_hash, request.request_hash, token, owner, "in_flight", now
        )
        tx.put_idempotency(reservation)

    _simulate_slowness(settings)
    try:
        with store.transaction() as tx:
            current = tx.get_idempotency(request.scope, request.key_hash)
            if current is None or current.token != token:
                raise _in_flight(
                    N_(
                        "This request took too long and was superseded by a retry with the "
                        "same Idempotency-Key; fetch the result by retrying."
                    )
                )
            response = operation(tx)
            stored = redact(response.payload) if redact else response.payload
            tx.put_idempotency(
                replace(
                    current,
                    state="done",
                    status_code=response.status_code,
                    response=json.dumps(stored),
                )
            )
    except BaseException:
        # Not stored: the client may retry with the same key (e.g. after a 500 or 503).
        _release(store, request, token)
        raise
    return response, False
