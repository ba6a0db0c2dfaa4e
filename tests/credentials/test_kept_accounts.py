"""Every key ever received stays on disk until the user forgets it: the key is the account."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infrai_jupyter.contract import mask_key
from infrai_jupyter.credentials import (
    StoredCredentials,
    credentials_path,
    forget_account,
    list_accounts,
    load_credentials,
    resolve_config,
    save_activation,
    use_account,
    write_credentials,
)
from infrai_jupyter.errors import CredentialsError

from .conftest import assert_masked, canary

HOSTED = "https://api.infrai.cc"
FUNDED = StoredCredentials(canary("funded"), HOSTED, account_id="acct_funded")
SECOND = StoredCredentials(canary("second"), HOSTED, account_id="acct_second")
OTHER_SERVER = "https://infrai.example.org"
ELSEWHERE = StoredCredentials(canary("elsewhere"), OTHER_SERVER, account_id="acct_x")
SANDBOX = StoredCredentials(canary("sbox"), "http://127.0.0.1:1", account_id="acct_s", sandbox=True)


def kept() -> list[tuple[str, bool]]:
    return [(entry.credentials.account_id, entry.active) for entry in list_accounts()]


def test_a_second_activation_keeps_the_funded_account_on_disk() -> None:
    save_activation(FUNDED)
    save_activation(SECOND)
    assert kept() == [("acct_funded", False), ("acct_second", True)]
    assert load_credentials() == SECOND
    assert stat.S_IMODE(credentials_path().stat().st_mode) == 0o600


def test_an_old_single_key_file_is_read_as_one_kept_account_and_survives_the_next_save() -> None:
    path = credentials_path()
    path.parent.mkdir(mode=0o700)
    path.write_text(json.dumps({"api_key": FUNDED.api_key, "base_url": HOSTED}))
    path.chmod(0o600)
    assert [(e.credentials.api_key, e.active) for e in list_accounts()] == [(FUNDED.api_key, True)]
    write_credentials(SECOND)
    assert [e.credentials.api_key for e in list_accounts()] == [FUNDED.api_key, SECOND.api_key]


def test_keys_are_kept_per_server_and_a_client_for_a_server_gets_its_active_key() -> None:
    save_activation(FUNDED)
    save_activation(ELSEWHERE)
    save_activation(SANDBOX)
    assert kept() == [("acct_funded", True), ("acct_x", True), ("acct_s", True)]
    assert load_credentials() == ELSEWHERE  # the last real one is the default
    assert resolve_config(base_url=HOSTED + "/").api_key == FUNDED.api_key
    assert resolve_config(base_url=SANDBOX.base_url).api_key == SANDBOX.api_key
    assert resolve_config(base_url="http://127.0.0.1:9").api_key is None


def test_switching_is_one_call_by_id_position_or_the_key_s_last_characters() -> None:
    save_activation(FUNDED)
    save_activation(SECOND)
    assert use_account("acct_funded") == FUNDED
    assert kept() == [("acct_funded", True), ("acct_second", False)]
    assert resolve_config().api_key == FUNDED.api_key
    assert use_account("2") == SECOND
    assert use_account(FUNDED.api_key[-8:]) == FUNDED
    assert use_account(SECOND.api_key) == SECOND


def test_a_sandbox_account_switched_to_never_becomes_the_default_over_a_real_one() -> None:
    save_activation(FUNDED)
    save_activation(SANDBOX)
    use_account("acct_s")
    assert load_credentials() == FUNDED
    assert resolve_config(base_url=SANDBOX.base_url).api_key == SANDBOX.api_key


def test_an_unknown_or_ambiguous_name_is_refused_with_the_kept_accounts_masked() -> None:
    save_activation(FUNDED)
    save_activation(SECOND)
    with pytest.raises(CredentialsError, match="names no kept account") as unknown:
        use_account("acct_nobody")
    with pytest.raises(CredentialsError, match="matches several"):
        use_account("Tail")  # both canaries end so
    for key in (FUNDED.api_key, SECOND.api_key):
        assert_masked(str(unknown.value), key)
    assert mask_key(FUNDED.api_key) in str(unknown.value)


def test_only_forgetting_removes_a_key_and_the_server_s_other_account_takes_over() -> None:
    save_activation(FUNDED)
    save_activation(SECOND)
    assert forget_account("acct_second") == SECOND
    assert kept() == [("acct_funded", True)]
    assert load_credentials() == FUNDED
    assert SECOND.api_key not in credentials_path().read_text()
    forget_account("acct_funded")
    assert not credentials_path().exists()
    with pytest.raises(CredentialsError, match="No account is kept"):
        use_account("1")


def test_a_malformed_accounts_list_is_refused_without_showing_keys() -> None:
    path = credentials_path()
    path.parent.mkdir(mode=0o700)
    document = {"api_key": FUNDED.api_key, "base_url": HOSTED, "accounts": [FUNDED.api_key]}
    path.write_text(json.dumps(document))
    with pytest.raises(CredentialsError, match="lists text among its accounts") as refused:
        list_accounts()
    assert_masked(str(refused.value), FUNDED.api_key)


ADDER = textwrap.dedent(
    """
    import sys
    from infrai_jupyter.credentials import StoredCredentials, save_activation

    for number in range(int(sys.argv[2])):
        save_activation(StoredCredentials(f"{sys.argv[1]}{number:04d}", "https://api.infrai.cc"))
    """
)


def test_kernels_activating_at_once_lose_no_key(home: Path) -> None:
    """Four real processes add keys at the same time: every one of them is kept."""
    prefixes = [canary(name) for name in ("ka", "kb", "kc", "kd")]
    adders = [
        subprocess.Popen(
            [sys.executable, "-c", ADDER, prefix, "15"],
            env={"HOME": str(home), "PATH": ""},
            stderr=subprocess.PIPE,
        )
        for prefix in prefixes
    ]
    for adder in adders:
        _, errors = adder.communicate(timeout=300)
        assert adder.returncode == 0, errors[-2000:]
    keys = {entry.credentials.api_key for entry in list_accounts()}
    assert keys == {f"{prefix}{number:04d}" for prefix in prefixes for number in range(15)}
    assert sum(entry.active for entry in list_accounts()) == 1
