"""Every route over real loopback HTTP: success shapes and the error envelope."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import psycopg
import pytest

from infrai_jupyter.contract import ROUTES, ErrorCode, Route
from infrai_jupyter.sandbox import SandboxServer

from .conftest import (
    Account,
    SandboxFactory,
    activate,
    create_topup,
    data_of,
    envelope,
    error_of,
)


def test_activation_returns_an_account_with_trial_credit(client: httpx.Client) -> None:
    data = data_of(
        client.post("/v1/activate", json={"device_fingerprint": "a" * 32, "device_kind": "lab"})
    )
    assert data["account_id"].startswith("acct_")
    assert data["project_id"].startswith("proj_")
    assert re.fullmatch(r"ifr_pk_proj_[A-Za-z0-9_\-]{20,}", data["primary_api_key"])
    assert data["trial_credit_usd"] == Decimal("2.00")
    assert data["trial_granted"] is True
    assert data["region"] == "western"
    assert client.get(data["checkout_url"]).status_code == 200


def test_activation_echoes_an_explicit_region(client: httpx.Client) -> None:
    assert activate(client, region="china").activation["region"] == "china"


def test_balance_shows_the_trial_credit(client: httpx.Client, account: Account) -> None:
    response = client.get("/v1/account/balance", headers=account.headers)
    assert data_of(response) == {"balance_usd": Decimal("2"), "currency": "USD"}


def test_topup_points_at_the_hosted_checkout(
    client: httpx.Client, account: Account, sandbox: SandboxServer
) -> None:
    response = client.post(
        "/v1/account/topup",
        json={"amount_usd": 25.0, "return_url": "https://app.example.com/billing/return"},
        headers=account.headers,
    )
    data = data_of(response)
    assert data["state"] == "requires_payment"
    assert data["amount_usd"] == Decimal("25")
    assert data["checkout_url"] == data["next_action_url"]
    assert data["checkout_url"] == f"{sandbox.url}/checkout/{data['topup_id']}"
    assert data["return_url"] == "https://app.example.com/billing/return"


def test_topups_are_listed_newest_first_and_retrievable(
    client: httpx.Client, account: Account
) -> None:
    first = create_topup(client, account, 5)
    second = create_topup(client, account, 6)
    listed = data_of(client.get("/v1/account/topups", headers=account.headers))["items"]
    assert [item["topup_id"] for item in listed] == [second, first]
    one = data_of(client.get(f"/v1/account/topups/{first}", headers=account.headers))
    assert (one["topup_id"], one["amount_usd"]) == (first, Decimal("5"))


def test_another_accounts_topup_is_not_found(client: httpx.Client, account: Account) -> None:
    other = activate(client)
    topup_id = create_topup(client, other, 5)
    response = client.get(f"/v1/account/topups/{topup_id}", headers=account.headers)
    error_of(response, 404, ErrorCode.NOT_FOUND)
    assert data_of(client.get("/v1/account/topups", headers=account.headers))["items"] == []


def test_keys_list_only_the_accounts_own_keys_masked(
    client: httpx.Client, account: Account
) -> None:
    other = activate(client)
    items = data_of(client.get("/v1/account/keys", headers=account.headers))["items"]
    assert len(items) == 1
    key = items[0]
    assert key["label"] == "primary"
    assert key["scopes"] == ["account:read", "account:write"]
    assert key["key_id"].startswith("key_") and key["created_at"]
    assert key["masked_key"] == f"ifr_pk_proj_…{account.key[-4:]}"
    other_items = data_of(client.get("/v1/account/keys", headers=other.headers))["items"]
    assert other_items[0]["key_id"] != key["key_id"]


def test_upgrade_returns_the_account_summary(client: httpx.Client, account: Account) -> None:
    data = data_of(
        client.post(
            "/v1/account/tier/upgrade", json={"target_tier": "free"}, headers=account.headers
        )
    )
    assert data == {
        "account_id": account.account_id,
        "kind": "anonymous",
        "status": "active",
        "tier": "free",
        "balance_usd": Decimal("2"),
    }


AUTHENTICATED = [route for route in ROUTES.values() if route.authenticated]


@pytest.mark.parametrize("route", AUTHENTICATED, ids=lambda route: route.path)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer ifr_pk_proj_notarealkey0000"}, {"Authorization": "Basic x"}],
    ids=["missing", "unknown", "not-bearer"],
)
def test_authenticated_routes_answer_401_with_guidance(
    client: httpx.Client, route: Route, headers: dict[str, str]
) -> None:
    path = route.path.format(topup_id="tu_x")
    body = {"amount_usd": 5} if "topup" in path else {"target_tier": "pro"}
    response = client.request(route.method, path, json=body, headers=headers)
    error = error_of(response, 401, ErrorCode.UNAUTHENTICATED)
    assert "INFRAI_API_KEY" in error["message"] and "activate" in error["message"]


def test_unknown_route_is_a_404_envelope(client: httpx.Client) -> None:
    error = error_of(client.get("/v2/nothing"), 404, ErrorCode.NOT_FOUND)
    assert "/v2/nothing" in error["message"]


def test_wrong_method_is_a_405_envelope_with_allow(client: httpx.Client) -> None:
    response = client.delete("/v1/account/balance")
    error_of(response, 405, ErrorCode.METHOD_NOT_ALLOWED)
    assert response.headers["Allow"] == "GET"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "device_fingerprint"),
        ({"device_fingerprint": "short"}, "device_fingerprint"),
        ({"device_fingerprint": "a" * 32, "region": "mars"}, "region"),
    ],
)
def test_validation_errors_name_the_field(
    client: httpx.Client, body: dict[str, str], field: str
) -> None:
    error = error_of(client.post("/v1/activate", json=body), 422, ErrorCode.VALIDATION_ERROR)
    assert field in error["message"]
    assert [item["field"] for item in error["details"]["fields"]] == [field]


def test_malformed_json_is_a_400_envelope(client: httpx.Client) -> None:
    response = client.post(
        "/v1/activate",
        content=b'{"device_fingerprint": ',
        headers={"Content-Type": "application/json"},
    )
    assert "JSON" in error_of(response, 400, ErrorCode.INVALID_REQUEST)["message"]


def test_missing_body_is_a_422_naming_the_body(client: httpx.Client) -> None:
    error = error_of(client.post("/v1/activate"), 422, ErrorCode.VALIDATION_ERROR)
    assert error["details"]["fields"][0]["field"] == "body"


@pytest.mark.parametrize("sandbox_engine", ["sqlite"])  # deletes the SQLite file
def test_uncaught_exception_is_a_500_envelope_without_internals(
    client: httpx.Client, account: Account, sandbox: SandboxServer
) -> None:
    for suffix in ("", "-wal", "-shm"):
        sandbox.settings.db_path.with_name(sandbox.settings.db_path.name + suffix).unlink(
            missing_ok=True
        )
    response = client.get("/v1/account/balance", headers=account.headers)
    error = error_of(response, 500, ErrorCode.INTERNAL_ERROR)
    assert "Traceback" not in response.text and "sqlite" not in response.text.lower()
    assert error["details"] == {}


def test_openapi_describes_every_contract_route(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    for name, route in ROUTES.items():
        operation = document["paths"][route.path][route.method.lower()]
        assert operation["operationId"] == name
        success = operation["responses"]["200"]["content"]["application/json"]["schema"]
        envelope = success["$ref"].rsplit("/", 1)[1]
        carried = envelope.removeprefix("Envelope_").removesuffix("_")
        assert envelope.startswith("Envelope_") and carried in document["components"]["schemas"]
        assert "500" in operation["responses"]
        if route.authenticated:
            assert "401" in operation["responses"]


def test_openapi_publishes_the_topup_rules_it_enforces(client: httpx.Client) -> None:
    """A schema-driven client (or fuzzer) learns whole cents and http(s) return URLs."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    fields = schemas["TopupRequest"]["properties"]
    assert fields["amount_usd"]["multipleOf"] == 0.01
    (url,) = [option for option in fields["return_url"]["anyOf"] if option["type"] == "string"]
    assert url["pattern"] == "^https?://"


def test_latency_is_measured(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(processing_delay_seconds=0.3)
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        response = client.post("/v1/activate", json={"device_fingerprint": "b" * 32})
        assert envelope(response)["metadata"]["latency_ms"] >= 300


@pytest.mark.parametrize("sandbox_engine", ["sqlite"])  # deletes the SQLite file
def test_a_database_deleted_under_a_running_server_is_not_silently_recreated(
    client: httpx.Client, account: Account, sandbox: SandboxServer
) -> None:
    database = sandbox.settings.db_path
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    response = client.post("/v1/activate", json={"device_fingerprint": "e" * 32})
    error_of(response, 500, ErrorCode.INTERNAL_ERROR)
    assert not database.exists()


@pytest.mark.parametrize("sandbox_engine", ["postgresql"])  # SQLite has no connection to lose
def test_a_lost_database_connection_is_a_retriable_503(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(instance_lease_seconds=3600)  # no heartbeat during the test
    assert sandbox.settings.database_url is not None
    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        account = activate(client)
        with psycopg.connect(sandbox.settings.database_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        headers = {**account.headers, "Idempotency-Key": "after-the-outage"}
        answers = [client.post("/v1/account/topup", json={"amount_usd": 3}, headers=headers)]
        while answers[-1].status_code == 503 and len(answers) < 20:
            answers.append(
                client.post("/v1/account/topup", json={"amount_usd": 3}, headers=headers)
            )
        lost = error_of(answers[0], 503, ErrorCode.INTERNAL_ERROR)
        assert "Retry" in lost["message"] and answers[0].headers["Retry-After"] == "1"
        assert "psycopg" not in answers[0].text and "terminat" not in answers[0].text
        created = data_of(answers[-1])
        listed = data_of(client.get("/v1/account/topups", headers=account.headers))["items"]
        assert [item["topup_id"] for item in listed] == [created["topup_id"]]
