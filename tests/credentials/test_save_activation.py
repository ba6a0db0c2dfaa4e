"""Saving an activation: a sandbox key never replaces a real one, and the user is told."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from infrai_jupyter.contract import mask_key
from infrai_jupyter.credentials import (
    StoredCredentials,
    credentials_path,
    load_credentials,
    save_activation,
    write_credentials,
)

from .conftest import assert_masked, canary

REAL = StoredCredentials(api_key=canary("real"), base_url="https://api.infrai.cc")
SANDBOX = StoredCredentials(api_key=canary("sbox"), base_url="http://127.0.0.1:1", sandbox=True)


def test_a_saved_activation_is_logged_with_the_key_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert save_activation(REAL) == credentials_path()
    assert load_credentials() == REAL
    [record] = caplog.records
    assert (record.name, record.levelno) == ("infrai_jupyter", logging.INFO)
    assert mask_key(REAL.api_key) in record.getMessage()
    assert str(credentials_path()) in record.getMessage()
    assert_masked(caplog.text, REAL.api_key)


def test_a_sandbox_key_is_not_saved_over_a_real_one_and_the_user_is_warned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_credentials(REAL)
    caplog.set_level(logging.DEBUG)
    assert save_activation(SANDBOX) is None
    assert load_credentials() == REAL
    [record] = caplog.records
    assert (record.name, record.levelno) == ("infrai_jupyter", logging.WARNING)
    assert mask_key(SANDBOX.api_key) in record.getMessage()
    for key in (REAL.api_key, SANDBOX.api_key):
        assert_masked(caplog.text, key)


def test_a_sandbox_key_replaces_another_sandbox_key_or_no_file() -> None:
    other = StoredCredentials(api_key=canary("old"), base_url="http://127.0.0.1:2", sandbox=True)
    assert save_activation(other) is not None
    assert save_activation(SANDBOX) is not None
    assert load_credentials() == SANDBOX


def test_a_real_key_replaces_a_sandbox_key() -> None:
    save_activation(SANDBOX)
    assert save_activation(REAL) is not None
    assert load_credentials() == REAL


def test_a_sandbox_key_leaves_an_unreadable_file_alone(home: Path) -> None:
    path = credentials_path()
    path.parent.mkdir(mode=0o700)
    path.write_bytes(b"\x00not json, but maybe a key someone can still recover")
    path.chmod(0o600)
    assert save_activation(SANDBOX) is None
    assert path.read_bytes().startswith(b"\x00not json")
