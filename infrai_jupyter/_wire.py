"""The infrai wire contract in pure functions: no I/O, so sync and async share it.

- :func:`canonical_json` writes request bodies as the contract asks: sorted keys,
  no spaces, UTF-8, one trailing newline.
- :func:`parse_envelope` turns any HTTP answer into ``(data, metadata)`` or the one
  typed error that explains it; money arrives as ``Decimal``, never as a float.
- :func:`retry_delay` is the retry policy's timing: how long to wait before another
  attempt (whether one may help is each error's ``retryable``).
"""

from __future__ import annotations

import email.utils
import json
import math
import random
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeGuard

from pydantic import ValidationError

from ._i18n import _
from .contract import ErrorBody, Metadata, is_absurd_number
from .errors import MalformedResponseError, status_error_class

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
"""The longest ``Retry-After`` honoured; a server asking for more is capped here."""

MAX_NESTING = 32
"""The deepest nesting of arrays and objects read from an answer (the envelope needs 5)."""


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number; pass an amount such as 25.00")
        as_float = float(value)
        if Decimal(repr(as_float)) != value:
            raise ValueError(f"{value} cannot be sent exactly; use at most two decimals")
        return as_float
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """Encode a request body canonically; ``None`` values are left out."""
    present = {name: value for name, value in payload.items() if value is not None}
    text = json.dumps(
        present,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )
    return (text + "\n").encode("utf-8")


def parse_envelope(
    status_code: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    method: str,
    url: str,
) -> tuple[dict[str, Any], Metadata]:
    """Return the envelope's ``data`` and ``metadata``, or raise the error it describes."""
    content_type = headers.get("content-type", "")

    def malformed(reason: str) -> MalformedResponseError:
        return MalformedResponseError(
            reason,
            status_code=status_code,
            content_type=content_type,
            method=method,
            url=url,
            retry_after=parse_retry_after(headers.get("retry-after")),
        )

    if not content.strip():
        raise malformed(_("the body is empty"))
    try:
        document = json.loads(content, parse_float=Decimal, parse_constant=_refuse_constant)
    except _NonFiniteNumber as exc:
        raise malformed(
            _("it holds {number}, which is not a number JSON allows").format(number=exc)
        ) from None
    except RecursionError:
        raise malformed(_("it is nested too deeply to read")) from None
    except (ValueError, UnicodeDecodeError):
        raise malformed(_("the body is not JSON (or was cut off)")) from None
    problem = _unreadable_value(document)
    if problem:
        raise malformed(problem)
    if not isinstance(document, dict) or not isinstance(document.get("ok"), bool):
        raise malformed(_("the JSON has no boolean 'ok' field"))
    try:
        metadata = Metadata.model_validate(document.get("metadata") or {})
    except ValidationError as exc:
        raise malformed(
            _("its 'metadata' does not match the contract ({fields})").format(
                fields=fields_of(exc, "metadata")
            )
        ) from None

    if document["ok"] and status_code < 400:
        data = document.get("data")
        if not isinstance(data, dict):
            raise malformed(_("'ok' is true but 'data' is not an object"))
        return data, metadata
    try:
        error = ErrorBody.model_validate(document.get("error"))
    except ValidationError:
        raise malformed(
            _("'ok' is {value} but 'error' is missing").format(value=str(document["ok"]).lower())
        ) from None
    if status_code < 400:
        raise malformed(_("an error envelope arrived with a success status"))
    error_class = status_error_class(status_code)
    raise error_class(
        error.message,
        status_code=status_code,
        code=error.code,
        details=error.details,
        request_id=metadata.request_id,
        method=method,
        url=url,
        retry_after=parse_retry_after(headers.get("retry-after")),
        vendor=metadata.vendor,
    )


class _NonFiniteNumber(ValueError):
    pass


def _refuse_constant(name: str) -> object:
    raise _NonFiniteNumber(name)


def _unreadable_value(document: object) -> str | None:
    """Why the client refuses a parsed document before reading it, or ``None``.

    Nesting is bounded (so nothing that walks a result later can recurse too deep)
    and so are the numbers of ``data`` and ``metadata``: none of the API's fields
    needs one beyond 2**63, and a bounded number rounds to cents without a ``decimal``
    error. An error's free-form ``details`` keep the error typed: the error itself
    drops such numbers (see :func:`~infrai_jupyter.contract.clean_server_data`).
    """
    pending: list[tuple[str, object, int]] = [("", document, 0)]
    while pending:
        path, value, depth = pending.pop()
        if depth > MAX_NESTING:
            message = _("it is nested deeper than {levels} levels (at '{path}')")
            return message.format(levels=MAX_NESTING, path=path)
        if isinstance(value, dict):
            pending += [(_join(path, str(name)), item, depth + 1) for name, item in value.items()]
        elif isinstance(value, list):
            pending += [(f"{path}[{index}]", item, depth + 1) for index, item in enumerate(value)]
        elif _is_number(value) and not path.startswith("error.") and is_absurd_number(value):
            shown = str(value) if len(str(value)) <= 24 else f"{str(value)[:20]}…"
            message = _("its '{path}' holds {number}, a number beyond any the API sends")
            return message.format(path=path, number=shown)
    return None


def _is_number(value: object) -> TypeGuard[int | Decimal]:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def fields_of(error: ValidationError, within: str) -> str:
    """The fields a validation error is about, never the values (they may hold a key)."""
    locations = {
        ".".join([within, *(str(part) for part in item["loc"])]) for item in error.errors()
    }
    return _("check: {fields}").format(fields=", ".join(sorted(locations)))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Read ``Retry-After`` as seconds or as an HTTP date; ``None`` if absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
        if not math.isfinite(seconds):  # "inf", "nan", "1e999": not a number of seconds
            return None
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
            if parsed.tzinfo is None:
                return None
            seconds = parsed.timestamp() - (time.time() if now is None else now)
        except (TypeError, ValueError, OverflowError):  # a date no calendar holds
            return None
    return max(0.0, seconds)


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based).

    The server's ``Retry-After`` wins (capped at :data:`MAX_RETRY_AFTER`); otherwise
    exponential backoff with jitter, so many clients do not retry in lockstep.
    """
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    backoff = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return backoff * (1 - 0.25 * random.random())
