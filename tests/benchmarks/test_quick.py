"""``python -m benchmarks --quick`` runs end to end, so the harness cannot rot.

It asserts the shape of ``results.json`` and that the class's ledger summed, never a
timing: on a shared machine those belong in the full run's report, not in a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

ALWAYS = ("client_overhead", "load_ext", "render_keys_table", "classroom.sqlite")
PHASES = ("reads", "creations", "pay")
POSTGRESQL = ("classroom.postgresql",)


def sandbox_rows(engine: str, workers: int) -> list[str]:
    prefix = f"sandbox.{engine}.{workers}w"
    return [f"{prefix}.{phase}{tail}" for phase in PHASES for tail in ("", ".p99_over_p50")]


def run_quick(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )


def assert_measured(name: str, row: dict[str, Any]) -> None:
    assert isinstance(row["ratio"], float), name
    assert isinstance(row["target"], float), name
    assert isinstance(row["higher_is_better"], bool), name
    assert isinstance(row["met"], bool), name


def test_quick_run_writes_every_row(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = run_quick(out)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text())

    machine = results.pop("machine")
    assert isinstance(machine["cores"], int)
    assert isinstance(machine["python"], str) and isinstance(machine["platform"], str)
    assert machine["versions"]["infrai-jupyter"]
    assert machine["quick"] is True

    expected = [*ALWAYS, *sandbox_rows("sqlite", 1)]
    optional = [*POSTGRESQL, *sandbox_rows("postgresql", 1), *sandbox_rows("postgresql", 2)]
    assert set(results) == set(expected + optional)
    for name in expected:
        assert_measured(name, results[name])
    for name in optional:  # measured where the CLI and PostgreSQL allow, else skipped
        row = results[name]
        if "skipped" in row:
            assert isinstance(row["skipped"], str) and row["skipped"], name
        else:
            assert_measured(name, row)

    for name in ("sandbox.sqlite.1w.reads", "sandbox.sqlite.1w.pay"):
        assert results[name]["requests"] > 0 and results[name]["errors"] == 0
    for name in ("classroom.sqlite", "classroom.postgresql"):
        if "skipped" not in results[name]:
            assert results[name]["ledger_ok"] is True, results[name]
            assert set(results[name]["steps"]) == {"activate", "topup", "pay", "upgrade"}
