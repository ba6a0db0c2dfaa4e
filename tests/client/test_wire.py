"""What the client puts on the wire: canonical JSON bodies, Bearer auth, a User-Agent."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

import infrai_jupyter
from infrai_jupyter._wire import canonical_json
from infrai_jupyter.sandbox import SandboxServer

from .conftest import Recorder, recording_client, secret_key


def is_canonical(body: bytes) -> bool:
    """Sorted keys, no spaces, UTF-8, exactly one trailing newline."""
    text = body.decode("utf-8")
    document = json.loads(text)
    expected = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text == expected + "\n"


def test_canonical_json_sorts_keys_drops_spaces_and_ends_with_a_newline() -> None:
    body = canonical_json({"zeta": 1, "alpha": {"b": [1, 2], "a": "é"}, "absent": None})
    assert body == '{"alpha":{"a":"é","b":[1,2]},"zeta":1}\n'.encode()


def test_canonical_json_sends_decimals_exactly_and_refuses_inexact_ones() -> None:
    assert canonical_json({"amount_usd": Decimal("19.99")}) == b'{"amount_usd":19.99}\n'
    with pytest.raises(ValueError, match="finite"):
        canonical_json({"amount_usd": Decimal("NaN")})
    with pytest.raises(ValueError, match="two decimals"):
        canonical_json({"amount_usd": Decimal("0.1000000000000000000000001")})


def test_every_body_sent_is_canonical(sandbox: SandboxServer) -> None:
    recorder = Recorder()
    with recording_client(sandbox, recorder) as client:
        client.activate(write_credentials=False, region="western")
        client.account.topup(amount_usd=25.0, return_url="https://app.example.com/bücher?x=1")
        client.account.tier.upgrade(target_tier="free")
        client.account.balance()
    activate, topup, upgrade, balance = recorder.requests
    fingerprint = json.loads(activate.content)["device_fingerprint"]
    assert (
        activate.content
        == (
            f'{{"device_fingerprint":"{fingerprint}","device_kind":"cli","region":"western"}}\n'
        ).encode()
    )
    assert topup.content == (
        '{"amount_usd":25.0,"return_url":"https://app.example.com/bücher?x=1"}\n'.encode()
    )
    assert upgrade.content == b'{"target_tier":"free"}\n'
    assert balance.content == b""
    for request in (activate, topup, upgrade):
        assert is_canonical(request.content)
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["Content-Length"] == str(len(request.content))


def test_authenticated_calls_send_the_key_as_a_bearer_token(sandbox: SandboxServer) -> None:
    recorder = Recorder()
    with recording_client(sandbox, recorder) as client:
        client.activate(write_credentials=False)
        client.account.balance()
        client.account.keys.list()
        key = secret_key(client)
    assert recorder.header("Authorization") == [None, f"Bearer {key}", f"Bearer {key}"]


def test_every_request_names_the_sdk_and_its_version(sandbox: SandboxServer) -> None:
    recorder = Recorder()
    with recording_client(sandbox, recorder) as client:
        client.activate(write_credentials=False)
        client.account.balance()
    for agent in recorder.header("User-Agent"):
        assert agent is not None
        assert re.match(rf"infrai-jupyter/{re.escape(infrai_jupyter.__version__)}( |$)", agent)
    assert all(value == "application/json" for value in recorder.header("Accept"))
