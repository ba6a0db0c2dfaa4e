"""Shared by the notebook tests: the runner of ``scripts/run_notebook.py`` and the notebooks.

The runner is imported from its file, so the tests execute notebooks exactly as
``scripts/demo`` does; there is no second copy of that code.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = REPO / "notebooks"
RUNNER_PATH = REPO / "scripts" / "run_notebook.py"

#: Every notebook, and the cells in it that fail on purpose (tagged ``raises-exception``).
NOTEBOOKS: dict[str, frozenset[str]] = {
    "01_quickstart.ipynb": frozenset({"upgrade-402"}),
    "02_python_and_async.ipynb": frozenset({"error-unhandled"}),
    "03_classroom.ipynb": frozenset({"after-reset"}),
    "04_zh_quickstart.ipynb": frozenset({"upgrade-402"}),
}


def load_runner() -> ModuleType:
    """``scripts/run_notebook.py`` as a module (registered, as dataclasses require)."""
    name = "run_notebook"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, RUNNER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
