"""Kernels saving at the same moment: real processes, one credentials file.

Before writers were serialised, a sandbox activation racing a real one read "no real
key yet", then wrote last, and the real key (the account, with its money) was gone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infrai_jupyter.contract import mask_key
from infrai_jupyter.credentials import (
    StoredCredentials,
    credentials_path,
    list_accounts,
    load_credentials,
    write_credentials,
)

from .conftest import assert_masked, canary

SAVER = textwrap.dedent(
    """
    import sys
    from infrai_jupyter.credentials import StoredCredentials, save_activation, write_credentials

    key, kind, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.stdin.readline()  # every process starts at once
    print("go", flush=True)
    for _ in range(rounds):
        credentials = StoredCredentials(key, "http://x.test", sandbox=kind == "sandbox")
        if kind == "write":
            write_credentials(credentials)
        else:
            save_activation(credentials)
    """
)


def start_saver(home: Path, key: str, kind: str, rounds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SAVER, key, kind, str(rounds)],
        env={**os.environ, "HOME": str(home)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_together(savers: list[subprocess.Popen[str]]) -> str:
    """Release every saver at once, require each to finish cleanly; return their stderr."""
    for saver in savers:
        assert saver.stdin is not None
        saver.stdin.write("\n")
        saver.stdin.flush()
    logged = []
    for saver in savers:
        _, errors = saver.communicate(timeout=120)
        assert saver.returncode == 0, errors
        logged.append(errors)
    return "".join(logged)


def assert_only_the_file_is_left(path: Path) -> None:
    """The file and the writers' (empty) lock file: no temporary file holding a key."""
    assert sorted(os.listdir(path.parent)) == ["credentials", "credentials.lock"]
    assert (path.parent / "credentials.lock").read_bytes() == b""
    json.loads(path.read_text())


def test_many_writers_leave_one_whole_file_and_no_temporary_files(home: Path) -> None:
    keys = [canary(f"writer{number}") for number in range(6)]
    run_together([start_saver(home, key, "write", 25) for key in keys])
    path = credentials_path()
    assert_only_the_file_is_left(path)
    stored = load_credentials()
    assert stored is not None and stored.api_key in keys


def test_racing_sandbox_activations_never_replace_a_real_key(home: Path) -> None:
    real = [canary(f"real{number}") for number in range(2)]
    sandbox = [canary(f"sandbox{number}") for number in range(4)]
    for _ in range(6):
        write_credentials(StoredCredentials(canary("oldsandbox"), "http://x.test", sandbox=True))
        savers = [start_saver(home, key, "sandbox", 12) for key in sandbox]
        savers += [start_saver(home, key, "real", 1) for key in real]
        logged = run_together(savers)
        stored = load_credentials()
        assert stored is not None and stored.api_key in real, "a sandbox key won the race"
        assert_only_the_file_is_left(credentials_path())
        for key in real + sandbox:
            assert_masked(logged, key)


@contextmanager
def holding_the_writers_lock(path: Path) -> Iterator[None]:
    """Take the lock every writer takes: an exclusive flock on ``credentials.lock``."""
    import fcntl

    descriptor = os.open(path.with_name("credentials.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def wait_until_blocked_on_a_lock(pid: int) -> None:
    """Poll /proc/locks until ``pid`` waits for a lock (a waiter is listed with ``->``)."""
    for _ in range(6000):
        with open("/proc/locks") as locks:
            if any("->" in line and f" {pid} " in line for line in locks):
                return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never waited for the writers' lock")


def test_save_activation_reads_the_file_only_once_it_holds_the_lock(home: Path) -> None:
    """Another writer puts a real key in place while the sandbox saver waits for the lock.

    Had the saver read the file before taking the lock, it would have seen no file and
    written its sandbox key over the real one as soon as the lock came free.
    """
    path = credentials_path()
    path.parent.mkdir(mode=0o700)
    real = StoredCredentials(canary("realfirst"), "http://x.test")
    with holding_the_writers_lock(path):
        saver = start_saver(home, canary("sandboxwaits"), "sandbox", 1)
        assert saver.stdin is not None and saver.stdout is not None
        saver.stdin.write("\n")
        saver.stdin.flush()
        assert saver.stdout.readline() == "go\n"
        wait_until_blocked_on_a_lock(saver.pid)
        # The other writer, inside its own locked section: write the file directly.
        path.write_text(json.dumps({"api_key": real.api_key, "base_url": real.base_url}))
        path.chmod(0o600)
    _, errors = saver.communicate(timeout=120)
    assert saver.returncode == 0, errors
    assert load_credentials() == real
    assert "a sandbox key never replaces" in errors
    assert [entry.masked_key for entry in list_accounts()] == [
        mask_key(real.api_key),
        mask_key(canary("sandboxwaits")),
    ]
