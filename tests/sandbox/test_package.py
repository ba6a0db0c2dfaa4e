"""The sandbox's public surface and its place in the architecture."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import infrai_jupyter.sandbox as sandbox_package

# The server's stack (psycopg for PostgreSQL), plus httpx (a core dependency) for the lesson
# helpers in teaching.py.
ALLOWED_THIRD_PARTY = {
    "fastapi",
    "httpx",
    "psycopg",
    "psycopg_pool",
    "pydantic",
    "starlette",
    "uvicorn",
    "uuid6",
}


def test_public_surface() -> None:
    assert sandbox_package.__all__ == ["SandboxServer", "SandboxSettings", "create_app"]


def test_the_sandbox_imports_only_the_contract_of_the_package() -> None:
    package_dir = Path(sandbox_package.__file__).parent
    for module in package_dir.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "infrai_jupyter":
                    assert name.startswith("infrai_jupyter.contract"), (module.name, name)
                else:
                    assert top in sys.stdlib_module_names | ALLOWED_THIRD_PARTY, (module.name, name)
