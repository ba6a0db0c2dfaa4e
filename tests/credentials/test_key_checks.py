"""Every key is checked where it enters, so nothing malformed reaches an HTTP header."""

from __future__ import annotations

import logging
import secrets
import traceback
from pathlib import Path

import pytest

from infrai_jupyter import InfraiClient
from infrai_jupyter.contract import PROJECT_KEY_PREFIX, ApiKey
from infrai_jupyter.contract.keys import KeyFormatError, check_key
from infrai_jupyter.credentials import credentials_path, resolve_config
from infrai_jupyter.errors import CredentialsError, InvalidKeyError
from infrai_jupyter.sandbox import SandboxServer

from .conftest import assert_masked, canary

KEY = canary("check")
TAIL = KEY[-4:]


def test_keys_as_the_sandbox_issues_them_pass_unchanged() -> None:
    for _ in range(500):
        key = PROJECT_KEY_PREFIX + secrets.token_urlsafe(32)  # the sandbox's generator
        assert check_key(key) == key


@pytest.mark.parametrize(
    "key",
    ["ifr_pk_proj_wrongwrongwrong", "ifr_pk_proj_abcdefghijkl", "ifr_pk_proj_-_-_-_-_-_-_-"],
)
def test_well_formed_keys_pass_unchanged(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize("padding", ["\n", "\r\n", " ", "\t", "\u00a0", " \n\n"])
def test_surrounding_whitespace_is_dropped(padding: str) -> None:
    """A key read with ``open(f).read()`` or pasted with a space works as meant."""
    assert check_key(padding + KEY + padding) == KEY


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is empty"),
        ("  \n", "is empty"),
        (f"{PROJECT_KEY_PREFIX}\u2026{TAIL}", "looks like a masked key: paste the full key"),
        (f"{PROJECT_KEY_PREFIX}...{TAIL}", "looks like a masked key"),
        (f"{PROJECT_KEY_PREFIX}...", "looks like a masked key"),
        (f"{KEY[:20]}\n{KEY[20:]}", "contains whitespace at position 20"),
        (f"{KEY[:20]} {KEY[20:]}", "contains whitespace at position 20"),
        (f"{KEY[:20]}\x00{KEY[20:]}", "contains the character U+0000 at position 20"),
        (f"{KEY[:20]}\x1b[2J{KEY[20:]}", "contains the character U+001B at position 20"),
        (f"{KEY[:20]}\u0430{KEY[20:]}", "contains the character U+0430 at position 20"),
        (f"{KEY[:20]}\u200b{KEY[20:]}", "U+200B"),  # a zero-width space from a web page
        (f"Bearer {KEY}", "starts with 'Bearer ': give the key alone"),
        (f'"{KEY}"', "is wrapped in quotes: remove them"),
        (f"\u201c{KEY}\u201d", "is wrapped in quotes"),
        ("ifr_sk_live_" + KEY[12:], "does not start with ifr_pk_proj_"),
        (f"INFRAI_API_KEY={KEY}", "does not start with ifr_pk_proj_"),
        (PROJECT_KEY_PREFIX + "abc12", "is too short (5 characters after ifr_pk_proj_"),
        (KEY + "x" * 300, "is too long"),
        (f"{KEY[:20]}+/{KEY[20:]}", "contains '+': a key has only letters, digits"),
    ],
)
def test_a_malformed_key_is_refused_saying_why(text: str, says: str) -> None:
    with pytest.raises(KeyFormatError) as raised:
        check_key(text)
    assert says in str(raised.value)
    assert isinstance(raised.value, ValueError)
    for shown in (str(raised.value), repr(raised.value), raised.value.shown):
        assert_masked(shown, KEY)


def test_an_unprintable_tail_is_shown_escaped() -> None:
    with pytest.raises(KeyFormatError) as raised:
        check_key(KEY[:-2] + "\x1b]")
    assert "\x1b" not in str(raised.value) and "\\x1b]" in str(raised.value)


def test_an_activations_api_key_gives_its_secret_not_its_masked_form() -> None:
    assert check_key(ApiKey(KEY)) == KEY
    assert resolve_config(ApiKey(KEY), environ={}).api_key == KEY


def test_text_of_another_type_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="must be text, not int"):
        check_key(123)  # type: ignore[arg-type]


def test_an_argument_key_is_checked_and_named_as_the_source() -> None:
    assert resolve_config(KEY + "\n", environ={}).api_key == KEY
    with pytest.raises(InvalidKeyError) as raised:
        resolve_config(f"{KEY[:20]} {KEY[20:]}", environ={"INFRAI_API_KEY": canary("env")})
    message = str(raised.value)
    assert "It came from the api_key argument." in message
    assert "contains whitespace at position 20" in message
    assert_masked(message, KEY)


def test_an_environment_key_is_checked_and_named_as_the_source() -> None:
    environ = {"INFRAI_API_KEY": f"{KEY}\n"}
    assert resolve_config(environ=environ).api_key == KEY
    with pytest.raises(InvalidKeyError) as raised:
        resolve_config(environ={"INFRAI_API_KEY": f"{PROJECT_KEY_PREFIX}\u2026{TAIL}"})
    message = str(raised.value)
    assert "the INFRAI_API_KEY environment variable" in message
    assert "paste the full key" in message and "%infrai_login" in message
    assert "%env INFRAI_API_KEY=" not in message  # that advice saves the key in the notebook
    assert isinstance(raised.value, CredentialsError) and isinstance(raised.value, ValueError)


def test_a_stored_key_is_checked_and_the_file_named(home: Path) -> None:
    path = credentials_path()
    path.parent.mkdir(mode=0o700)
    path.write_text(f'{{"api_key": "{KEY[:20]}\\t{KEY[20:]}", "base_url": "http://x.test"}}')
    path.chmod(0o600)
    with pytest.raises(InvalidKeyError) as raised:
        resolve_config(environ={})
    message = str(raised.value)
    assert f"It came from {path}." in message and "Do not delete the file" in message
    assert_masked(message, KEY)


def test_a_key_read_with_its_newline_works_against_a_real_server(
    sandbox: SandboxServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with InfraiClient(base_url=sandbox.url) as first:
        key = first.activate(write_credentials=False).primary_api_key.get_secret_value()
    saved = tmp_path / "key.txt"
    saved.write_text(key + "\n")
    caplog.set_level(logging.DEBUG)
    with InfraiClient(api_key=saved.read_text(), base_url=sandbox.url) as client:
        assert client.config.api_key == key
        assert client.account.balance().balance_usd == 2
    assert_masked(caplog.text, key)


def test_a_broken_key_fails_before_any_request_and_logs_nothing(
    sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    broken = f"{KEY[:20]}\r\nX-Injected: 1\r\n{KEY[20:]}"
    with pytest.raises(InvalidKeyError) as raised:
        InfraiClient(api_key=broken, base_url=sandbox.url)
    assert "the api_key argument" in str(raised.value)
    assert_masked("".join(traceback.format_exception(raised.value)), KEY)
    assert caplog.records == []
