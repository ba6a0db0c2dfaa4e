"""Writing the credentials file: private, whole, and never leaving a key lying around."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infrai_jupyter.credentials import (
    StoredCredentials,
    credentials_path,
    load_credentials,
    write_credentials,
)
from infrai_jupyter.errors import CredentialsError

from .conftest import canary

OLD = StoredCredentials(api_key=canary("old"), base_url="http://x.test")
NEW = StoredCredentials(api_key=canary("new"), base_url="http://x.test")

CRASHING_WRITER = textwrap.dedent(
    """
    import json, os, sys
    from infrai_jupyter.credentials import StoredCredentials, write_credentials

    os.fsync = lambda descriptor: os._exit(9)  # the power goes after the key is written
    write_credentials(StoredCredentials(**json.loads(sys.argv[1])))
    """
)


def crash_while_writing(credentials: StoredCredentials, home: Path) -> None:
    """Run a real process that dies mid-write, as a kernel killed by the OOM killer would."""
    document = json.dumps({"api_key": credentials.api_key, "base_url": credentials.base_url})
    finished = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, document],
        env={**os.environ, "HOME": str(home)},
        capture_output=True,
        timeout=60,
    )
    assert finished.returncode == 9, finished.stderr.decode()


def test_a_crash_mid_write_keeps_the_old_file_and_its_leftover_is_private_until_cleaned(
    home: Path,
) -> None:
    path = write_credentials(OLD)
    crash_while_writing(NEW, home)
    assert load_credentials() == OLD
    [leftover] = [name for name in os.listdir(path.parent) if name.endswith(".tmp")]
    leftover_path = path.parent / leftover
    assert NEW.api_key in leftover_path.read_text()  # why it must not linger
    assert stat.S_IMODE(leftover_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    write_credentials(NEW)
    assert sorted(os.listdir(path.parent)) == ["credentials", "credentials.lock"]
    assert load_credentials() == NEW


def test_only_leftovers_of_our_own_pattern_are_removed(home: Path) -> None:
    path = write_credentials(OLD)
    kept = ["credentials.bak", ".credentials.tmp", "notes.tmp", ".credentials.ABCDEFGH.tmp"]
    for name in kept:
        (path.parent / name).write_text("the user's own file")
    (path.parent / ".credentials.abcd1234.tmp").write_text("a leftover")
    write_credentials(NEW)
    assert sorted(os.listdir(path.parent)) == sorted(["credentials", "credentials.lock", *kept])


def test_a_link_in_place_of_the_file_is_replaced_not_written_through(
    home: Path, tmp_path: Path
) -> None:
    """Writing through a link would overwrite whatever it points at, another key included."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text(json.dumps({"api_key": OLD.api_key, "base_url": OLD.base_url}))
    path = credentials_path()
    path.parent.mkdir(mode=0o700)
    path.symlink_to(elsewhere)
    write_credentials(NEW)
    assert not path.is_symlink() and load_credentials() == NEW
    assert OLD.api_key in elsewhere.read_text()


@pytest.mark.parametrize("home_value", ["", "relative/home"])
def test_a_home_that_is_not_absolute_never_puts_keys_in_the_working_directory(
    home_value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some services start kernels with ``HOME=""``; ``~/.infrai`` must not become ``./.infrai``."""
    import pwd

    def no_account(uid: int) -> pwd.struct_passwd:
        raise KeyError(uid)

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)
    monkeypatch.setenv("HOME", home_value)
    monkeypatch.setattr(pwd, "getpwuid", no_account)
    assert load_credentials() is None
    with pytest.raises(CredentialsError, match="No home directory is known"):
        write_credentials(NEW)
    assert list(notebooks.iterdir()) == []


def test_without_home_the_accounts_home_is_used(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pwd

    account = pwd.getpwuid(os.getuid())
    moved = pwd.struct_passwd((*account[:5], str(home), *account[6:]))
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: moved)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", "")
    assert credentials_path() == home / ".infrai" / "credentials"


def test_a_link_in_place_of_the_lock_file_is_not_followed(home: Path, tmp_path: Path) -> None:
    """Opening the lock file through a link would create or hold a file anywhere."""
    path = write_credentials(OLD)
    (path.parent / "credentials.lock").unlink()
    (path.parent / "credentials.lock").symlink_to(tmp_path / "somewhere-else")
    with pytest.raises(CredentialsError, match="Cannot open the lock file"):
        write_credentials(NEW)
    assert not (tmp_path / "somewhere-else").exists()
    assert load_credentials() == OLD


def test_a_directory_that_cannot_be_created_is_a_credentials_error(home: Path) -> None:
    (home / ".infrai").write_text("a file where the directory belongs")
    with pytest.raises(CredentialsError, match="Cannot create"):
        write_credentials(NEW)
