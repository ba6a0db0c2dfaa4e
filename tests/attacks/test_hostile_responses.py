"""A hostile or broken server cannot hang the client, exhaust its memory, or crash it untyped.

Each attack is a real HTTP answer on loopback: a server trickling one byte every half
second, a gzip bomb, JSON nested a hundred thousand deep, money that no ``Decimal`` in
cents can hold, ``NaN``. Every one must end as a typed ``InfraiError`` (mostly
``MalformedResponseError``), promptly and with bounded memory.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
import zlib

import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter.errors import (
    APITimeoutError,
    InfraiError,
    InsufficientCreditError,
    MalformedResponseError,
)

from .conftest import (
    NONSENSE_AMOUNTS,
    HostileFactory,
    Reply,
    error_envelope,
    json_reply,
    raw_json_reply,
)

#: Generous: the timeout is 1 s; a fixed client gives up in about that.
TRICKLE_DEADLINE_S = 5.0
BOMB_SIZE = 200 * 1024 * 1024
#: Far below the bomb, far above any real envelope.
BOMB_PEAK_LIMIT = 32 * 1024 * 1024


def test_a_server_trickling_the_body_cannot_outlast_the_timeout(
    hostile: HostileFactory, canary: str
) -> None:
    # Each byte arrives well inside the 1 s read timeout; only a total deadline stops it.
    body = b'{"ok":true,"data":{"balance_usd":1}}'
    server = hostile(lambda request: Reply(200, body, trickle=0.5))
    started = time.monotonic()
    with (
        InfraiClient(api_key=canary, base_url=server.url, timeout=1, max_retries=0) as client,
        pytest.raises(APITimeoutError),
    ):
        client.account.balance()
    elapsed = time.monotonic() - started
    assert elapsed < TRICKLE_DEADLINE_S, f"a timeout=1 call lasted {elapsed:.1f} s"


def test_a_server_trickling_its_headers_cannot_outlast_the_timeout(
    hostile: HostileFactory, canary: str
) -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    server = hostile(lambda request: Reply(raw=raw, trickle=0.5))
    started = time.monotonic()
    with (
        InfraiClient(api_key=canary, base_url=server.url, timeout=1, max_retries=0) as client,
        pytest.raises(APITimeoutError),
    ):
        client.account.balance()
    elapsed = time.monotonic() - started
    assert elapsed < TRICKLE_DEADLINE_S, f"a timeout=1 call lasted {elapsed:.1f} s"


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 200 KB of gzip that inflates to 200 MB of zeros (built in memory, once)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(BOMB_SIZE // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


def test_a_gzip_bomb_is_refused_with_bounded_memory(
    hostile: HostileFactory, canary: str, gzip_bomb: bytes
) -> None:
    assert len(gzip_bomb) < BOMB_SIZE // 100
    headers = [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    server = hostile(lambda request: Reply(200, gzip_bomb, headers))
    with InfraiClient(api_key=canary, base_url=server.url, timeout=30, max_retries=0) as client:
        tracemalloc.start()
        try:
            with pytest.raises(MalformedResponseError):
                client.account.balance()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < BOMB_PEAK_LIMIT, f"peak memory {peak / 2**20:.0f} MiB for a gzip bomb"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 100_000, id="100000 open brackets"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="100000 nested lists"),
        pytest.param(
            b'{"ok":true,"data":{"balance_usd":1,"extra":'
            + b'{"a":' * 100_000
            + b"1"
            + b"}" * 100_000
            + b"}}",
            id="nested inside a valid envelope",
        ),
    ],
)
def test_deeply_nested_json_is_a_malformed_response(
    hostile: HostileFactory, canary: str, body: bytes
) -> None:
    server = hostile(lambda request: Reply(200, body))
    with (
        InfraiClient(api_key=canary, base_url=server.url, max_retries=0) as client,
        pytest.raises(MalformedResponseError),
    ):
        client.account.balance()


def _envelope_text(balance: str, cost: str = "0") -> bytes:
    data = f'{{"balance_usd":{balance},"currency":"USD"}}'
    meta = f'{{"cost_usd":{cost},"latency_ms":1,"vendor":"x","cache_hit":false,"request_id":"r"}}'
    return f'{{"ok":true,"data":{data},"error":null,"metadata":{meta}}}'.encode()


@pytest.mark.parametrize(
    ("balance", "cost"),
    [
        ("1e27", "0"),
        ("1E+40", "0"),
        ("1e999", "0"),
        ("NaN", "0"),
        ("Infinity", "0"),
        ("-Infinity", "0"),
        ('"NaN"', "0"),
        ('"sNaN"', "0"),
        ('"1e27"', "0"),
        ("1", "1e27"),
        ("1", "NaN"),
    ],
)
def test_money_no_cent_can_hold_is_a_malformed_response(
    hostile: HostileFactory, canary: str, balance: str, cost: str
) -> None:
    body = _envelope_text(balance, cost)
    server = hostile(lambda request: Reply(200, body))
    with (
        InfraiClient(api_key=canary, base_url=server.url, max_retries=0) as client,
        pytest.raises(MalformedResponseError),
    ):
        client.account.balance()


@pytest.mark.parametrize("missing", NONSENSE_AMOUNTS)
def test_a_402_with_nonsense_details_is_still_a_typed_credit_error(
    hostile: HostileFactory, canary: str, missing: str
) -> None:
    details = {"missing_usd": "@", "required_usd": "@", "balance_usd": "@"}
    envelope = error_envelope("INSUFFICIENT_CREDIT", "Not enough credit.", details)
    server = hostile(lambda request: raw_json_reply(402, envelope, {"@": missing}))
    client = InfraiClient(api_key=canary, base_url=server.url, max_retries=0)
    with client, pytest.raises(InsufficientCreditError) as raised:
        client.account.tier.upgrade(target_tier="pro")
    str(raised.value), repr(raised.value)  # neither may raise


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\xff\xfe{\x00}\x00", id="UTF-16 bytes"),
        pytest.param(b'{"ok":true,"data":{"balance_usd":"\xff"}}', id="invalid UTF-8"),
        pytest.param(b'{"ok":false,"error":{"code":1,"message":null}}', id="typed-wrong error"),
        pytest.param(b'{"ok":true,"data":{"balance_usd":1},"ok":"x"}', id="duplicate key"),
        pytest.param(b"\x00" * 1024, id="NULs"),
    ],
)
def test_other_broken_bodies_are_typed_errors(
    hostile: HostileFactory, canary: str, body: bytes
) -> None:
    server = hostile(lambda request: Reply(402 if b'"ok":false' in body else 200, body))
    with (
        InfraiClient(api_key=canary, base_url=server.url, max_retries=0) as client,
        pytest.raises(InfraiError),
    ):
        client.account.balance()


# ------------------------------------------------------------------ beyond the list


def test_a_redirect_never_carries_the_key_to_another_server(
    hostile: HostileFactory, canary: str
) -> None:
    elsewhere = hostile(lambda request: json_reply(200, {"ok": True, "data": {"balance_usd": 1}}))
    server = hostile(
        lambda request: Reply(
            307, b"", [("Location", elsewhere.url + request.path), ("Content-Type", "text/plain")]
        )
    )
    client = InfraiClient(api_key=canary, base_url=server.url, max_retries=0)
    with client, pytest.raises(InfraiError):
        client.account.balance()
    assert elsewhere.connections == 0, "the request (and its key) followed a redirect"


def test_a_megabyte_of_response_headers_is_a_typed_error(
    hostile: HostileFactory, canary: str
) -> None:
    headers = [("Content-Type", "application/json"), ("X-Padding", "p" * (1 << 20))]
    server = hostile(lambda request: Reply(200, b'{"ok":true,"data":{"balance_usd":1}}', headers))
    client = InfraiClient(api_key=canary, base_url=server.url, timeout=10, max_retries=0)
    with client, pytest.raises(InfraiError):
        client.account.balance()


def test_a_huge_plain_body_is_refused_with_bounded_memory(
    hostile: HostileFactory, canary: str
) -> None:
    body = b" " * (100 * 1024 * 1024)  # valid JSON whitespace, then nothing: 100 MB
    server = hostile(lambda request: Reply(200, body))
    client = InfraiClient(api_key=canary, base_url=server.url, timeout=30, max_retries=0)
    with client:
        tracemalloc.start()
        try:
            with pytest.raises(MalformedResponseError):
                client.account.balance()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < BOMB_PEAK_LIMIT, f"peak memory {peak / 2**20:.0f} MiB for a 100 MB body"


# ------------------------------------------------------------------ the async client too


def test_the_async_client_cannot_be_held_by_a_trickling_server_or_a_gzip_bomb(
    hostile: HostileFactory, canary: str, gzip_bomb: bytes
) -> None:
    trickle = hostile(lambda request: Reply(200, b'{"ok":true,"data":{}}', trickle=0.5))
    headers = [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    bomb = hostile(lambda request: Reply(200, gzip_bomb, headers))

    async def attack() -> tuple[BaseException, float, BaseException, int]:
        started = time.monotonic()
        async with AsyncInfraiClient(
            api_key=canary, base_url=trickle.url, timeout=1, max_retries=0
        ) as client:
            try:
                await client.account.balance()
            except InfraiError as error:
                slow_error = error
        elapsed = time.monotonic() - started
        async with AsyncInfraiClient(
            api_key=canary, base_url=bomb.url, timeout=30, max_retries=0
        ) as client:
            tracemalloc.start()
            try:
                await client.account.balance()
            except InfraiError as error:
                bomb_error = error
            finally:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
        return slow_error, elapsed, bomb_error, peak

    slow_error, elapsed, bomb_error, peak = asyncio.run(attack())
    assert isinstance(slow_error, APITimeoutError), repr(slow_error)
    assert elapsed < TRICKLE_DEADLINE_S, f"an async timeout=1 call lasted {elapsed:.1f} s"
    assert isinstance(bomb_error, MalformedResponseError), repr(bomb_error)
    assert peak < BOMB_PEAK_LIMIT, f"peak memory {peak / 2**20:.0f} MiB for a gzip bomb (async)"
