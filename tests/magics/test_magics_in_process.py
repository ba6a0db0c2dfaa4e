"""Fast checks in an in-process IPython shell (a terminal: no kernel, so no widgets).

The kernel tests prove what a notebook sees; these cover what needs no kernel:
plain ``UsageError``, loading and unloading, traits under a profile's config, and
the terminal fallbacks (a top-up command instead of the form).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import mistune
import pytest
from bs4 import BeautifulSoup
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from infrai_jupyter import _default
from infrai_jupyter._client import InfraiClient
from infrai_jupyter.magics import InfraiMagics
from infrai_jupyter.magics.errors import InfraiCellError
from infrai_jupyter.results import Balance, TopupRecord
from infrai_jupyter.sandbox import SandboxServer
from infrai_jupyter.widgets import TopupForm

from .conftest import MAGICS

KEY = "ifr_pk_proj_" + "k3y" * 8


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """IPython's shell with the extension loaded, a private HOME and no INFRAI_* variables."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("INFRAI_API_KEY", raising=False)
    monkeypatch.delenv("INFRAI_BASE_URL", raising=False)
    _default.reset()
    # No history database: it would outlive tmp_path and fail to write at exit.
    shell = InteractiveShell.instance(config=Config({"HistoryManager": {"enabled": False}}))
    shell.extension_manager.load_extension("infrai_jupyter")
    yield shell
    shell.extension_manager.unload_extension("infrai_jupyter")
    # %env writes os.environ directly, past monkeypatch: undo it so no later test sees it.
    for name in ("INFRAI_API_KEY", "INFRAI_BASE_URL"):
        os.environ.pop(name, None)
    _default.reset()


def _magics(shell: InteractiveShell) -> InfraiMagics:
    magics = shell.magics_manager.registry["InfraiMagics"]
    assert isinstance(magics, InfraiMagics)
    return magics


def _our_line_magics(shell: InteractiveShell) -> set[str]:
    return {name for name in shell.magics_manager.magics["line"] if name.startswith("infrai")}


def test_load_twice_unload_twice(shell: InteractiveShell) -> None:
    from infrai_jupyter import load_ipython_extension, unload_ipython_extension

    load_ipython_extension(shell)  # directly, so IPython's "already loaded" guard is bypassed
    assert _our_line_magics(shell) == set(MAGICS)
    assert sum(isinstance(c, InfraiMagics) for c in shell.configurables) == 1
    unload_ipython_extension(shell)
    unload_ipython_extension(shell)
    assert _our_line_magics(shell) == set()
    assert not any(isinstance(c, InfraiMagics) for c in shell.configurables)
    load_ipython_extension(shell)  # the fixture unloads it again
    assert _our_line_magics(shell) == set(MAGICS)


@pytest.mark.parametrize(
    ("magic", "line"),
    [
        ("infrai_topup", "0"),
        ("infrai_topup", "1e999"),
        ("infrai_topup", "9.999"),
        ("infrai_balance", "--watch -3"),
        ("infrai_activate", "--device-kind"),
        ("infrai_keys", "--all"),
    ],
)
def test_bad_arguments_raise_plain_usage_error(
    shell: InteractiveShell, magic: str, line: str
) -> None:
    with pytest.raises(UsageError) as caught:
        shell.run_line_magic(magic, line)
    # A subclass of UsageError would print a full traceback.
    assert type(caught.value) is UsageError


@pytest.mark.parametrize(
    "amount", ["twenty", "0", "-5", "1.234", "10000.01", "nan", "Infinity", "1e999", "$"]
)
def test_the_magic_refuses_what_the_form_refuses_in_the_same_words(
    shell: InteractiveShell, sandbox: SandboxServer, amount: str
) -> None:
    with InfraiClient(base_url=sandbox.url) as client:
        form = TopupForm(client)
        form.amount.value = amount
        form.submit.click()
        line = BeautifulSoup(form.amount_error.value, "html.parser").div
        said_by_form = line.get_text().removeprefix("⚠ ")
        form.close()
    with pytest.raises(UsageError) as caught:
        shell.run_line_magic("infrai_topup", amount)
    assert str(caught.value) == said_by_form


def test_a_busy_port_is_a_usage_error_and_leaves_nothing_running(shell: InteractiveShell) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UsageError, match="The sandbox cannot start") as caught:
            shell.run_line_magic("infrai_sandbox", f"start --port {port}")
    assert type(caught.value) is UsageError
    assert _magics(shell).session.sandbox_url is None


def test_config_sets_the_traits(shell: InteractiveShell) -> None:
    shell.run_line_magic("config", "InfraiMagics.timeout = 12.5")
    shell.run_line_magic("config", "InfraiMagics.max_retries = 1")
    assert (_magics(shell).timeout, _magics(shell).max_retries) == (12.5, 1)
    client = _default.default_client()
    assert (client.timeout.read, client.max_retries) == (12.5, 1)


def test_a_profile_config_is_applied_at_first_use(shell: InteractiveShell) -> None:
    config = Config({"InfraiMagics": {"timeout": 9.0, "max_retries": 0}})
    magics = InfraiMagics(shell=shell, config=config)  # observers fire inside __init__
    assert magics.timeout == 9.0
    client = magics._client()
    assert (client.timeout.read, client.max_retries) == (9.0, 0)


def test_a_terminal_gets_the_topup_command_not_the_form(
    shell: InteractiveShell,
    sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INFRAI_BASE_URL", sandbox.url)
    shell.run_line_magic("infrai_activate", "--no-write")
    with pytest.raises(UsageError, match="Name the amount"):  # nobody asked for $10
        shell.run_line_magic("infrai_topup", "")
    topup = shell.run_line_magic("infrai_topup", "7")
    assert isinstance(topup, TopupRecord) and str(topup.amount_usd) == "7.00"
    assert isinstance(shell.run_line_magic("infrai_balance", ""), Balance)
    capsys.readouterr()

    with pytest.raises(InfraiCellError, match=r"^INSUFFICIENT_CREDIT: "):
        shell.run_line_magic("infrai_upgrade", "team")
    shown = capsys.readouterr().out
    assert "✖ Not enough credit" in shown
    assert "    %infrai_topup 97.00" in shown  # $99 tier, $2 trial balance
    assert "Widget" not in shown and "VBox" not in shown
    # A sandbox reached through INFRAI_BASE_URL is named as one, like its result cards.
    assert f"· sandbox · {sandbox.url}" in shown


def test_a_failing_magic_in_a_terminal_is_one_line(
    shell: InteractiveShell, closed_port_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_line_magic("config", "InfraiMagics.max_retries = 0")
    shell.run_line_magic("env", f"INFRAI_BASE_URL={closed_port_url}")
    shell.run_line_magic("env", f"INFRAI_API_KEY={KEY}")
    capsys.readouterr()
    outcome = shell.run_cell("%infrai_balance")
    assert isinstance(outcome.error_in_exec, InfraiCellError)
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "Cannot reach the infrai API" in printed and closed_port_url in printed
    error_lines = [line for line in printed.splitlines() if "InfraiCellError" in line]
    assert error_lines == [f"InfraiCellError: {outcome.error_in_exec}"]
    assert "Traceback" not in printed


@pytest.mark.parametrize("line", ["%infrai", "%infrai_balance", "%infrai_topup 5"])
def test_an_unusable_credentials_file_is_a_card_not_a_traceback(
    shell: InteractiveShell, tmp_path: Path, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    credentials = tmp_path / ".infrai" / "credentials"
    credentials.parent.mkdir()
    credentials.write_text("{not json", encoding="utf-8")
    outcome = shell.run_cell(line)
    assert isinstance(outcome.error_in_exec, InfraiCellError)
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "✖ The saved credentials cannot be used" in printed
    assert str(credentials) in printed and "INFRAI_API_KEY" in printed
    assert "Traceback" not in printed


def test_a_hostile_base_url_is_shown_as_text_in_the_session_card(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = 'javascript:alert(1)//"><script>alert(2)</script>](javascript:alert(3))\u202e'
    monkeypatch.setenv("INFRAI_BASE_URL", hostile)
    # The client refuses such a base URL: the card that says so names it, as text.
    with capture_output() as captured:
        shell.run_cell("%infrai")
    (bundle,) = [output.data for output in captured.outputs if "text/html" in output.data]
    card = BeautifulSoup(bundle["text/html"], "html.parser")
    assert card.find_all(["script", "a"]) == []
    footer = card.select_one("div.infrai-footer").get_text()
    assert hostile.replace("\u202e", "\N{REPLACEMENT CHARACTER}") in footer
    markdown = BeautifulSoup(str(mistune.html(bundle["text/markdown"])), "html.parser")
    assert markdown.find_all(["script", "a"]) == []  # the URL stays literal text
    assert "\u202e" not in markdown.get_text()


def test_no_key_and_no_network_says_not_signed_in_once_and_sends_nothing(
    shell: InteractiveShell, closed_port_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hosted default offline: the problem is the missing key, not DNS."""
    shell.run_line_magic("env", f"INFRAI_BASE_URL={closed_port_url}")
    capsys.readouterr()
    outcome = shell.run_cell("%infrai_balance")
    assert isinstance(outcome.error_in_exec, InfraiCellError)
    printed = capsys.readouterr().out
    assert "✖ Not signed in" in printed and "no project key yet" in printed
    assert printed.lower().count("no project key") == 1
    assert "reach" not in printed and "DNS" not in printed and "Name or service" not in printed
    assert str(outcome.error_in_exec) == "Not signed in (the card above says what to do)"
    assert "%infrai_activate" in printed


def test_upgrade_without_a_tier_names_the_tiers_and_the_sandbox_s_prices(
    shell: InteractiveShell,
) -> None:
    with pytest.raises(UsageError, match=r"^Name the tier .*Tiers: free, pro, team\.$"):
        shell.run_line_magic("infrai_upgrade", "")
    shell.run_line_magic("infrai_sandbox", "start")
    with pytest.raises(UsageError) as raised:
        shell.run_line_magic("infrai_upgrade", "")
    assert str(raised.value).endswith("Tiers: free ($0.00), pro ($20.00), team ($99.00).")


def test_an_old_form_follows_the_session_to_a_restarted_sandbox(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run All, stop, start again, activate: the form shown before tops up on the new sandbox."""
    monkeypatch.setattr(InfraiMagics, "_has_widget_frontend", lambda self: True)
    shell.run_line_magic("infrai_sandbox", "start")
    shell.run_line_magic("infrai_activate", "")
    form = shell.run_line_magic("infrai_topup", "")
    assert isinstance(form, TopupForm)
    shell.run_line_magic("infrai_sandbox", "stop")
    shell.run_line_magic("infrai_sandbox", "start")
    shell.run_line_magic("infrai_activate", "")
    new_url = _magics(shell).session.sandbox_url
    form.amount.value = "5"
    form.submit.click()
    anchor = BeautifulSoup(form.output.value, "html.parser").select_one("a.infrai-button")
    assert anchor is not None and str(anchor["href"]).startswith(f"{new_url}/checkout/")
    form.close()


def test_a_trailing_comment_is_a_comment_as_in_python(shell: InteractiveShell) -> None:
    """The README's examples carry comments; pasted, they must work."""
    view = shell.run_line_magic("infrai_sandbox", "start        # optional: offline")
    assert "Sandbox running" in repr(view)
    shell.run_line_magic("infrai_activate", "# anonymous account + trial credit")
    with pytest.raises(UsageError, match="takes no arguments"):
        shell.run_line_magic("infrai_keys", "everything  # a real argument is still refused")
    topup = shell.run_line_magic(
        "infrai_topup", "5 --return-url https://example.com/back#done  # fragment kept"
    )
    assert isinstance(topup, TopupRecord) and topup.return_url == "https://example.com/back#done"


def test_activating_twice_keeps_the_account_and_new_makes_another(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_line_magic("infrai_sandbox", "start")
    first = shell.run_line_magic("infrai_activate", "")
    capsys.readouterr()
    outcome = shell.run_cell("%infrai_activate")
    assert isinstance(outcome.error_in_exec, InfraiCellError)
    printed = capsys.readouterr().out
    assert "✖ This session already has an account" in printed
    assert "Keep using it, or make another account on purpose:" in printed
    assert "    %infrai_activate --new" in printed
    second = shell.run_line_magic("infrai_activate", "--new")
    assert second.account_id != first.account_id


def test_joining_a_class_activates_there_and_leaves_the_real_key_alone(
    shell: InteractiveShell, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infrai_jupyter.credentials import StoredCredentials, load_credentials, write_credentials

    real = StoredCredentials(api_key=KEY, base_url="https://api.infrai.cc")
    write_credentials(real)
    monkeypatch.setenv("INFRAI_API_KEY", "ifr_pk_proj_" + "3nv" * 8)
    joined = shell.run_line_magic("infrai_sandbox", f"join {sandbox.url}")
    assert joined.metadata.vendor == "sandbox" and joined.trial_granted
    status = shell.run_line_magic("infrai_sandbox", "status")
    assert status.card.title == "In a class sandbox"
    assert load_credentials() == real  # the saved real key is still the default

    # Running the teacher's line again (or after a restart) finds the same class account.
    shell.run_line_magic("infrai_sandbox", "stop")
    again = shell.run_line_magic("infrai_sandbox", f"join {sandbox.url}")
    assert again.balance_usd == Decimal("2.00")
    summary = _default.default_client().account.tier.upgrade("free")
    assert summary.account_id == joined.account_id


def test_stop_after_join_leaves_the_class_for_the_usual_api(
    shell: InteractiveShell, sandbox: SandboxServer
) -> None:
    from infrai_jupyter.credentials import StoredCredentials, write_credentials

    write_credentials(StoredCredentials(api_key=KEY, base_url="https://api.infrai.cc"))
    shell.run_line_magic("infrai_sandbox", f"join {sandbox.url}")
    left = shell.run_line_magic("infrai_sandbox", "stop")
    assert left.card.title == "Left the class sandbox"
    assert _default.default_client().base_url == "https://api.infrai.cc"
    assert shell.run_line_magic("infrai_sandbox", "stop").card.title == "No sandbox was running"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("join", "Give the address your teacher handed out"),
        ("start http://127.0.0.1:9", "Only join takes a URL"),
    ],
)
def test_join_without_a_url_or_a_url_elsewhere_is_a_usage_error(
    shell: InteractiveShell, line: str, says: str
) -> None:
    with pytest.raises(UsageError, match=says):
        shell.run_line_magic("infrai_sandbox", line)


def test_a_class_url_that_cannot_work_is_a_card_not_a_traceback(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = shell.run_cell("%infrai_sandbox join http://[::1")
    assert isinstance(outcome.error_in_exec, InfraiCellError)
    assert "http://[::1" in capsys.readouterr().out
