"""Tab completion of the magics' arguments, through IPython's own completer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core import completer as ipython_completer
from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from infrai_jupyter import _default


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    monkeypatch.setenv("HOME", str(tmp_path))
    _default.reset()
    shell = InteractiveShell.instance(config=Config({"HistoryManager": {"enabled": False}}))
    shell.extension_manager.load_extension("infrai_jupyter")
    yield shell
    shell.extension_manager.unload_extension("infrai_jupyter")
    _default.reset()


#: IPython 7 (Colab's) has no context matchers: a magic's completions cannot keep Jedi's
#: Python names out, which it offers first. There the test reads IPython's own part.
JEDI_ALWAYS_OFFERED = not hasattr(ipython_completer, "context_matcher")


def completions(shell: InteractiveShell, line: str) -> list[str]:
    """What a front end's Tab offers at the end of ``line`` (ipykernel asks this API)."""
    with provisionalcompleter():
        offered = list(shell.Completer.completions(line, len(line)))
    return [c.text for c in offered if not (JEDI_ALWAYS_OFFERED and c._origin == "jedi")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("%infrai_upgrade ", ["free", "pro", "team"]),
        ("%infrai_upgrade p", ["pro"]),
        ("%infrai_sandbox st", ["start", "stop", "status"]),
        ("%infrai_sandbox --", ["--port", "--db"]),
        ("%infrai_activate --n", ["--no-write", "--new"]),
        ("%infrai_topup --", ["--return-url", "--idempotency-key"]),
        ("%infrai_logout --", ["--forget", "--yes"]),
        ("%infrai_usage --", ["--reset"]),
        ("%infrai_accounts --", ["--use"]),
    ],
)
def test_the_words_that_fit_complete(
    shell: InteractiveShell, line: str, expected: list[str]
) -> None:
    assert completions(shell, line) == sorted(expected)  # no Python names among them


def test_every_flag_of_every_magic_completes_as_its_help_lists_it(shell: InteractiveShell) -> None:
    for magics in shell.magics_manager.registry.values():
        for name, method in magics.magics["line"].items():
            parser = getattr(method, "parser", None)
            if not name.startswith("infrai") or parser is None:
                continue
            for action in parser._actions:
                for flag in action.option_strings:
                    if flag.startswith("--") and flag != "--help":
                        assert flag in completions(shell, f"%{name} --"), (name, flag)


def test_unloading_removes_the_completers(shell: InteractiveShell) -> None:
    shell.extension_manager.unload_extension("infrai_jupyter")
    assert "pro" not in completions(shell, "%infrai_upgrade p")
    shell.extension_manager.load_extension("infrai_jupyter")
