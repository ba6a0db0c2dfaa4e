"""The credentials file cannot hang, exhaust or fool the client, and writers never corrupt it.

Real files in a private ``HOME``: a FIFO, a directory, a symlink to ``/dev/zero``, a
huge sparse file, bytes that are not UTF-8, UTF-16 text, and JSON whose ``api_key`` is
not a string. Each is a ``CredentialsError`` naming the file, promptly, and no request
leaves (``Bearer None`` never goes out). The dangerous reads (FIFO, ``/dev/zero``, a
huge file) run in a child process with a memory cap and a deadline, so a regression
fails the test instead of hanging or swapping the machine. Every HTTP(S) proxy variable
points at the hostile server, so even a request meant for the hosted API is counted
there and never leaves the machine.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from infrai_jupyter import InfraiClient
from infrai_jupyter.credentials import StoredCredentials, load_credentials, save_activation
from infrai_jupyter.errors import CredentialsError, InfraiError

from .conftest import (
    HostileFactory,
    HostileServer,
    assert_no_canary,
    exception_surfaces,
    json_reply,
    log_texts,
    new_canary,
    ok_envelope,
    warning_texts,
)

#: A child process reading a hostile file must finish well inside this.
CHILD_DEADLINE_S = 20.0
#: Address space of that child: far above an import of the package, far below a bomb.
CHILD_MEMORY_LIMIT = 1 << 30


@pytest.fixture
def server(hostile: HostileFactory, monkeypatch: pytest.MonkeyPatch) -> HostileServer:
    """A hostile server that also acts as every proxy: a request for anywhere lands here."""
    server = hostile(lambda request: json_reply(200, ok_envelope({"balance_usd": 1})))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, server.url)
    return server


@pytest.fixture
def credentials(home: Path) -> Path:
    path = home / ".infrai" / "credentials"
    path.parent.mkdir(mode=0o700)
    return path


def write_document(path: Path, document: object) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")
    path.chmod(0o600)


def assert_refused(path: Path, server: HostileServer, canary: str | None = None) -> None:
    """Using the client fails with a CredentialsError naming ``path``; nothing is sent."""
    with pytest.raises(CredentialsError) as raised:  # either step may refuse
        client = InfraiClient(max_retries=0)
        with client:
            client.account.balance()
    assert str(path) in str(raised.value) or "~/.infrai/credentials" in str(raised.value)
    assert server.connections == 0, f"a request went out: {server.requests}"
    if canary:
        assert_no_canary(exception_surfaces(raised.value), canary)


# ------------------------------------------------------------------ in-process files


@pytest.mark.parametrize(
    "api_key",
    [None, 123, 1.5, True, {"key": "x"}, ["ifr_pk_proj_x"], "ifr_pk_proj_…abcd"],
    ids=repr,
)
def test_a_non_string_or_masked_api_key_in_the_file_is_refused_and_nothing_is_sent(
    credentials: Path, server: HostileServer, api_key: object
) -> None:
    write_document(credentials, {"api_key": api_key, "base_url": server.url})
    assert_refused(credentials, server)


@pytest.mark.parametrize(
    "document",
    [[], "ifr_pk_proj_x", 42, None, {"base_url": "http://127.0.0.1:9"}],
    ids=["a list", "a string", "a number", "null", "no api_key"],
)
def test_a_file_that_is_not_a_credentials_object_is_refused(
    credentials: Path, server: HostileServer, document: object
) -> None:
    write_document(credentials, document)
    assert_refused(credentials, server)


def test_a_key_with_a_newline_inside_in_the_file_is_refused_masked(
    credentials: Path, server: HostileServer, canary: str
) -> None:
    broken = canary[:20] + "\n" + canary[20:]
    write_document(credentials, {"api_key": broken, "base_url": server.url})
    assert_refused(credentials, server, canary)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\xff\xfe\xfa\xfb not utf-8 \x80\x81", id="not UTF-8"),
        pytest.param(
            json.dumps({"api_key": "ifr_pk_proj_" + "u" * 30}).encode("utf-16"), id="UTF-16"
        ),
        pytest.param(b"\x00" * 4096, id="NULs"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"api_key": "ifr_pk_proj_abcdefgh', id="cut off"),
    ],
)
def test_undecodable_content_is_a_credentials_error_naming_the_file(
    credentials: Path, server: HostileServer, content: bytes
) -> None:
    credentials.write_bytes(content)
    credentials.chmod(0o600)
    with pytest.raises(CredentialsError) as raised:
        load_credentials()
    assert str(credentials) in str(raised.value)
    assert_refused(credentials, server)


def test_a_directory_in_place_of_the_file_is_a_credentials_error(
    credentials: Path, server: HostileServer
) -> None:
    credentials.mkdir()
    with pytest.raises(CredentialsError) as raised:
        load_credentials()
    assert str(credentials) in str(raised.value)
    assert_refused(credentials, server)


def test_a_world_readable_file_is_tightened_to_0600_with_a_warning(
    credentials: Path,
    hostile: HostileFactory,
    canary: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = hostile(lambda request: json_reply(200, ok_envelope({"balance_usd": 1})))
    write_document(credentials, {"api_key": canary, "base_url": server.url})
    credentials.chmod(0o644)
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with InfraiClient(max_retries=0) as client:
            client.account.balance()
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    warned = warning_texts(caught) + log_texts(
        record for record in caplog.records if record.levelno >= logging.WARNING
    )
    assert warned, "no warning that the credentials file was readable by others"
    assert_no_canary(warned + log_texts(caplog.records), canary, where="the warning")


# ------------------------------------------------------------------ dangerous reads, in a child

CHILD = textwrap.dedent(
    """
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    outcome = {{}}
    try:
        from infrai_jupyter.credentials import StoredCredentials, load_credentials, save_activation
        from infrai_jupyter.errors import CredentialsError, InfraiError
        try:
            load_credentials()
            outcome["load"] = "loaded"
        except CredentialsError as error:
            outcome["load"] = "CredentialsError: " + str(error)
        from infrai_jupyter import InfraiClient
        try:
            with InfraiClient(max_retries=0) as client:
                client.account.balance()
            outcome["call"] = "sent"
        except CredentialsError as error:
            outcome["call"] = "CredentialsError: " + str(error)
    except BaseException as error:
        outcome["crash"] = type(error).__name__ + ": " + str(error)[:200]
    print(json.dumps(outcome), flush=True)
    """
)


def run_child(home: Path) -> dict[str, str]:
    """Load the credentials in a capped child process; its outcome, or a failure if it hangs."""
    env = {**os.environ, "HOME": str(home)}
    code = CHILD.format(limit=CHILD_MEMORY_LIMIT)
    try:
        finished = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=CHILD_DEADLINE_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading the credentials file hung for {CHILD_DEADLINE_S:.0f} s")
    lines = finished.stdout.strip().splitlines()
    assert lines, f"the child printed nothing; stderr: {finished.stderr[-2000:]}"
    outcome: dict[str, str] = json.loads(lines[-1])
    return outcome


def assert_child_refused(outcome: dict[str, str], path: Path, server: HostileServer) -> None:
    assert "crash" not in outcome, outcome
    assert outcome["load"].startswith("CredentialsError") and str(path) in outcome["load"], outcome
    assert outcome["call"].startswith("CredentialsError"), outcome
    assert server.connections == 0, "a request went out"


def test_a_fifo_in_place_of_the_file_fails_promptly(
    credentials: Path, server: HostileServer, home: Path
) -> None:
    os.mkfifo(credentials, 0o600)
    assert_child_refused(run_child(home), credentials, server)


def test_a_symlink_to_dev_zero_fails_promptly_with_bounded_memory(
    credentials: Path, server: HostileServer, home: Path
) -> None:
    credentials.symlink_to("/dev/zero")
    assert_child_refused(run_child(home), credentials, server)


def test_a_huge_file_fails_promptly_with_bounded_memory(
    credentials: Path, server: HostileServer, home: Path
) -> None:
    with credentials.open("wb") as handle:
        handle.write(b'{"api_key": "')
        handle.truncate(4 << 30)  # sparse: 4 GiB that cost no disk
    credentials.chmod(0o600)
    assert_child_refused(run_child(home), credentials, server)


# ------------------------------------------------------------------ concurrent writers

WRITER = textwrap.dedent(
    """
    import sys
    from infrai_jupyter.credentials import StoredCredentials, save_activation
    writer, rounds = sys.argv[1], int(sys.argv[2])
    for round in range(rounds):
        key = "ifr_pk_proj_" + writer + "x" * 24 + str(round).zfill(4)
        save_activation(StoredCredentials(api_key=key, base_url="http://127.0.0.1:9"))
    """
)

READER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from infrai_jupyter.credentials import load_credentials
    ready, stop = Path(sys.argv[1]), Path(sys.argv[2])
    problems, reads, deadline = [], 0, time.monotonic() + 60
    while not stop.exists() and time.monotonic() < deadline:
        try:
            if load_credentials() is None:
                problems.append("missing")
            reads += 1
        except Exception as error:
            problems.append(type(error).__name__ + ": " + str(error)[:200])
        ready.touch()
    print(reads, len(problems), problems[:3], flush=True)
    """
)


def test_concurrent_writers_never_lose_or_corrupt_the_file(
    credentials: Path, home: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "HOME": str(home)}
    first = "ifr_pk_proj_" + "first" + "x" * 30
    save_activation(StoredCredentials(api_key=first, base_url="http://127.0.0.1:9"))
    ready, stop = tmp_path / "reader-ready", tmp_path / "writers-done"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(ready), str(stop)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + CHILD_DEADLINE_S
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)  # the reader is reading before any writer starts
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, "25"], env=env, stderr=subprocess.PIPE, text=True
        )
        for name in ("alpha", "bravo", "charlie", "delta")
    ]
    for writer in writers:
        _, errors = writer.communicate(timeout=60)
        assert writer.returncode == 0, errors[-2000:]
    stop.touch()
    output, _ = reader.communicate(timeout=60)
    reads, problems, examples = output.split(" ", 2)
    assert int(reads) > 0
    assert int(problems) == 0, f"a reader saw a missing or broken file: {examples}"

    stored = load_credentials()
    assert stored is not None
    assert stored.api_key.startswith("ifr_pk_proj_") and stored.api_key.endswith("0024")
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    leftovers = sorted(p.name for p in credentials.parent.iterdir() if p.name != "credentials")
    assert [name for name in leftovers if not name.endswith(".lock")] == [], leftovers


def test_an_environment_key_never_goes_to_the_host_stored_in_the_file(
    credentials: Path,
    server: HostileServer,
    hostile: HostileFactory,
    canary: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored_host = hostile(lambda request: json_reply(200, ok_envelope({"balance_usd": 1})))
    write_document(credentials, {"api_key": new_canary(), "base_url": stored_host.url})
    monkeypatch.setenv("INFRAI_API_KEY", canary)
    with InfraiClient(max_retries=0) as client:
        assert stored_host.url not in client.base_url
        with contextlib.suppress(InfraiError):
            client.account.balance()  # to the hosted API, i.e. to the proxy (``server``)
    assert stored_host.connections == 0, "INFRAI_API_KEY went to the file's stored host"


def test_an_activation_on_another_server_never_costs_the_saved_hosted_key(
    credentials: Path,
    hostile: HostileFactory,
    canary: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server decides what it claims to be: this one answers as if it were not a sandbox.
    hosted_key = new_canary()
    write_document(credentials, {"api_key": hosted_key, "base_url": "https://api.infrai.cc"})
    data = {
        "account_id": "acct_1",
        "project_id": "proj_1",
        "primary_api_key": canary,
        "trial_credit_usd": 2,
    }
    server = hostile(lambda request: json_reply(200, ok_envelope(data, vendor="infrai")))
    monkeypatch.setenv("INFRAI_BASE_URL", server.url)
    with InfraiClient(max_retries=0) as client:
        client.activate()  # write_credentials=True, the default
    stored = json.loads(credentials.read_text(encoding="utf-8"))
    assert stored["api_key"] == hosted_key, "an activation elsewhere replaced the hosted key"
