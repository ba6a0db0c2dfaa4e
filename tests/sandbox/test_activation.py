"""Activation: one trial per device fingerprint; keys are never at rest in clear."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx

from infrai_jupyter.sandbox import SandboxServer

from .conftest import activate, balance, data_of, new_fingerprint


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


def test_project_keys_are_stored_only_as_hashes(
    client: httpx.Client, sandbox: SandboxServer
) -> None:
    body, headers = {"device_fingerprint": new_fingerprint()}, {"Idempotency-Key": "a"}
    key = data_of(client.post("/v1/activate", json=body, headers=headers))["primary_api_key"]
    # The replay still hands the key back: the stored response is sealed, not discarded.
    replay = client.post("/v1/activate", json=body, headers=headers)
    assert data_of(replay)["primary_api_key"] == key
    secret = key.removeprefix("ifr_pk_proj_").encode()
    database: Path = sandbox.settings.db_path
    files = [path for path in database.parent.iterdir() if path.name.startswith(database.name)]
    assert database in files
    for path in files:
        assert secret not in path.read_bytes(), path
