"""What ``InfraiClient`` adds to a raw HTTP call: ``account.balance()`` against plain httpx.

The sandbox runs in its own process (so its work does not share this process's GIL),
one account is activated, and then the same ``GET /v1/account/balance`` is sent N
times through ``InfraiClient`` and N times through a bare ``httpx.Client`` with the
same headers, in alternating rounds so both see the same machine load. The client's
extra work per call (building the request, parsing the envelope, validating the
result model) shows as the difference and the ratio of the per-call medians.

    .venv/bin/python benchmarks/bench_client.py [--calls 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from infrai_jupyter import InfraiClient

ROUNDS = 10
START_TIMEOUT_S = 30.0


@contextmanager
def sandbox_process(directory: Path) -> Iterator[str]:
    """``python -m infrai_jupyter.sandbox`` on a free port; yields its base URL."""
    database = directory / "bench.sqlite3"
    process = subprocess.Popen(
        [sys.executable, "-m", "infrai_jupyter.sandbox", "--port", "0", "--db", str(database)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "HOME": str(directory)},
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()  # "infrai sandbox serving on http://... (...)"
        if "serving on " not in first_line:
            raise RuntimeError(f"the sandbox did not start: {first_line!r}")
        url = first_line.split("serving on ", 1)[1].split()[0]
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                httpx.get(f"{url}/openapi.json", timeout=5).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def per_call(call: Callable[[], object], calls: int) -> float:
    """Seconds per call over ``calls`` sequential calls."""
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="calls of each kind in all")
    args = parser.parse_args()
    per_round = max(1, args.calls // ROUNDS)

    with (
        tempfile.TemporaryDirectory(prefix="infrai-bench-") as tmp,
        sandbox_process(Path(tmp)) as url,
    ):
        os.environ["HOME"] = tmp  # activation must not touch the real ~/.infrai
        with InfraiClient(base_url=url, max_retries=0) as client:
            client.activate(write_credentials=False, device_fingerprint="benchmark-client-0001")
            request = client._build_request("account.balance")  # the very headers it sends
            headers = dict(request.headers)
            with httpx.Client(timeout=client.timeout) as raw:

                def raw_balance() -> object:
                    response = raw.get(str(request.url), headers=headers)
                    response.raise_for_status()
                    return response.json()

                for warm_up in (client.account.balance, raw_balance):
                    per_call(warm_up, 20)
                sdk, bare = [], []
                for _ in range(ROUNDS):
                    sdk.append(per_call(client.account.balance, per_round))
                    bare.append(per_call(raw_balance, per_round))

    sdk_ms, raw_ms = statistics.median(sdk) * 1e3, statistics.median(bare) * 1e3
    print(f"{ROUNDS} rounds x {per_round} sequential calls each, median per call:")
    print(f"  InfraiClient.account.balance()  {sdk_ms:7.3f} ms")
    print(f"  httpx.Client.get (same headers) {raw_ms:7.3f} ms")
    print(f"overhead {sdk_ms - raw_ms:+.3f} ms per call; ratio {sdk_ms / raw_ms:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
