"""What the import-linter contracts in ``pyproject.toml`` cannot see: import *cost*.

The contracts (run by ``scripts/test`` as ``lint-imports``) enforce which module may
import which. Whether ``import infrai_jupyter`` stays cheap is a runtime property of the
lazy attributes, so it is checked here, in a fresh interpreter so that what an earlier
test imported cannot hide a dependency.
"""

from __future__ import annotations

import json
import subprocess
import sys


def modules_after(statement: str) -> set[str]:
    """The names in ``sys.modules`` after running ``statement`` in a new interpreter."""
    script = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(json.loads(completed.stdout))


def imported(modules: set[str], package: str) -> bool:
    return any(name == package or name.startswith(package + ".") for name in modules)


HEAVY = ["httpx", "pydantic", "IPython", "ipywidgets", "fastapi", "uvicorn"]


def test_importing_the_package_imports_nothing_heavy() -> None:
    modules = modules_after("import infrai_jupyter")
    assert [name for name in HEAVY if imported(modules, name)] == []
    ours = {name for name in modules if imported({name}, "infrai_jupyter")}
    assert ours <= {"infrai_jupyter", "infrai_jupyter._version"}


def test_using_the_client_never_loads_jupyter_or_the_server() -> None:
    """The seed's own import line, used for real, stays out of IPython and the sandbox."""
    modules = modules_after(
        "from infrai_jupyter import infra, account, InfraiClient, AsyncInfraiClient, errors"
    )
    assert imported(modules, "httpx")  # the check sees what a real use imports
    forbidden = ["IPython", "ipywidgets", "fastapi", "uvicorn", "infrai_jupyter.sandbox"]
    assert [name for name in forbidden if imported(modules, name)] == []


def test_the_language_rules_load_no_pydantic() -> None:
    """``%load_ext`` loads ``_i18n``, which takes its locale rules from the contract: the
    contract's models must stay unloaded until something uses them."""
    assert not imported(modules_after("import infrai_jupyter._i18n"), "pydantic")


def test_every_name_the_contract_exports_is_there() -> None:
    from infrai_jupyter import contract

    assert sorted(contract._MODULE_OF) == sorted(contract.__all__)
    assert [name for name in contract.__all__ if getattr(contract, name, None) is None] == []
