"""What every benchmark returns and how the run is written down.

A row is ``{"ratio", "target", "higher_is_better", …figures}``, or ``{"skipped": why}``
when this machine or the CLI cannot run it. ``results.json`` maps row names to rows,
plus ``"machine"``: the facts needed to compare two runs.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

Row = dict[str, Any]

_PACKAGES = ("infrai-jupyter", "httpx", "pydantic", "fastapi", "starlette", "uvicorn", "psycopg")


@dataclass(frozen=True)
class Sizes:
    """How much each benchmark does; ``--quick`` only exercises the harness."""

    requests: int  # per measured load phase
    seconds: float  # per measured load phase
    connections: int
    students: int
    client_calls: int
    fresh_interpreters: int
    renders: int


FULL = Sizes(
    requests=6000,
    seconds=12.0,
    connections=16,
    students=60,
    client_calls=300,
    fresh_interpreters=7,
    renders=200,
)
QUICK = Sizes(
    requests=40,
    seconds=5.0,
    connections=16,
    students=4,
    client_calls=20,
    fresh_interpreters=2,
    renders=10,
)


def ratio_row(ratio: float, target: float, *, higher_is_better: bool, **figures: Any) -> Row:
    """A measured row; ``met`` says whether the ratio is on the right side of its target."""
    met = ratio >= target if higher_is_better else ratio <= target
    return {
        "ratio": round(ratio, 4),
        "target": target,
        "higher_is_better": higher_is_better,
        "met": met,
        **figures,
    }


def seconds_per_call(call: Callable[[], object], calls: int) -> float:
    """Seconds per call over ``calls`` sequential calls (for the in-process benchmarks)."""
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls


def machine() -> dict[str, Any]:
    """Cores, Python, platform, package versions and the load average now."""
    versions: dict[str, str | None] = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": versions,
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def table(rows: dict[str, Row]) -> str:
    """The rows as a Markdown table (as the README shows them)."""
    lines = [
        "| benchmark | ratio | target | met | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    shown: set[str] = set()
    for name, row in rows.items():
        if "skipped" in row or "failed" in row:
            group = ".".join(name.split(".")[:3]) + ".*" if name.startswith("sandbox.") else name
            if group not in shown:
                shown.add(group)
                lines.append(f"| {group} | {next(iter(row))}: {next(iter(row.values()))} | | | | |")
            continue
        sign = "≥" if row["higher_is_better"] else "≤"
        p50, p99 = (_ms(row.get(key)) for key in ("p50_ms", "p99_ms"))
        met = "yes" if row["met"] else "**no**"
        lines.append(
            f"| {name} | {row['ratio']:.3f} | {sign} {row['target']} | {met} | {p50} | {p99} |"
        )
    return "\n".join(lines)


def _ms(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float | int) else ""
