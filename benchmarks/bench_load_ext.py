"""How much ``%load_ext infrai_jupyter`` costs, next to importing httpx and pydantic.

Each measurement runs in a fresh interpreter that has already imported IPython and
created a shell, as a kernel has by the time a cell runs ``%load_ext``. The baseline,
``import httpx, pydantic``, is measured the same way in the same run, interleaved,
so both see the same machine load. The budget (issue 5): ``%load_ext`` takes at most
half the time of that baseline. Exits 1 when it does not.

    .venv/bin/python benchmarks/bench_load_ext.py [--repeat 7] [--budget 0.5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

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


def measure_once(statement: str, home: str) -> dict[str, object]:
    """Run ``statement`` in a fresh interpreter after the prelude; return its timing."""
    code = PRELUDE + TIMER.format(statement=statement)
    env = {**os.environ, "HOME": home, "IPYTHONDIR": os.path.join(home, "ipython")}
    env.pop("INFRAI_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="fresh runs of each (median)")
    parser.add_argument("--budget", type=float, default=0.5, help="the most the ratio may be")
    args = parser.parse_args()

    samples: dict[str, list[float]] = {name: [] for name in MEASURED}
    with tempfile.TemporaryDirectory(prefix="infrai-bench-") as home:
        for _ in range(args.repeat):
            for name, statement in MEASURED.items():
                run = measure_once(statement, home)
                if name == "load_ext" and run["heavy"]:
                    print(f"%load_ext imported {run['heavy']}: it must import nothing heavy")
                    return 1
                samples[name].append(float(str(run["seconds"])))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratio = medians["load_ext"] / medians["httpx+pydantic"]
    print(f"Python {sys.version.split()[0]}, {args.repeat} fresh interpreters each, median:")
    for name, values in samples.items():
        spread = f"min {min(values) * 1e3:.1f} ms, max {max(values) * 1e3:.1f} ms"
        print(f"  {name:<16} {medians[name] * 1e3:8.1f} ms   ({spread})")
    verdict = "OK" if ratio <= args.budget else "OVER BUDGET"
    print(f"ratio load_ext / (httpx + pydantic) = {ratio:.3f} (budget {args.budget}): {verdict}")
    return 0 if ratio <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
