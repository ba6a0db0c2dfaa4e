"""What ``InfraiClient`` adds to a raw HTTP call: ``account.balance()`` against plain httpx.

The sandbox CLI runs in its own process (so its work does not share this process's GIL)
and one account is activated. Then the same ``GET /v1/account/balance`` is sent through
``InfraiClient`` and through a bare ``httpx.Client`` with the very headers the client
sends, in alternating rounds of sequential calls so both see the same machine load. The
ratio of the per-call medians is the client's own work (building the request, parsing
the envelope, validating the model) on top of the call; the target is ≤ 1.25.
"""

from __future__ import annotations

import statistics
import uuid
from pathlib import Path

import httpx

from infrai_jupyter import InfraiClient

from .report import Row, Sizes, ratio_row, seconds_per_call
from .servers import sandbox_command, serve

TARGET = 1.25
ROUNDS = 10


def measure(sizes: Sizes, folder: Path) -> Row:
    """One row: client ms per call over raw httpx ms per call."""
    per_round = max(1, sizes.client_calls // ROUNDS)
    command = sandbox_command(str(folder / "client.sqlite3"), 1)
    with (
        serve(command, folder / "client.log") as url,
        InfraiClient(base_url=url, max_retries=0) as client,
    ):
        client.activate(write_credentials=False, device_fingerprint=uuid.uuid4().hex)
        request = client._build_request("account.balance")  # the very headers it sends
        with httpx.Client(timeout=client.timeout) as raw:

            def raw_balance() -> object:
                return raw.get(str(request.url), headers=request.headers).raise_for_status()

            for warm_up in (client.account.balance, raw_balance):
                seconds_per_call(warm_up, 20)
            sdk, bare = [], []
            for _ in range(ROUNDS):
                sdk.append(seconds_per_call(client.account.balance, per_round))
                bare.append(seconds_per_call(raw_balance, per_round))
    sdk_ms, raw_ms = statistics.median(sdk) * 1e3, statistics.median(bare) * 1e3
    return ratio_row(
        sdk_ms / raw_ms,
        TARGET,
        higher_is_better=False,
        client_ms=round(sdk_ms, 4),
        raw_httpx_ms=round(raw_ms, 4),
        calls=per_round * ROUNDS,
    )
