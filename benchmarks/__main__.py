"""``python -m benchmarks [--quick] [--engines sqlite,postgresql] [--out PATH]``.

Runs every benchmark, prints the Markdown table and writes ``results.json``: one row per
benchmark (``ratio``, ``target``, ``higher_is_better``, ``met`` and its figures, or
``skipped`` with the reason) plus ``machine``. Exits 1 if a benchmark could not run or
the class's ledger did not sum; a missed target is a result, not a failure.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import classroom, client_overhead, load_ext, postgres, render, throughput
from .report import FULL, QUICK, Row, Sizes, machine, table
from .servers import REPO_ROOT, unsupported

ENGINES = ("sqlite", "postgresql")
WORKERS = {"sqlite": (1,), "postgresql": (1, 2)}
PHASES = ("reads", "creations", "pay")
IN_PROCESS = ("client_overhead", "load_ext", "render_keys_table")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run every benchmark, print the table and write results.json.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness")
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        metavar="ENGINE,…",
        help="databases for the sandbox benchmarks (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "benchmarks" / "results.json",
        metavar="PATH",
        help="where to write the results (default: benchmarks/results.json)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    unknown = set(args.engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(sorted(unknown))}; choose from {ENGINES}")
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    facts = {**machine(), "quick": args.quick, "connections": sizes.connections}
    with tempfile.TemporaryDirectory(prefix="infrai-bench-") as tmp:
        folder = Path(tmp)
        # In-process clients must never read or write the real ~/.infrai or its key.
        os.environ["HOME"] = tmp
        for name in ("INFRAI_API_KEY", "INFRAI_BASE_URL"):
            os.environ.pop(name, None)
        rows = _run_all(sizes, args.engines, folder)
    facts["load_average_after"] = machine()["load_average"]
    facts["duration_s"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**rows, "machine": facts}, indent=2) + "\n")
    print(table(rows))
    print(
        f"\n{facts['duration_s']} s; load average {facts['load_average']} before, "
        f"{facts['load_average_after']} after; written to {args.out}"
    )
    broken = [name for name, row in rows.items() if "failed" in row]
    broken += [name for name, row in rows.items() if row.get("ledger_ok") is False]
    if broken:
        print(f"failed: {', '.join(broken)}", file=sys.stderr)
    return 1 if broken else 0


def _run_all(sizes: Sizes, engines: Sequence[str], folder: Path) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    _record(rows, "client_overhead", lambda: client_overhead.measure(sizes, folder))
    _record(rows, "load_ext", lambda: load_ext.measure(sizes, folder))
    _record(rows, "render_keys_table", lambda: render.measure(sizes))
    for engine in engines:
        runnable = []
        for workers in WORKERS[engine]:
            reason = unsupported(engine, workers) or (
                postgres.unavailable() if engine == "postgresql" else None
            )
            for name in _sandbox_names(engine, workers) if reason else ():
                rows[name] = {"skipped": reason}
            if not reason:
                runnable.append(workers)
        if not runnable:
            continue
        with _databases(engine, folder) as new_database:
            for workers in runnable:
                _record_many(
                    rows,
                    _throughput_names(engine, workers),
                    _throughput(engine, workers, new_database, sizes, folder),
                )
            if 1 in runnable:
                _record(
                    rows,
                    f"classroom.{engine}",
                    lambda: classroom.run(new_database(), sizes.students, folder),
                )
    sandbox = [
        name
        for engine in engines
        for workers in WORKERS[engine]
        for name in _sandbox_names(engine, workers)
    ]
    return {name: rows[name] for name in (*IN_PROCESS, *sandbox)}


def _throughput(
    engine: str, workers: int, new_database: Callable[[], str], sizes: Sizes, folder: Path
) -> Callable[[], dict[str, Row]]:
    def benchmark() -> dict[str, Row]:
        database = new_database()
        measured = throughput.measure(database, workers, sizes, folder)
        return {f"sandbox.{engine}.{workers}w.{name}": row for name, row in measured.items()}

    return benchmark


def _throughput_names(engine: str, workers: int) -> list[str]:
    prefix = f"sandbox.{engine}.{workers}w"
    return [f"{prefix}.{phase}{tail}" for phase in PHASES for tail in ("", ".p99_over_p50")]


def _sandbox_names(engine: str, workers: int) -> list[str]:
    """Every row one engine and worker count gives (the class runs at one worker)."""
    classroom_row = [f"classroom.{engine}"] if workers == 1 else []
    return _throughput_names(engine, workers) + classroom_row


@contextmanager
def _databases(engine: str, folder: Path) -> Iterator[Callable[[], str]]:
    """A factory of fresh databases of ``engine`` (a file or a URL each time)."""
    if engine == "sqlite":
        numbers = itertools.count(1)
        yield lambda: str(folder / f"sandbox-{next(numbers)}.sqlite3")
        return
    with postgres.cluster() as new_database:
        yield new_database


def _record(rows: dict[str, Row], name: str, benchmark: Callable[[], Row]) -> None:
    _record_many(rows, [name], lambda: {name: benchmark()})


def _record_many(
    rows: dict[str, Row], names: Sequence[str], benchmark: Callable[[], dict[str, Row]]
) -> None:
    """Run one benchmark; if it raises, each of its rows says so and the rest go on."""
    print(f"running {names[0]} …", file=sys.stderr, flush=True)
    try:
        measured = benchmark()
    except Exception as error:
        traceback.print_exc()
        for name in names:
            rows[name] = {"failed": f"{type(error).__name__}: {error}"}
        return
    rows.update(measured)


if __name__ == "__main__":
    sys.exit(main())
