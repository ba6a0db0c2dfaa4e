"""``ApiError``: how sandbox code says "answer with this error"; the app's handlers render it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infrai_jupyter.contract import ErrorBody, ErrorCode


class ApiError(Exception):
    """A failure the client should see as an error envelope with this status and code."""

    def __init__(
        self,
        status_code: int,
        code: ErrorCode,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})

    def payload(self) -> dict[str, Any]:
        """The envelope without metadata: what is stored for an idempotent replay."""
        error = ErrorBody(code=self.code.value, message=self.message, details=self.details)
        return {"ok": False, "data": None, "error": error.model_dump(mode="json")}
