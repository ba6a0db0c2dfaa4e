"""The device fingerprint survives odd machines: it never hangs, floods or crashes."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from infrai_jupyter import credentials
from infrai_jupyter.credentials import device_fingerprint


@pytest.fixture
def machine_id_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Point the machine-id look-up at two files of this test's own."""
    first, fallback = tmp_path / "machine-id", tmp_path / "dbus-machine-id"
    fallback.write_text("0123456789abcdef0123456789abcdef\n")
    monkeypatch.setattr(credentials, "_MACHINE_ID_FILES", (str(first), str(fallback)))
    return first, fallback


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def link_to_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def huge_sparse(path: Path) -> None:
    with path.open("wb") as sparse:
        sparse.truncate(4 * 1024**3)


def not_ascii(path: Path) -> None:
    path.write_bytes(b"\xff\xfe machine")


def blank(path: Path) -> None:
    path.write_text("  \n")


@pytest.mark.parametrize("spoil", [make_fifo, link_to_zero, huge_sparse, not_ascii, blank])
def test_an_unusable_machine_id_falls_back_to_the_next_source(
    spoil: Callable[[Path], None], machine_id_files: tuple[Path, Path]
) -> None:
    first, _ = machine_id_files
    spoil(first)
    assert credentials._machine_id() == "0123456789abcdef0123456789abcdef"


def test_a_good_machine_id_is_used(machine_id_files: tuple[Path, Path]) -> None:
    first, _ = machine_id_files
    first.write_text("fedcba9876543210fedcba9876543210\n")
    assert credentials._machine_id() == "fedcba9876543210fedcba9876543210"


def test_a_container_without_user_entry_or_home_still_gets_a_stable_fingerprint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A random uid (OpenShift, ``docker run -u``): no USER, no HOME, no passwd entry."""
    import pwd

    def no_account(uid: int) -> pwd.struct_passwd:
        raise KeyError(uid)

    for name in ("USER", "LOGNAME", "LNAME", "USERNAME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_account)
    fingerprint = device_fingerprint()
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    assert device_fingerprint() == fingerprint
