"""Data flows one way: contract -> wire -> client; the sandbox shares only the contract.

Each check imports a module in a fresh interpreter and inspects ``sys.modules``, so what
an earlier test imported cannot hide a dependency.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CLIENT_MODULES = [
    "infrai_jupyter._client",
    "infrai_jupyter._base_client",
    "infrai_jupyter.resources",
    "infrai_jupyter._wire",
    "infrai_jupyter._default",
    "infrai_jupyter.results",
    "infrai_jupyter.credentials",
    "infrai_jupyter.errors",
    "infrai_jupyter.contract",
]
FORBIDDEN_FOR_CLIENT = ["IPython", "ipywidgets", "fastapi", "uvicorn", "infrai_jupyter.sandbox"]


def modules_after_import(module: str) -> set[str]:
    """The names in ``sys.modules`` after importing ``module`` in a new interpreter."""
    script = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(json.loads(completed.stdout))


def imported(modules: set[str], package: str) -> bool:
    return any(name == package or name.startswith(package + ".") for name in modules)


@pytest.mark.parametrize("module", CLIENT_MODULES)
def test_the_client_never_imports_jupyter_or_the_server(module: str) -> None:
    modules = modules_after_import(module)
    assert module in modules
    assert [name for name in FORBIDDEN_FOR_CLIENT if imported(modules, name)] == []


def test_the_sandbox_imports_only_the_contract() -> None:
    modules = modules_after_import("infrai_jupyter.sandbox")
    assert imported(modules, "fastapi")  # the check itself sees third-party imports
    ours = {name for name in modules if imported({name}, "infrai_jupyter")}
    allowed = {"infrai_jupyter"}
    assert {
        name
        for name in ours - allowed
        if not imported({name}, "infrai_jupyter.contract")
        and not imported({name}, "infrai_jupyter.sandbox")
    } == set()
    assert not imported(modules, "IPython") and not imported(modules, "ipywidgets")


def test_importing_the_package_is_cheap() -> None:
    modules = modules_after_import("infrai_jupyter")
    heavy = ["httpx", "pydantic", "IPython", "ipywidgets", "fastapi", "uvicorn"]
    assert [name for name in heavy if imported(modules, name)] == []
    assert {name for name in modules if imported({name}, "infrai_jupyter")} == {"infrai_jupyter"}
