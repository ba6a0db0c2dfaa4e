"""Reading the credentials file: only a small regular file of the right shape is used.

Each test builds a real file system object (FIFO, device link, sparse file, odd
encodings) where ``~/.infrai/credentials`` should be, and expects a quick
``CredentialsError`` that names the file and says how to fix it without losing a key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from infrai_jupyter import InfraiClient
from infrai_jupyter.credentials import (
    MAX_FILE_BYTES,
    StoredCredentials,
    credentials_path,
    load_credentials,
    resolve_config,
)
from infrai_jupyter.errors import CredentialsError, InvalidKeyError

from .conftest import assert_masked, canary

KEY = canary("reading")


@pytest.fixture
def path(home: Path) -> Path:
    path = credentials_path()
    path.parent.mkdir(mode=0o700)
    return path


def write(path: Path, content: bytes | str) -> None:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    path.chmod(0o600)


def refused(path: Path) -> str:
    """The message of the error that reading ``path`` raises, checked for what it must say."""
    with pytest.raises(CredentialsError) as raised:
        load_credentials()
    message = str(raised.value)
    assert str(path) in message
    assert "INFRAI_API_KEY" in message and "infra.activate()" in message
    assert "only copy" in message  # never "just delete it": the key is the account
    assert_masked(message, KEY)
    return message


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(path: Path) -> None:
    os.mkfifo(path, 0o600)
    assert "it is a named pipe, not a file" in refused(path)


def test_a_link_to_a_named_pipe_is_refused(path: Path, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe", 0o600)
    path.symlink_to(tmp_path / "pipe")
    assert "named pipe" in refused(path)


def test_a_link_to_an_endless_device_is_refused(path: Path) -> None:
    path.symlink_to("/dev/zero")
    assert "it is a character device, not a file" in refused(path)


def test_a_directory_is_refused(path: Path) -> None:
    path.mkdir()
    assert "Cannot read" in refused(path) and "a directory" in refused(path)


def test_a_link_loop_is_refused(path: Path) -> None:
    path.symlink_to(path)
    assert "Cannot read" in refused(path)


def test_a_huge_sparse_file_is_refused_without_reading_it(path: Path) -> None:
    with path.open("wb") as sparse:
        sparse.truncate(8 * 1024**3)  # 8 GiB of nothing, instantly
    assert "too large" in refused(path)


def test_a_file_just_over_the_cap_is_refused(path: Path) -> None:
    write(path, json.dumps({"api_key": KEY, "padding": "x" * MAX_FILE_BYTES}))
    assert "too large" in refused(path)


def test_a_link_to_a_good_file_is_followed(path: Path, tmp_path: Path) -> None:
    """Dotfile managers link the file from elsewhere; that target is a regular file."""
    target = tmp_path / "kept-elsewhere"
    write(target, json.dumps({"api_key": KEY, "base_url": "http://x.test"}))
    path.symlink_to(target)
    assert load_credentials() == StoredCredentials(api_key=KEY, base_url="http://x.test")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (json.dumps({"api_key": KEY}).encode("utf-16"), "UTF-16 or binary"),
        (json.dumps({"api_key": KEY}).encode("utf-16-le"), "UTF-16 or binary"),
        (b'{"api_key": "\xff\xfe"}', "not UTF-8 text"),
        (b"{not json", "is not JSON"),
        (b"", "is not JSON"),
        (b"[" * 60_000, "is not JSON"),  # nested past the recursion limit, under the cap
        (b"[]", "holds a list, not a JSON object"),
        (b'"ifr_pk_proj_x"', "holds text, not a JSON object"),
        (b"null", "holds null, not a JSON object"),
        (b'{"base_url": "http://x.test"}', "has no api_key, where the project key belongs"),
        (b'{"api_key": null}', "has api_key = null"),
        (b'{"api_key": 123}', "has api_key = a number"),
        (b'{"api_key": true}', "has api_key = true"),
        (json.dumps({"api_key": {"key": KEY}}).encode(), "has api_key = an object"),
        (json.dumps({"api_key": [KEY]}).encode(), "has api_key = a list"),
        (json.dumps({"api_key": KEY, "base_url": 8080}).encode(), "has base_url = a number"),
        (json.dumps({"api_key": KEY, "base_url": None}).encode(), "has base_url = null"),
        (json.dumps({"api_key": KEY, "base_url": ""}).encode(), "has an empty base_url"),
        (json.dumps({"api_key": KEY, "region": ["auto"]}).encode(), "has region = a list"),
        (json.dumps({"api_key": KEY, "sandbox": "yes"}).encode(), "sandbox = text, not true"),
    ],
)
def test_a_malformed_file_says_what_is_wrong_and_how_to_fix_it(
    path: Path, content: bytes, says: str
) -> None:
    write(path, content)
    assert says in refused(path)


@pytest.mark.parametrize("api_key", ["None", "null", "", "ifr_pk_proj_\u2026Tail", "123"])
def test_a_stored_key_passes_the_key_check(path: Path, api_key: str) -> None:
    write(path, json.dumps({"api_key": api_key, "base_url": "http://x.test"}))
    with pytest.raises(InvalidKeyError, match=f"It came from {path}"):
        load_credentials()


def test_a_broken_file_never_becomes_a_bearer_none(path: Path) -> None:
    write(path, b'{"api_key": null, "base_url": "http://x.test"}')
    with pytest.raises(CredentialsError):
        InfraiClient()


def test_a_utf8_byte_order_mark_and_a_trailing_newline_in_the_key_are_fine(path: Path) -> None:
    write(path, b"\xef\xbb\xbf" + json.dumps({"api_key": KEY + "\n"}).encode())
    config = resolve_config(environ={})
    assert (config.api_key, config.base_url) == (KEY, "https://api.infrai.cc")


def test_the_environment_key_does_not_touch_a_broken_file(path: Path) -> None:
    os.mkfifo(path, 0o600)
    assert resolve_config(environ={"INFRAI_API_KEY": KEY}).api_key == KEY
