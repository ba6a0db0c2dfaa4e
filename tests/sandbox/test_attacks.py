"""The sandbox against its own callers: each test is an attack over a real loopback socket."""

from __future__ import annotations

import json
import secrets
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from decimal import Decimal

import httpx
import pytest

from infrai_jupyter.contract import ErrorCode
from infrai_jupyter.sandbox import SandboxServer

from .conftest import (
    Account,
    SandboxFactory,
    activate,
    create_topup,
    data_of,
    envelope,
    error_of,
    forms_of,
)

EVIL = "evil.example"
WRONG_KEY = {"Authorization": "Bearer ifr_pk_proj_guessedguessedguessed0000"}
FAILURES_ALLOWED = 20  # SandboxSettings.auth_failures_per_minute


def _from_address(sandbox: SandboxServer, address: str) -> httpx.Client:
    """A client whose connections come from ``address`` (any 127.x is loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=sandbox.url, timeout=30, transport=transport)


@pytest.fixture
def elsewhere(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with _from_address(sandbox, "127.0.0.2") as client:
        yield client


def test_a_request_naming_another_host_is_refused_and_changes_nothing(
    client: httpx.Client, account: Account
) -> None:
    """DNS rebinding: evil.example re-pointed at 127.0.0.1 would make its page same-origin
    with the sandbox; its requests name evil.example, and get nothing."""
    foreign = {"Host": f"{EVIL}:{client.base_url.port}"}
    topup_id = create_topup(client, account, 5)
    refused = [
        client.post("/v1/activate", json={"device_fingerprint": "e" * 32}, headers=foreign),
        client.get("/v1/account/balance", headers={**account.headers, **foreign}),
        client.get(f"/checkout/{topup_id}", headers=foreign),
        client.get(account.activation["checkout_url"], headers=foreign),
    ]
    for response in refused:
        error_of(response, 421, ErrorCode.INVALID_REQUEST)
        assert "form_token" not in response.text and "ifr_pk_proj_" not in response.text
    assert client.get("/v1/account/balance", headers=account.headers).status_code == 200


def test_no_link_or_redirect_names_the_host_a_caller_forwards(
    client: httpx.Client, sandbox: SandboxServer
) -> None:
    lies = {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https", "Forwarded": f"host={EVIL}"}
    body = {"device_fingerprint": secrets.token_hex(16)}
    activation = client.post("/v1/activate", json=body, headers=lies)
    account = Account(data_of(activation)["primary_api_key"], data_of(activation)["account_id"], {})
    headers = {**account.headers, **lies}
    answers = [
        activation,
        client.post("/v1/account/topup", json={"amount_usd": 5}, headers=headers),
        client.get("/v1/account/topups", headers=headers),
        client.post("/v1/account/tier/upgrade", json={"target_tier": "team"}, headers=headers),
    ]
    topup_id = data_of(answers[1])["topup_id"]
    add_funds_form = forms_of(client.get(data_of(activation)["checkout_url"]))[0]
    answers.append(client.post(add_funds_form.action, data=add_funds_form.fields, headers=lies))
    pay_button = forms_of(client.get(f"/checkout/{topup_id}"))[0]
    answers.append(client.post(pay_button.action, data=pay_button.fields, headers=lies))
    for answer in answers:
        assert EVIL not in answer.text and EVIL not in answer.headers.get("Location", "")
    assert data_of(answers[1])["checkout_url"] == f"{sandbox.url}/checkout/{topup_id}"
    assert answers[-1].headers["Location"] == f"{sandbox.url}/checkout/{topup_id}"


def test_links_name_the_configured_public_url(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(public_url="https://sandbox.school.example/infrai")
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        account = activate(client)
        topup = client.post("/v1/account/topup", json={"amount_usd": 5}, headers=account.headers)
    assert account.activation["checkout_url"].startswith("https://sandbox.school.example/infrai/")
    assert data_of(topup)["checkout_url"].startswith(
        "https://sandbox.school.example/infrai/checkout/tu_"
    )


def test_guessing_keys_from_one_address_is_cut_off_with_a_truthful_retry_after(
    client: httpx.Client, account: Account, elsewhere: httpx.Client
) -> None:
    # Calls with a valid key never count.
    for _ in range(2 * FAILURES_ALLOWED):
        assert client.get("/v1/account/balance", headers=account.headers).status_code == 200
    guesses = [
        client.get("/v1/account/balance", headers=WRONG_KEY).status_code
        for _ in range(FAILURES_ALLOWED)
    ]
    assert set(guesses) == {401}
    # A forged X-Forwarded-For from an untrusted peer does not make a new client.
    spoofed = {**WRONG_KEY, "X-Forwarded-For": "203.0.113.9"}
    cut_off = client.get("/v1/account/balance", headers=spoofed)
    error = error_of(cut_off, 429, ErrorCode.RATE_LIMITED)
    assert 1 <= int(cut_off.headers["Retry-After"]) <= 60
    assert error["details"]["retry_after_seconds"] == int(cut_off.headers["Retry-After"])
    # Even a right key gets no answer from this address now: a 200 would be an oracle.
    assert client.get("/v1/account/balance", headers=account.headers).status_code == 429
    # Other addresses, and calls that need no key, are unaffected.
    assert elsewhere.get("/v1/account/balance", headers=account.headers).status_code == 200
    assert elsewhere.get("/v1/account/balance", headers=WRONG_KEY).status_code == 401
    assert client.post("/v1/activate", json={"device_fingerprint": "c" * 32}).status_code == 200


def test_a_trusted_proxy_speaks_for_its_clients(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(trusted_proxies=("127.0.0.1",))
    with httpx.Client(base_url=sandbox.url, timeout=30) as proxy:

        def guess(client_address: str) -> int:
            headers = {**WRONG_KEY, "X-Forwarded-For": client_address}
            return proxy.get("/v1/account/balance", headers=headers).status_code

        assert {guess("198.51.100.7") for _ in range(FAILURES_ALLOWED)} == {401}
        assert guess("198.51.100.7") == 429
        assert guess("198.51.100.8") == 401


@pytest.mark.parametrize(
    "raw_amount", [b"19.999999999999999", b"25.0000000000000001", b"1e-3", b"0.001"]
)
def test_amounts_are_read_exactly_not_through_binary_floats(
    client: httpx.Client, account: Account, raw_amount: bytes
) -> None:
    response = client.post(
        "/v1/account/topup",
        content=b'{"amount_usd": ' + raw_amount + b"}",
        headers={**account.headers, "Content-Type": "application/json"},
    )
    error = error_of(response, 422, ErrorCode.VALIDATION_ERROR)
    assert error["details"]["fields"][0]["field"] == "amount_usd"
    assert data_of(client.get("/v1/account/topups", headers=account.headers))["items"] == []


@pytest.mark.parametrize("raw_amount", [b"25", b"25.0", b"25.00", b'"25.00"', b"2.5e1"])
def test_every_exact_spelling_of_an_amount_still_works(
    client: httpx.Client, account: Account, raw_amount: bytes
) -> None:
    response = client.post(
        "/v1/account/topup",
        content=b'{"amount_usd": ' + raw_amount + b"}",
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert data_of(response)["amount_usd"] == Decimal("25")


def test_a_huge_body_is_refused_before_it_is_read(client: httpx.Client, account: Account) -> None:
    padding = "x" * (1024 * 1024)
    announced = client.post(
        "/v1/account/topup",
        content=json.dumps({"amount_usd": 5, "padding": padding}).encode(),
        headers={**account.headers, "Content-Type": "application/json"},
    )
    error_of(announced, 413, ErrorCode.INVALID_REQUEST)

    def chunks() -> Iterator[bytes]:
        yield b'{"device_fingerprint": "' + b"a" * 32 + b'", "device_kind": "'
        for _ in range(64):
            yield b"k" * 4096
        yield b'"}'

    streamed = client.post(
        "/v1/activate", content=chunks(), headers={"Content-Type": "application/json"}
    )
    error_of(streamed, 413, ErrorCode.INVALID_REQUEST)
    assert data_of(client.get("/v1/account/topups", headers=account.headers))["items"] == []


@pytest.mark.parametrize(
    "body", [b"[" * 50_000, b'{"amount_usd": ' + b"9" * 5000 + b"}", b'{"amount_usd": \xff}']
)
def test_pathological_json_is_a_400_not_a_crash(
    client: httpx.Client, account: Account, body: bytes
) -> None:
    response = client.post(
        "/v1/account/topup",
        content=body,
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert envelope(response)["error"]["code"] == ErrorCode.INVALID_REQUEST.value


@pytest.mark.parametrize("sandbox_engine", ["sqlite"])  # file modes: SQLite's alone
def test_the_database_is_readable_by_its_owner_only(
    client: httpx.Client, account: Account, sandbox: SandboxServer
) -> None:
    database = sandbox.settings.db_path
    # SQLite removes -wal and -shm when the last connection closes: hold one open.
    with closing(sqlite3.connect(database)) as reader:
        reader.execute("SELECT count(*) FROM accounts").fetchone()
        create_topup(client, account, 5)
        files = [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")]
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in files}
    assert modes == {path.name: 0o600 for path in files}


def test_one_address_cannot_create_accounts_without_end(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(activations_per_minute=3)
    with (
        httpx.Client(base_url=sandbox.url, timeout=30) as client,
        _from_address(sandbox, "127.0.0.2") as neighbour,
    ):
        accounts = [activate(client) for _ in range(3)]
        refused = client.post("/v1/activate", json={"device_fingerprint": "d" * 32})
        error_of(refused, 429, ErrorCode.RATE_LIMITED)
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert activate(neighbour).activation["trial_granted"] is True
        for account in accounts:  # the accounts made keep working
            assert client.get("/v1/account/balance", headers=account.headers).status_code == 200
