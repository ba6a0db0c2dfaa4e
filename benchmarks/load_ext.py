"""How much ``%load_ext infrai_jupyter`` costs, next to importing httpx and pydantic.

Each sample is a fresh interpreter that has already imported IPython and created a
shell, as a kernel has by the time a cell runs ``%load_ext``. It times either loading
the extension or ``import httpx, pydantic``; the two alternate, so both see the same
machine load, and the medians are compared. Target (issue 5): ≤ 0.5. Loading the
extension must also import nothing heavy (httpx, pydantic, ipywidgets, uvicorn).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from .report import Row, Sizes, ratio_row

TARGET = 0.5

PRELUDE = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
shell = InteractiveShell.instance(config=Config({"HistoryManager": {"enabled": False}}))
"""

MEASURED = {
    "load_ext": "import infrai_jupyter; infrai_jupyter.load_ipython_extension(shell)",
    "httpx+pydantic": "import httpx, pydantic",
}

TIMER = """
start = time.perf_counter()
{statement}
elapsed = time.perf_counter() - start
heavy = sorted(m for m in ("httpx", "pydantic", "ipywidgets", "uvicorn") if m in sys.modules)
print(json.dumps({{"seconds": elapsed, "heavy": heavy}}))
"""


def measure(sizes: Sizes, folder: Path) -> Row:
    """One row: the median ``%load_ext`` over the median ``import httpx, pydantic``."""
    samples: dict[str, list[float]] = {name: [] for name in MEASURED}
    heavy: set[str] = set()
    for _ in range(sizes.fresh_interpreters):
        for name, statement in MEASURED.items():
            run = _measure_once(statement, folder)
            if name == "load_ext":
                heavy.update(run["heavy"])
            samples[name].append(float(run["seconds"]))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    row = ratio_row(
        medians["load_ext"] / medians["httpx+pydantic"],
        TARGET,
        higher_is_better=False,
        load_ext_ms=round(medians["load_ext"] * 1e3, 3),
        httpx_pydantic_ms=round(medians["httpx+pydantic"] * 1e3, 3),
        interpreters=sizes.fresh_interpreters,
        heavy_imports=sorted(heavy),
    )
    row["met"] = row["met"] and not heavy
    return row


def _measure_once(statement: str, folder: Path) -> dict[str, Any]:
    """Run ``statement`` in a fresh interpreter after the prelude; return its timing."""
    code = PRELUDE + TIMER.format(statement=statement)
    env = {**os.environ, "HOME": str(folder), "IPYTHONDIR": str(folder / "ipython")}
    env.pop("INFRAI_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))
