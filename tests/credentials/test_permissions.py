"""A credentials file or directory open to other users is made private, with a warning.

ssh refuses such a key and the AWS CLI warns; a key here is the account itself, so it
is tightened in place (the file 0600, ``~/.infrai`` 0700) and the user told, masked.
"""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from infrai_jupyter.contract import mask_key
from infrai_jupyter.credentials import (
    StoredCredentials,
    credentials_path,
    load_credentials,
    write_credentials,
)
from infrai_jupyter.errors import CredentialsError

from .conftest import assert_masked, canary

KEY = canary("modes")
STORED = StoredCredentials(api_key=KEY, base_url="http://x.test")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604, 0o660, 0o666, 0o777])
def test_a_file_open_to_others_is_made_private_when_read(
    loose: int, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_credentials(STORED)
    path.chmod(loose)
    caplog.clear()
    assert load_credentials() == STORED
    assert mode(path) == 0o600
    [warning] = warnings_in(caplog)
    assert str(path) in warning and f"mode {loose:03o}" in warning
    assert mask_key(KEY) in warning
    assert_masked(caplog.text, KEY)


def test_a_directory_open_to_others_is_made_private_when_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_credentials(STORED)
    path.parent.chmod(0o755)
    caplog.clear()
    assert load_credentials() == STORED
    assert mode(path.parent) == 0o700
    [warning] = warnings_in(caplog)
    assert str(path.parent) in warning and "mode 755" in warning


def test_a_loose_file_is_tightened_even_when_it_cannot_be_used(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = credentials_path()
    path.parent.mkdir(mode=0o700)
    path.write_text(json.dumps({"api_key": KEY, "base_url": 8080}))
    path.chmod(0o644)
    with pytest.raises(CredentialsError, match="base_url = a number"):
        load_credentials()
    assert mode(path) == 0o600
    [warning] = warnings_in(caplog)
    assert str(path) in warning
    assert_masked(caplog.text, KEY)


def test_a_private_file_is_read_without_a_word(caplog: pytest.LogCaptureFixture) -> None:
    path = write_credentials(STORED)
    caplog.clear()
    assert load_credentials() == STORED
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)
    assert warnings_in(caplog) == []


def test_writing_makes_a_loose_directory_private(home: Path) -> None:
    (home / ".infrai").mkdir(mode=0o777)
    (home / ".infrai").chmod(0o777)
    path = write_credentials(STORED)
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)


def test_a_directory_the_caller_chose_is_left_as_it_is(tmp_path: Path) -> None:
    """``path=`` may point into a shared folder; chmod-ing that folder is not ours to do."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    path = write_credentials(STORED, shared / "credentials")
    assert load_credentials(path) == STORED
    assert (mode(path), mode(shared)) == (0o600, 0o755)
