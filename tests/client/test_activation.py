"""Activation: an anonymous fingerprint, and credentials saved privately and atomically."""

from __future__ import annotations

import getpass
import json
import os
import re
import stat
from pathlib import Path

import pytest

from infrai_jupyter import InfraiClient, credentials
from infrai_jupyter.credentials import (
    StoredCredentials,
    credentials_path,
    device_fingerprint,
    load_credentials,
    write_credentials,
)
from infrai_jupyter.errors import CredentialsError
from infrai_jupyter.sandbox import SandboxServer

from .conftest import Recorder, recording_client

OLD = StoredCredentials(api_key="ifr_pk_proj_oldoldoldoldoldold", base_url="http://old.test")
NEW = StoredCredentials(api_key="ifr_pk_proj_newnewnewnewnewnew", base_url="http://new.test")


def leftovers(directory: Path) -> list[str]:
    """Temporary files a write left behind (a lock file beside the credentials is fine)."""
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


def test_the_fingerprint_is_a_stable_salted_hash_of_no_raw_identifier(home: Path) -> None:
    fingerprint = device_fingerprint()
    assert fingerprint == device_fingerprint()
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    for raw in (credentials._machine_id(), getpass.getuser(), str(home)):
        assert raw and raw not in fingerprint


def test_the_fingerprint_differs_per_user_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    first = device_fingerprint()
    monkeypatch.setenv("HOME", str(home / "someone-else"))
    assert device_fingerprint() != first


def test_activation_sends_the_fingerprint_and_no_raw_identifier(
    sandbox: SandboxServer, home: Path
) -> None:
    recorder = Recorder()
    with recording_client(sandbox, recorder) as client:
        client.activate(write_credentials=False)
        client.activate(write_credentials=False, new_account=True)
    first, second = (json.loads(body) for body in recorder.bodies())
    assert first["device_fingerprint"] == second["device_fingerprint"] == device_fingerprint()
    for raw in (credentials._machine_id(), getpass.getuser(), str(home)):
        assert all(raw.encode() not in body for body in recorder.bodies())


def test_one_trial_per_device(sandbox: SandboxServer) -> None:
    with InfraiClient(base_url=sandbox.url) as client:
        assert client.activate(write_credentials=False).trial_granted
        again = client.activate(write_credentials=False, new_account=True)
    assert not again.trial_granted and again.trial_credit_usd == 0


def test_activation_writes_private_credentials_and_uses_the_new_key(
    sandbox: SandboxServer, home: Path
) -> None:
    recorder = Recorder()
    with recording_client(sandbox, recorder) as client:
        assert client.config.key_source == "none"
        result = client.activate(region="china")
        key = result.primary_api_key.get_secret_value()
        assert (client.config.api_key, client.config.key_source) == (key, "activation")
        client.account.balance()
    assert recorder.header("Authorization")[-1] == f"Bearer {key}"

    path = home / ".infrai" / "credentials"
    assert path == credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    account = {
        "api_key": key,
        "base_url": sandbox.url,
        "region": "china",
        "account_id": result.account_id,
        "project_id": result.project_id,
        "sandbox": True,
    }
    assert json.loads(path.read_text()) == {**account, "accounts": [{**account, "active": True}]}
    assert leftovers(path.parent) == []

    with InfraiClient() as returning:  # a new session: no argument, no environment
        assert returning.config.api_key == key
        assert returning.base_url == sandbox.url
        assert returning.account.balance().balance_usd == 2


def test_a_sandbox_activation_never_replaces_a_real_key(
    sandbox: SandboxServer, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    real = StoredCredentials(api_key="ifr_pk_proj_realrealrealreal1234", base_url="https://x.test")
    write_credentials(real)
    with InfraiClient(base_url=sandbox.url) as client:
        result = client.activate(write_credentials=True)
        assert client.config.key_source == "activation"  # the session still uses the new key
    assert load_credentials() == real
    assert "realrealreal" not in caplog.text
    assert result.primary_api_key.masked in caplog.text  # the user is told why, masked


def test_a_sandbox_activation_may_replace_another_sandbox_key(
    sandbox: SandboxServer, home: Path
) -> None:
    old = StoredCredentials(
        api_key="ifr_pk_proj_oldsandboxkey0001", base_url="http://x", sandbox=True
    )
    write_credentials(old)
    with InfraiClient(base_url=sandbox.url) as client:
        key = client.activate().primary_api_key.get_secret_value()
    stored = load_credentials()
    assert stored is not None and stored.api_key == key and stored.sandbox


def test_write_credentials_false_writes_nothing(sandbox: SandboxServer, home: Path) -> None:
    with InfraiClient(base_url=sandbox.url) as client:
        client.activate(write_credentials=False)
        assert client.config.key_source == "activation"
        client.account.balance()
    assert not (home / ".infrai").exists()


def test_a_loose_directory_is_made_private(home: Path) -> None:
    (home / ".infrai").mkdir(mode=0o755)
    os.chmod(home / ".infrai", 0o755)
    write_credentials(NEW)
    assert stat.S_IMODE((home / ".infrai").stat().st_mode) == 0o700


@pytest.mark.parametrize("crash_at", ["os.fsync", "os.replace"])
def test_a_crash_mid_write_keeps_the_old_file_and_leaves_no_temp_file(
    crash_at: str, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    path = write_credentials(OLD)
    before = path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched, pytest.raises(OSError, match="No space"):
        patched.setattr(os, crash_at.removeprefix("os."), crash)
        write_credentials(NEW)
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []
    assert load_credentials() == OLD


@pytest.mark.parametrize(
    "content", ["{not json", "[]", '{"base_url": "http://x.test"}', "", '"just a string"']
)
def test_a_corrupt_credentials_file_says_what_to_do(content: str, home: Path) -> None:
    path = home / ".infrai" / "credentials"
    path.parent.mkdir()
    path.write_text(content)
    with pytest.raises(CredentialsError) as raised:
        InfraiClient()
    message = str(raised.value)
    assert str(path) in message
    assert "infra.activate()" in message and "INFRAI_API_KEY" in message


def test_an_environment_key_does_not_need_the_corrupt_file(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = home / ".infrai" / "credentials"
    path.parent.mkdir()
    path.write_text("{not json")
    monkeypatch.setenv("INFRAI_API_KEY", "ifr_pk_proj_fromtheenvironment")
    assert InfraiClient().config.key_source == "INFRAI_API_KEY"


def test_an_unreadable_credentials_file_is_a_credentials_error(home: Path) -> None:
    path = home / ".infrai" / "credentials"
    path.mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(CredentialsError, match="Cannot read"):
        load_credentials()
