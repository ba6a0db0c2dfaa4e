"""Attacks on the client's limits, from a real hostile server on loopback.

A trickling server must not hold a call past its timeout, and a gzip bomb must not
fill the kernel's memory: each fault below is one a real attacker can send.
"""

from __future__ import annotations

import json
import multiprocessing
import time
import tracemalloc
import zlib
from collections.abc import Callable

import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter._body import MAX_RESPONSE_BYTES
from infrai_jupyter.contract import PROJECT_KEY_PREFIX
from infrai_jupyter.errors import APITimeoutError, MalformedResponseError
from infrai_jupyter.sandbox import SandboxServer

from .conftest import envelope, maybe_await, opened
from .hostile import Connection, HostileServer, Script, response_head

Hostile = Callable[[Script], HostileServer]
KEY = PROJECT_KEY_PREFIX + "hostilehostilehostile1234"
BALANCE = json.dumps(envelope({"balance_usd": "2.00", "currency": "USD"})).encode()


def client_for(kind: str, server: HostileServer, **options: object) -> object:
    make = InfraiClient if kind == "sync" else AsyncInfraiClient
    options.setdefault("max_retries", 0)
    return make(api_key=KEY, base_url=server.url, **options)  # type: ignore[arg-type]


async def balance_of(client: object) -> object:
    async with opened(client) as opened_client:
        return await maybe_await(opened_client.account.balance())


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """1 GiB of zeros in about 1 MB of gzip."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    return b"".join([compressor.compress(block) for _ in range(1024)] + [compressor.flush()])


# ------------------------------------------------------------------- trickles


def trickle_the_body(connection: Connection) -> None:
    connection.read_request()
    connection.send(response_head(200, content_type="application/json", content_length=10_000))
    connection.trickle(b" " * 10_000, 0.5)


def trickle_the_head(connection: Connection) -> None:
    connection.read_request()
    connection.trickle(response_head(200, content_type="application/json") * 100, 0.5)


@pytest.mark.anyio
@pytest.mark.parametrize("script", [trickle_the_body, trickle_the_head])
async def test_a_trickling_server_cannot_hold_a_call_past_its_timeout(
    kind: str, script: Script, hostile: Hostile
) -> None:
    """One byte every half second keeps every read alive; the attempt still ends at 1 s."""
    server = hostile(script)
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as raised:
        await balance_of(client_for(kind, server, timeout=1))
    assert time.monotonic() - started < 3
    assert "within 1 s" in str(raised.value) and server.url in str(raised.value)


@pytest.mark.anyio
async def test_each_retry_gets_its_own_timeout_and_the_waits_are_not_counted(
    kind: str, hostile: Hostile, sleeps: list[float]
) -> None:
    attempts: list[float] = []

    def trickle_and_count(connection: Connection) -> None:
        attempts.append(time.monotonic())
        trickle_the_body(connection)

    server = hostile(trickle_and_count)
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        await balance_of(client_for(kind, server, timeout=1, max_retries=1))
    assert len(attempts) == 2 and len(sleeps) == 1
    assert time.monotonic() - started < 5


# ------------------------------------------------------------------ big bodies


@pytest.mark.anyio
async def test_a_gzip_bomb_is_refused_without_unpacking_it(
    kind: str, hostile: Hostile, gzip_bomb: bytes
) -> None:
    def bomb(connection: Connection) -> None:
        connection.read_request()
        head = response_head(
            200,
            content_type="application/json",
            content_encoding="gzip",
            content_length=len(gzip_bomb),
        )
        connection.send(head + gzip_bomb)

    server = hostile(bomb)
    tracemalloc.start()
    try:
        with pytest.raises(MalformedResponseError) as raised:
            await balance_of(client_for(kind, server))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"larger than {MAX_RESPONSE_BYTES:,} bytes" in str(raised.value)
    assert peak < 8 * MAX_RESPONSE_BYTES  # the bomb holds 1024 of them


@pytest.mark.anyio
async def test_a_huge_plain_body_is_refused_at_the_cap(kind: str, hostile: Hostile) -> None:
    size = MAX_RESPONSE_BYTES + 1

    def huge(connection: Connection) -> None:
        connection.read_request()
        connection.send(response_head(200, content_type="application/json", content_length=size))
        connection.send(b" " * size)

    with pytest.raises(MalformedResponseError, match="max_response_bytes"):
        await balance_of(client_for(kind, hostile(huge)))


@pytest.mark.anyio
async def test_max_response_bytes_is_an_option_and_a_body_within_it_is_read(
    kind: str, hostile: Hostile
) -> None:
    def gzipped(connection: Connection) -> None:
        while connection.read_request():
            body = zlib.compress(BALANCE, wbits=16 + zlib.MAX_WBITS)
            head = response_head(
                200,
                content_type="application/json",
                content_encoding="gzip",
                content_length=len(body),
            )
            connection.send(head + body)

    server = hostile(gzipped)
    balance = await balance_of(client_for(kind, server, max_response_bytes=len(BALANCE)))
    assert balance.balance_usd == 2  # type: ignore[attr-defined]
    with pytest.raises(MalformedResponseError, match="larger than"):
        await balance_of(client_for(kind, server, max_response_bytes=len(BALANCE) - 1))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("encoding", "body", "says"),
    [
        ("br", b"\x8b\x02\x80{}\x03", "did not ask for"),
        ("gzip", b"\x1f\x8bnot really gzip", "corrupt"),
        ("gzip", zlib.compress(BALANCE, wbits=16 + zlib.MAX_WBITS)[:20], "ends early"),
    ],
)
async def test_a_body_the_client_cannot_decode_is_a_malformed_response(
    kind: str, encoding: str, body: bytes, says: str, hostile: Hostile
) -> None:
    def encoded(connection: Connection) -> None:
        connection.read_request()
        head = response_head(
            200,
            content_type="application/json",
            content_encoding=encoding,
            content_length=len(body),
        )
        connection.send(head + body)

    with pytest.raises(MalformedResponseError, match=says):
        await balance_of(client_for(kind, hostile(encoded)))


# ------------------------------------------------------------- attempt workers


def test_a_call_after_an_abandoned_attempt_never_waits_behind_it(
    hostile: Hostile, sandbox: SandboxServer
) -> None:
    """The worker still held by a trickling server is busy; the next call gets another."""
    stuck = client_for("sync", hostile(trickle_the_head), timeout=1)
    assert isinstance(stuck, InfraiClient)
    with stuck, pytest.raises(APITimeoutError):
        stuck.account.balance()
    with InfraiClient(base_url=sandbox.url, timeout=1, max_retries=0) as client:
        activated = client.activate(write_credentials=False, device_fingerprint="f" * 32)
        assert client.account.balance().balance_usd == activated.trial_credit_usd


def _balance_in_a_forked_child(url: str, key: str, answers: multiprocessing.Queue[str]) -> None:
    with InfraiClient(api_key=key, base_url=url, timeout=5, max_retries=0) as client:
        answers.put(str(client.account.balance().balance_usd))


def test_a_forked_child_can_call_after_its_parent_did(sandbox: SandboxServer) -> None:
    """A child forked after the parent's calls has none of the parent's worker threads."""
    with InfraiClient(base_url=sandbox.url, timeout=5, max_retries=0) as client:
        activated = client.activate(write_credentials=False, device_fingerprint="e" * 32)
        client.account.balance()  # the parent now has an idle worker thread
        key = activated.primary_api_key.get_secret_value()
    fork = multiprocessing.get_context("fork")
    answers: multiprocessing.Queue[str] = fork.Queue()
    child = fork.Process(target=_balance_in_a_forked_child, args=(sandbox.url, key, answers))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert answers.get(timeout=5) == "2.00"
