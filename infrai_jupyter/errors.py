"""Every error the package raises, typed so callers can catch exactly what they handle.

::

    InfraiError
     ├── APIStatusError              the server answered with an error envelope
     │    ├── InvalidRequestError         400, 422  fix the arguments
     │    ├── AuthenticationError         401       activate or set INFRAI_API_KEY
     │    ├── InsufficientCreditError     402       top up, then try again
     │    ├── PermissionDeniedError       403
     │    ├── NotFoundError               404
     │    ├── ConflictError               409
     │    ├── RateLimitError              429       wait ``retry_after`` seconds
     │    └── ServerError                 5xx
     ├── APIConnectionError          no answer at all (refused, reset, DNS)
     │    └── APITimeoutError             the server was too slow
     ├── MalformedResponseError      an answer that is not the infrai envelope
     ├── InvalidArgumentError        an argument refused before sending (also a ValueError)
     │    └── InvalidAmountError          an amount the API refuses (also an AmountError)
     ├── ConfigurationError          a setting that cannot work (a malformed base URL)
     ├── AccountExistsError          activate() again while an account is active
     ├── MissingKeyError             a call that needs a key, with none (nothing sent)
     └── CredentialsError            the local credentials file cannot be used
          └── InvalidKeyError             a project key that is not well formed

Messages name what failed, where, and what to do next. Every string an error holds
(message, code, details, request id, URL, content type) passes through
:func:`~infrai_jupyter.contract.clean_server_text` when the error is made: no full
project key, no terminal escape or control character, and a capped length, so a
hostile server cannot put a key or an escape into a traceback, a log or a card.

Language: the package's own sentences are Simplified Chinese when the session speaks
it (:mod:`~infrai_jupyter._i18n`); a server's words stay as the server sent them. A
message the client writes is said in the language of the moment it is raised; a
``hint`` in the language of the moment it is read (the class attributes are only
marked, with ``N_``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from ._i18n import N_, gettext
from .contract import (
    TEXT_LIMIT,
    TOKEN_LIMIT,
    AmountError,
    ErrorCode,
    clean_server_data,
    clean_server_text,
    redact_keys,
)
from .contract.money import AmountReason

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AccountExistsError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "CredentialsError",
    "InfraiError",
    "InsufficientCreditError",
    "InvalidAmountError",
    "InvalidArgumentError",
    "InvalidKeyError",
    "InvalidRequestError",
    "MalformedResponseError",
    "MissingKeyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
]


class InfraiError(Exception):
    """Root of every error raised by infrai_jupyter.

    ``hint`` says what to do next ("" when the message already does); ``retryable``
    whether the same call may succeed if sent again (the client's retries use it too).
    """

    _hint: ClassVar[str] = ""

    def __init__(self, message: str) -> None:
        # Room for a URL and a reason around the server's own words, capped on their own.
        self.message = clean_server_text(message, 2 * TEXT_LIMIT)
        super().__init__(self.message)

    @property
    def hint(self) -> str:
        """What to do next, in the current language ("" when the message already says)."""
        return gettext(self._hint) if self._hint else ""

    @property
    def retryable(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class APIStatusError(InfraiError):
    """The API answered with an error envelope: ``code``, ``message`` and ``details``.

    ``retry_after`` holds the server's ``Retry-After`` in seconds when it sent one;
    ``vendor`` the envelope's ``metadata.vendor`` (``"sandbox"`` for the local sandbox).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str,
        details: dict[str, Any] | None = None,
        request_id: str = "",
        method: str = "",
        url: str = "",
        retry_after: float | None = None,
        vendor: str = "",
    ) -> None:
        self.status_code = status_code
        self.code = clean_server_text(code, TOKEN_LIMIT)
        self.retry_after = retry_after
        self.vendor = clean_server_text(vendor, TOKEN_LIMIT)
        self.details: dict[str, Any] = clean_server_data(details or {})
        self.request_id = clean_server_text(request_id, TOKEN_LIMIT)
        self.method = clean_server_text(method, TOKEN_LIMIT)
        self.url = clean_server_text(url)
        super().__init__(clean_server_text(message))

    @property
    def retryable(self) -> bool:
        """408, 429 and 5xx; a 409 only while the same idempotency key is still running.

        Retrying ``IDEMPOTENCY_KEY_IN_USE`` with the same key returns the first attempt's
        stored result instead of running the call again.
        """
        if self.status_code == 409:
            return self.code == ErrorCode.IDEMPOTENCY_KEY_IN_USE.value
        return _retryable_status(self.status_code)

    def __str__(self) -> str:
        # Each detail is a whole phrase of its own, listed; the sentence is the catalogue's.
        details = [self.code, f"HTTP {self.status_code}"]
        if self.method:
            details.append(gettext("from {method} {url}").format(method=self.method, url=self.url))
        if self.request_id:
            details.append(gettext("request id {request_id}").format(request_id=self.request_id))
        line = gettext("{message} ({details}).").format(
            message=self.message, details=", ".join(details)
        )
        # The URL may carry a key too (a key pasted as an id): redact the whole line.
        return redact_keys(f"{line} {self.hint}" if self.hint else line)


class InvalidRequestError(APIStatusError):
    """The request was rejected as invalid (400 or 422); ``details`` names the fields."""

    _hint = N_("Check the arguments named above and call again.")


class AuthenticationError(APIStatusError):
    """The project key is missing, unknown or revoked (401)."""

    _hint = N_(
        "Run infra.activate() (or %infrai_activate) for a new key, "
        "or set INFRAI_API_KEY=ifr_pk_proj_... for an existing one."
    )


class InsufficientCreditError(APIStatusError):
    """The balance does not cover the call (402); ``details`` says how much is missing."""

    _hint = N_(
        "Top up with account.topup(amount_usd=...) (or %infrai_topup) "
        "and open the checkout link, then try again."
    )


class PermissionDeniedError(APIStatusError):
    """The key is valid but not allowed to do this (403)."""

    _hint = N_("This key may not do this: use a key of the project that owns what you asked for.")


class NotFoundError(APIStatusError):
    """The resource or route does not exist (404)."""

    _hint = N_(
        "Check the id (pass one the API returned, e.g. a top-up's topup_id) and the base URL."
    )


class ConflictError(APIStatusError):
    """The request conflicts with the current state (409), e.g. a key still in flight."""

    @property
    def hint(self) -> str:
        if self.retryable:
            return gettext(
                "A request with this idempotency key is still running: wait a moment, "
                "then send the same call with the same key to get its result."
            )
        return gettext(
            "The account changed meanwhile: read it again, then decide whether to retry."
        )


class RateLimitError(APIStatusError):
    """Too many requests (429); ``retry_after`` says how many seconds to wait, if known."""

    @property
    def hint(self) -> str:
        if self.retry_after is None:
            return gettext("Wait a moment and try again.")
        return gettext("Wait about {seconds} s (retry_after) and try again.").format(
            seconds=math.ceil(self.retry_after)
        )


class ServerError(APIStatusError):
    """The server failed (5xx); retrying later usually helps."""

    _hint = N_("This is a server-side problem; try again in a moment.")


class APIConnectionError(InfraiError):
    """No response arrived: the server is unreachable or the connection broke."""

    _hint = N_(
        "Check the base URL and your network; for offline use start the sandbox "
        "(%infrai_sandbox start, or python -m infrai_jupyter.sandbox)."
    )

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        self.method = clean_server_text(method, TOKEN_LIMIT)
        self.url = clean_server_text(url)
        super().__init__(message)

    @property
    def retryable(self) -> bool:
        return True


class APITimeoutError(APIConnectionError):
    """The server did not answer within the timeout."""

    _hint = N_("The server may be busy: try again, or raise the client's timeout.")


class MalformedResponseError(InfraiError):
    """The server answered something that is not the infrai envelope (proxy page, cut body).

    ``retry_after`` holds a proxy's ``Retry-After`` in seconds (a 503 page often sends one).
    ``reason`` says what is wrong with the answer (translated where the catalogue has it).
    """

    _hint = N_("Check the base URL, or try again if a proxy or network failed.")

    def __init__(
        self,
        reason: str,
        *,
        status_code: int,
        content_type: str,
        method: str = "",
        url: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.content_type = clean_server_text(content_type, TOKEN_LIMIT)
        self.retry_after = retry_after
        self.method = clean_server_text(method, TOKEN_LIMIT)
        self.url = clean_server_text(url)
        # A reason marked with N_ where it is written is translated here; others stay as given.
        self.reason = clean_server_text(gettext(reason) if reason else reason)
        kind = self.content_type or gettext("no content type")
        super().__init__(
            gettext(
                "The server at {url} answered HTTP {status} ({kind}) to {method}, which is "
                "not the infrai API envelope: {reason}."
            ).format(
                url=self.url, status=status_code, kind=kind, method=self.method, reason=self.reason
            )
        )

    @property
    def retryable(self) -> bool:
        """A proxy's 408, 429 or 5xx page may be gone on the next attempt; a 200 will not."""
        return _retryable_status(self.status_code)


class InvalidArgumentError(InfraiError, ValueError):
    """An argument no request could carry, refused before anything is sent; the message
    says which and what to pass instead."""


class InvalidAmountError(InvalidArgumentError, AmountError):
    """An amount the API would refuse, caught before anything is sent; the message says why.

    It is an :class:`~infrai_jupyter.contract.AmountError` (so a ``ValueError``) too: the
    magic, the form and the client refuse the same amounts with the same words, and it
    keeps the contract's ``reason`` and ``params``.
    """

    def __init__(
        self,
        message: str,
        reason: AmountReason = "not_a_number",
        params: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.params = dict(params or {})


class ConfigurationError(InfraiError, ValueError):
    """A setting that cannot work, such as a malformed base URL; the message names it."""


class AccountExistsError(InfraiError):
    """``activate()`` refused: this session already has an account for the server.

    An anonymous account's key is the account, so a silent second activation would
    leave the first (and its money) behind; ``new_account=True`` makes another on
    purpose. ``masked_key``, ``account_id`` ("" when unknown) and ``base_url`` name the
    account that stays in use; ``kept`` says whether its key is kept on this computer
    (false for an environment key, a sandbox's or one activated without writing), since
    only a kept key survives being replaced.
    """

    def __init__(
        self,
        message: str,
        *,
        masked_key: str,
        base_url: str,
        account_id: str = "",
        kept: bool = True,
    ) -> None:
        super().__init__(message)
        self.masked_key = masked_key
        self.base_url = base_url
        self.account_id = account_id
        self.kept = kept


class MissingKeyError(InfraiError):
    """A call that needs a project key was made with none; nothing was sent."""

    _hint = N_(
        "Get a key one of three ways: %infrai_activate (or infra.activate()) for a new "
        "anonymous account, %infrai_login to enter a key you have without showing it, or "
        "set INFRAI_API_KEY."
    )


class CredentialsError(InfraiError):
    """The credentials file exists but cannot be used; the message says how to fix it."""


class InvalidKeyError(CredentialsError, ValueError):
    """A project key that is not well formed; the message shows it masked only."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    402: InsufficientCreditError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidRequestError,
    429: RateLimitError,
}


def _retryable_status(status_code: int) -> bool:
    return status_code in (408, 429) or status_code >= 500


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The most specific error class for an HTTP status."""
    if status_code >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status_code, APIStatusError)
