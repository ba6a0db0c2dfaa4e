"""Activation: one trial per device fingerprint; keys are never at rest in clear."""

from __future__ import annotations

import secrets
from decimal import Decimal

import httpx

from infrai_jupyter.sandbox import SandboxServer

from .conftest import activate, balance, data_of, new_fingerprint, stored_bytes


def test_one_trial_per_device_fingerprint(client: httpx.Client) -> None:
    fingerprint = new_fingerprint()
    first = activate(client, fingerprint)
    second = activate(client, fingerprint)
    assert second.account_id != first.account_id and second.key != first.key
    assert first.activation["trial_granted"] is True
    assert second.activation["trial_granted"] is False
    assert second.activation["trial_credit_usd"] == 0
    assert "already received" in second.activation["notice"]
    assert balance(client, second) == Decimal("0.00")
    assert balance(client, first) == Decimal("2.00")
    assert activate(client).activation["trial_granted"] is True  # another device


def _client_key() -> str:
    """An Idempotency-Key as the client makes one: ik_ and 32 random hex digits."""
    return f"ik_{secrets.token_hex(16)}"


def _activate(client: httpx.Client, fingerprint: str, key: str) -> httpx.Response:
    body = {"device_fingerprint": fingerprint}
    return client.post("/v1/activate", json=body, headers={"Idempotency-Key": key})


def _works(client: httpx.Client, key: str) -> bool:
    headers = {"Authorization": f"Bearer {key}"}
    return client.get("/v1/account/balance", headers=headers).status_code == 200


def test_a_lost_response_retried_with_the_clients_key_gets_the_same_working_key(
    client: httpx.Client, sandbox: SandboxServer
) -> None:
    fingerprint, idempotency_key = new_fingerprint(), _client_key()
    first = data_of(_activate(client, fingerprint, idempotency_key))
    retry = _activate(client, fingerprint, idempotency_key)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert data_of(retry) == first
    assert _works(client, first["primary_api_key"])
    # Nothing stored holds the key or the Idempotency-Key that recreates it.
    stored = stored_bytes(sandbox)
    assert first["account_id"].encode() in stored
    assert first["primary_api_key"].removeprefix("ifr_pk_proj_").encode() not in stored
    assert idempotency_key.encode() not in stored


def test_a_replay_with_a_guessable_idempotency_key_never_hands_out_the_key(
    client: httpx.Client,
) -> None:
    fingerprint = new_fingerprint()  # known to anyone on the same machine
    victim = data_of(_activate(client, fingerprint, "activate"))
    replay = _activate(client, fingerprint, "activate")
    attacker = data_of(replay)
    assert attacker["account_id"] == victim["account_id"]
    assert victim["primary_api_key"] not in replay.text
    assert attacker["primary_api_key"] == f"ifr_pk_proj_…{victim['primary_api_key'][-4:]}"
    assert "shown again only to a caller" in attacker["notice"]
    assert _works(client, victim["primary_api_key"])


def test_the_fingerprint_without_the_secret_idempotency_key_gets_another_account(
    client: httpx.Client,
) -> None:
    fingerprint = new_fingerprint()
    victim = data_of(_activate(client, fingerprint, _client_key()))
    attacker = _activate(client, fingerprint, _client_key())
    assert "Idempotent-Replayed" not in attacker.headers
    stolen = data_of(attacker)
    assert stolen["account_id"] != victim["account_id"]
    assert stolen["primary_api_key"] != victim["primary_api_key"]
    assert stolen["trial_granted"] is False
