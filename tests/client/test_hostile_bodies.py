"""Attacks with bodies that parse but cannot be trusted: deep nesting, absurd numbers.

Each arrives from a real hostile server and must end as a ``MalformedResponseError``
that names the field, never as a ``RecursionError`` or a ``decimal`` exception.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter.contract import PROJECT_KEY_PREFIX
from infrai_jupyter.errors import InsufficientCreditError, MalformedResponseError

from .conftest import envelope, error_envelope, maybe_await, opened
from .hostile import Connection, HostileServer, Script, response_head

Hostile = Callable[[Script], HostileServer]
KEY = PROJECT_KEY_PREFIX + "hostilehostilehostile1234"


def answering(body: bytes, status: int = 200) -> Script:
    def script(connection: Connection) -> None:
        while connection.read_request():
            head = response_head(status, content_type="application/json", content_length=len(body))
            connection.send(head + body)

    return script


async def balance_from(kind: str, server: HostileServer) -> object:
    make = InfraiClient if kind == "sync" else AsyncInfraiClient
    async with opened(make(api_key=KEY, base_url=server.url, max_retries=0)) as client:
        return await maybe_await(client.account.balance())


def balance_body(balance: str, cost: str = "0") -> bytes:
    template = json.dumps(envelope({"balance_usd": "BALANCE", "currency": "USD"}, cost_usd="COST"))
    return template.replace('"BALANCE"', balance).replace('"COST"', cost).encode()


BODIES: dict[str, tuple[bytes, int, str]] = {
    "nesting past the interpreter's limit": (b"[" * 100_000 + b"]" * 100_000, 200, "nested"),
    "nesting past the client's limit": (
        b'{"ok":true,"data":{"balance_usd":1,"x":' + b"[" * 40 + b"]" * 40 + b"}}",
        200,
        "nested deeper than 32 levels",
    ),
    "a balance of 1e27": (balance_body("1e27"), 200, "'data.balance_usd' holds 1E+27"),
    "a balance of 10**27": (balance_body(str(10**27)), 200, "'data.balance_usd' holds"),
    "a cost of -1e400": (balance_body("2", "-1e400"), 200, "'metadata.cost_usd' holds"),
    "NaN": (balance_body("NaN"), 200, "NaN"),
    "Infinity": (balance_body("Infinity"), 200, "Infinity"),
    "-Infinity in a cost": (balance_body("2", "-Infinity"), 200, "-Infinity"),
    'a balance of "1e27" as text': (balance_body('"1e27"'), 200, "data.balance_usd"),
    'a balance of "sNaN" as text': (balance_body('"sNaN"'), 200, "data.balance_usd"),
    "a cost that is not a number": (balance_body("2", '"free"'), 200, "metadata.cost_usd"),
}


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(BODIES))
async def test_an_untrustworthy_body_is_a_malformed_response_naming_the_field(
    kind: str, name: str, hostile: Hostile
) -> None:
    body, status, says = BODIES[name]
    with pytest.raises(MalformedResponseError) as raised:
        await balance_from(kind, hostile(answering(body, status)))
    assert says in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None or raised.value.__suppress_context__


@pytest.mark.anyio
async def test_a_cost_below_a_cent_from_a_real_socket_stays_exact(
    kind: str, hostile: Hostile
) -> None:
    balance = await balance_from(kind, hostile(answering(balance_body("2.5", "0.0004"))))
    assert str(balance.metadata.cost_usd) == "0.0004"  # type: ignore[attr-defined]
    assert str(balance.balance_usd) == "2.50"  # type: ignore[attr-defined]


@pytest.mark.anyio
@pytest.mark.parametrize("missing", ["1e999", "-1e27", str(10**30)])
async def test_an_absurd_amount_in_an_errors_details_keeps_the_error_typed(
    kind: str, missing: str, hostile: Hostile
) -> None:
    """Details are free-form: the error stays a credit error, the absurd number is dropped."""
    template = json.dumps(error_envelope("INSUFFICIENT_CREDIT", "Top up.", missing_usd="@", n=1))
    body = template.replace('"@"', missing).encode()
    with pytest.raises(InsufficientCreditError) as raised:
        await balance_from(kind, hostile(answering(body, 402)))
    assert raised.value.details == {"missing_usd": None, "n": 1}
    str(raised.value), repr(raised.value)  # neither may raise
