"""``%infrai_login`` where no widget can show (getpass) and its password form, in process.

The kernel test (``test_accounts``) drives the form in a real kernel; these cover what a
real kernel cannot type: a hidden terminal prompt, and a key the server refuses.
"""

from __future__ import annotations

import getpass
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from infrai_jupyter import InfraiClient, _default
from infrai_jupyter.credentials import list_accounts
from infrai_jupyter.magics.errors import InfraiCellError
from infrai_jupyter.sandbox import SandboxServer
from infrai_jupyter.widgets.login import LoginForm

WRONG = "ifr_pk_proj_wrongwrongwrongwrongSECRETwrong"


@pytest.fixture
def shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer
) -> Iterator[InteractiveShell]:
    """A terminal IPython (no kernel, so no widgets) pointed at the sandbox."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("INFRAI_API_KEY", raising=False)
    monkeypatch.setenv("INFRAI_BASE_URL", sandbox.url)
    _default.reset()
    shell = InteractiveShell.instance(config=Config({"HistoryManager": {"enabled": False}}))
    shell.extension_manager.load_extension("infrai_jupyter")
    yield shell
    shell.extension_manager.unload_extension("infrai_jupyter")
    _default.reset()


@pytest.fixture
def good_key(sandbox: SandboxServer) -> str:
    with InfraiClient(base_url=sandbox.url) as other:
        other.activate(write_credentials=False, device_fingerprint="login-test-device-01")
        key = other.config.api_key
    assert key is not None
    return key


def test_a_terminal_asks_without_echo_checks_the_key_and_saves_only_when_asked(
    shell: InteractiveShell,
    good_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    typed = iter([WRONG, good_key])
    prompts: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt: prompts.append(prompt) or next(typed))

    with pytest.raises(InfraiCellError):
        shell.run_line_magic("infrai_login", "")
    assert _default.default_client().config.api_key is None  # a refused key is not adopted
    said = shell.run_line_magic("infrai_login", "--save")
    assert said.startswith("Signed in with ifr_pk_proj_…") and "saved" in said
    assert _default.default_client().config.api_key == good_key
    assert [entry.credentials.api_key for entry in list_accounts()] == [good_key]
    assert prompts == ["infrai project key (hidden): "] * 2
    printed = capsys.readouterr()
    for key in (WRONG, good_key):
        assert key[12:-4] not in printed.out + printed.err + said


def test_the_form_clears_the_field_and_keeps_the_session_s_key_when_refused(
    shell: InteractiveShell, good_key: str
) -> None:
    from infrai_jupyter._login import sign_in

    form = LoginForm(lambda key, save: str(sign_in(key, source="form", save=save)))
    form.password.value = WRONG
    form.button.click()
    assert form.password.value == "" and not form.button.disabled
    assert 'role="alert"' in form.status.value and "SECRET" not in form.status.value
    assert _default.default_client().config.api_key is None
    form.password.value = good_key
    form.button.click()
    assert form.password.get_state()["value"] == ""
    assert "Signed in with" in form.status.value
    assert _default.default_client().config.api_key == good_key
    assert list_accounts() == []  # not saved: the box was not ticked


def test_colab_s_secret_is_used_when_granted_and_checked_first(
    shell: InteractiveShell, good_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In Colab, ``google.colab.userdata`` holds the secret the user granted the notebook."""
    asked: list[str] = []
    userdata = types.ModuleType("google.colab.userdata")
    userdata.get = lambda name: asked.append(name) or good_key  # type: ignore[attr-defined]
    colab = types.ModuleType("google.colab")
    colab.userdata = userdata  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.userdata", userdata)
    said = shell.run_line_magic("infrai_login", "")
    assert asked == ["INFRAI_API_KEY"] and said.startswith("Signed in with ifr_pk_proj_…")
    assert _default.default_client().config.key_source == "Colab (checked)"
