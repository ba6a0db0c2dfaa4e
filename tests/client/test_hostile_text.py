"""Attacks through error text: a server that echoes the key, escapes and floods in every field.

Whatever the server puts in an error envelope or a header, no string the raised error
holds (message, ``str()``, ``repr()``, code, details, request id, URL) shows the full
key, a terminal escape or a control character, or runs on without end.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from infrai_jupyter import AsyncInfraiClient, InfraiClient
from infrai_jupyter.contract import PROJECT_KEY_PREFIX
from infrai_jupyter.errors import APIStatusError, InfraiError, MalformedResponseError

from .conftest import assert_no_secret, maybe_await, opened
from .hostile import Connection, HostileServer, Script, response_head

Hostile = Callable[[Script], HostileServer]
KEY = PROJECT_KEY_PREFIX + "s3cr3tS3CR3Ts3cr3tS3CR3T" + "a1b2"
SPLIT_KEY = KEY[:16] + "\u200b" + KEY[16:]  # a zero-width space hides it from a plain regex
ESCAPES = "\x1b[2J\x1b]0;owned\x07\x1b[31m\r\x08\x00\u202e"


def echoing(status: int, body: bytes, content_type: str = "application/json") -> Script:
    def script(connection: Connection) -> None:
        while connection.read_request():
            head = response_head(status, content_type=content_type, content_length=len(body))
            connection.send(head + body)

    return script


def all_text(error: InfraiError) -> list[str]:
    texts = [str(error), repr(error), error.message, error.hint]
    for name in ("code", "request_id", "url", "method", "vendor", "content_type"):
        texts.append(str(getattr(error, name, "")))
    texts.append(json.dumps(getattr(error, "details", {}), default=str, ensure_ascii=False))
    return texts


def assert_clean(error: InfraiError) -> None:
    for text in all_text(error):
        assert_no_secret(text, KEY)
        assert not any(not char.isprintable() for char in text), repr(text)
        assert len(text) < 3000


async def raised_by(kind: str, server: HostileServer) -> InfraiError:
    make = InfraiClient if kind == "sync" else AsyncInfraiClient
    async with opened(make(api_key=KEY, base_url=server.url, max_retries=0)) as client:
        with pytest.raises(InfraiError) as raised:
            await maybe_await(client.account.balance())
    return raised.value


@pytest.mark.anyio
async def test_a_key_echoed_in_every_field_of_an_error_is_masked_everywhere(
    kind: str, hostile: Hostile
) -> None:
    echo = f"{ESCAPES}{SPLIT_KEY}{ESCAPES}"
    envelope = {
        "ok": False,
        "data": None,
        "error": {
            "code": f"BAD_{echo}",
            "message": f"Your key {echo} is wrong. " + "flood " * 5000,
            "details": {
                "key": echo,
                KEY: "the key as a name",
                "nested": [{"deeper": [echo]}] * 200,
            },
        },
        "metadata": {"request_id": echo, "vendor": echo},
    }
    body = json.dumps(envelope).encode()
    error = await raised_by(kind, hostile(echoing(401, body)))
    assert isinstance(error, APIStatusError)
    assert_clean(error)
    assert error.code.startswith("BAD_") and "ifr_pk_proj_…a1b2" in error.code
    assert error.details["key"].strip() == "ifr_pk_proj_…a1b2"
    assert len(error.details["nested"]) == 50
    assert "flood" in error.message and len(error.message) <= 500


@pytest.mark.anyio
async def test_a_key_echoed_in_a_content_type_is_masked_too(kind: str, hostile: Hostile) -> None:
    server = hostile(echoing(502, b"<html>bad gateway</html>", f"text/html; x={KEY}\x1b[31m"))
    error = await raised_by(kind, server)
    assert isinstance(error, MalformedResponseError)
    assert_clean(error)
    assert error.content_type == "text/html; x=ifr_pk_proj_…a1b2"
