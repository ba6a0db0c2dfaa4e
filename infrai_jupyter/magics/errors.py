"""The one boundary where API errors become cards: what failed, and what to do next.

A failing magic shows an error card and then raises :class:`InfraiCellError`,
whose traceback is a single line: the cell still fails (so "Run All" stops), but
the user reads a card, not a stack of frames.
"""

from __future__ import annotations

from ..display import Card, CardField, CardFooter
from ..errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    CredentialsError,
    InfraiError,
    InsufficientCreditError,
    InvalidRequestError,
    MalformedResponseError,
    RateLimitError,
    ServerError,
)


class InfraiCellError(Exception):
    """Fails the cell with one line; the error card above it says the rest."""

    def _render_traceback_(self) -> list[str]:
        return [f"InfraiCellError: {self}"]


def error_card(error: InfraiError, base_url: str, *, origin: str, topup_command: str) -> Card:
    """Describe ``error`` as a card with its code, message, request id and next steps."""
    title, notes, commands = _advice(error, base_url, topup_command)
    fields: list[CardField] = []
    request_id = ""
    if isinstance(error, APIStatusError):
        fields.append(CardField("Code", f"{error.code} (HTTP {error.status_code})", "code"))
        request_id = error.request_id
    elif isinstance(error, MalformedResponseError):
        fields.append(CardField("Answer", f"HTTP {error.status_code} {error.content_type}", "code"))
    fields.insert(0, CardField("Message", _message(error)))
    return Card(
        kind="error",
        title=title,
        fields=tuple(fields),
        notes=tuple(notes),
        commands=tuple(commands),
        tone="error",
        footer=CardFooter(origin=origin, base_url=base_url, request_id=request_id),
    )


def one_line(error: InfraiError) -> str:
    """The text of the single traceback line under the card."""
    code = error.code if isinstance(error, APIStatusError) else type(error).__name__
    return f"{code}: {_message(error)}"


def _message(error: InfraiError) -> str:
    return error.message


def _advice(
    error: InfraiError, base_url: str, topup_command: str
) -> tuple[str, list[str], list[str]]:
    if isinstance(error, AuthenticationError):
        return (
            "Not signed in",
            [
                "This session has no valid project key. Activate for a new key with trial "
                "credit, or set INFRAI_API_KEY to an existing key and run %infrai."
            ],
            ["%infrai_activate", "%env INFRAI_API_KEY=ifr_pk_proj_..."],
        )
    if isinstance(error, InsufficientCreditError):
        return (
            "Not enough credit",
            ["Add funds, pay on the checkout page, then run this cell again."],
            [topup_command],
        )
    if isinstance(error, RateLimitError):
        wait = f" about {error.retry_after:.0f} s" if error.retry_after else " a moment"
        return ("Too many requests", [f"Wait{wait}, then run the cell again."], [])
    if isinstance(error, InvalidRequestError):
        return ("Invalid request", ["Fix the value named above and run the cell again."], [])
    if isinstance(error, ServerError):
        return ("The server failed", ["This is not your fault: try again in a moment."], [])
    if isinstance(error, APIStatusError):
        return (f"Request failed ({error.code})", [], [])
    if isinstance(error, APITimeoutError):
        return (
            "The server did not answer in time",
            [
                f"{base_url} is slow or busy. Try again, or raise the timeout: "
                "%config InfraiMagics.timeout = 60"
            ],
            [],
        )
    if isinstance(error, APIConnectionError):
        return (
            "Cannot reach the infrai API",
            [
                f"Nothing answered at {base_url}. Check the network and the base URL; "
                "to work offline, start the local sandbox."
            ],
            ["%infrai_sandbox start"],
        )
    if isinstance(error, MalformedResponseError):
        return (
            "That server is not the infrai API",
            [
                f"{base_url} answered something that is not the infrai API (a proxy or "
                "captive-portal page?). Check INFRAI_BASE_URL, or try again later."
            ],
            ["%infrai"],
        )
    if isinstance(error, CredentialsError):
        return (
            "The saved credentials cannot be used",
            [
                "Fix or delete the file named above, then activate again; or set "
                "INFRAI_API_KEY to an existing key, which is used instead of the file."
            ],
            ["%env INFRAI_API_KEY=ifr_pk_proj_...", "%infrai_activate"],
        )
    return ("infrai error", [], [])
