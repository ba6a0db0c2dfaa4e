"""Sandbox reads, top-up creations and Pay against the bare baseline, at N connections.

For one database and worker count: the baseline app (``benchmarks.baseline``), with the
same workers, is measured before and after the sandbox (``GET`` for reads, a JSON
``POST`` for writes). The real sandbox CLI is started on the database, one account per
connection is activated, and three phases run, each bounded in count and time:

- reads: ``GET /v1/account/balance``;
- creations: ``POST /v1/account/topup`` (each a new pending top-up, with its own
  ``Idempotency-Key`` as the SDK sends);
- Pay: the checkout page of each created top-up is loaded (not timed), then its Pay
  form is posted with the page's hidden ``form_token``, as a browser does (303).

Each phase's ratio is its throughput over the baseline's; the issue's targets are
reads ≥ 0.5, creations ≥ 0.25 (Pay is held to the same bar as creations), and for
every phase p99 ≤ 3 times p50.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urljoin

from infrai_jupyter import InfraiClient
from infrai_jupyter.contract import IDEMPOTENCY_KEY_HEADER
from infrai_jupyter.sandbox.teaching import _CheckoutPage

from .load import Connection, LoadResult, Send, expect, run_load
from .report import Row, Sizes, ratio_row
from .servers import baseline_command, sandbox_command, serve

THROUGHPUT_TARGETS = {"reads": 0.5, "creations": 0.25, "pay": 0.25}
P99_OVER_P50_TARGET = 3.0
TOPUP_BODY = {"amount_usd": "10.00"}


def measure(database: str, workers: int, sizes: Sizes, folder: Path) -> dict[str, Row]:
    """Rows ``reads``, ``creations``, ``pay`` and their ``….p99_over_p50``.

    The baseline runs just before and just after the sandbox and the mean of the two
    is the denominator, so a machine whose load drifts during the run biases neither.
    """
    before = _baseline(workers, sizes, folder)
    with serve(sandbox_command(database, workers), folder / f"sandbox-{workers}w.log") as url:
        headers = activate_accounts(url, sizes.connections)
        reads = _timed(url, _read(headers), sizes, warm_up=True)
        checkout_urls: list[str] = []
        creations = _timed(url, _create(headers, checkout_urls), sizes)
        forms: list[tuple[str, dict[str, str]]] = []
        _untimed(url, _open_checkout(checkout_urls, forms), len(checkout_urls), sizes)
        pay = _timed(url, _pay(forms), sizes, limit=len(forms))
    after = _baseline(workers, sizes, folder)
    rows: dict[str, Row] = {}
    for name, measured, kind in (
        ("reads", reads, "read"),
        ("creations", creations, "write"),
        ("pay", pay, "write"),
    ):
        baseline_rps = (before[kind].throughput + after[kind].throughput) / 2
        rows[name] = ratio_row(
            measured.throughput / baseline_rps,
            THROUGHPUT_TARGETS[name],
            higher_is_better=True,
            **measured.summary(),
            baseline_rps=round(baseline_rps, 1),
            baseline_before=before[kind].summary(),
            baseline_after=after[kind].summary(),
        )
        rows[f"{name}.p99_over_p50"] = {
            **p99_row(measured),
            # The bare app's own tail: when it is high too, the machine made it.
            "baseline_p99_over_p50": [_tail(before[kind]), _tail(after[kind])],
        }
    return rows


def _baseline(workers: int, sizes: Sizes, folder: Path) -> dict[str, LoadResult]:
    with serve(baseline_command(workers), folder / f"baseline-{workers}w.log") as url:
        return {
            "read": _timed(url, _baseline_read, sizes, warm_up=True),
            "write": _timed(url, _baseline_write, sizes, warm_up=True),
        }


def p99_row(result: LoadResult) -> Row:
    """The tail against the median: ≤ 3 means no request waits far behind the others."""
    return ratio_row(
        _tail(result),
        P99_OVER_P50_TARGET,
        higher_is_better=False,
        p50_ms=round(result.p50_ms, 3),
        p99_ms=round(result.p99_ms, 3),
    )


def _tail(result: LoadResult) -> float:
    return round(result.p99_ms / result.p50_ms, 4) if result.p50_ms else 0.0


def new_idempotency_key() -> dict[str, str]:
    """A fresh ``Idempotency-Key``, as the SDK sends with every creating call: without
    one the server derives a key from the body, and one account's identical top-ups in
    flight at once would be the same request."""
    return {IDEMPOTENCY_KEY_HEADER: uuid.uuid4().hex}


def activate_accounts(url: str, count: int) -> list[dict[str, str]]:
    """``count`` fresh accounts (distinct devices); the headers that authenticate each."""
    headers = []
    for _ in range(count):
        with InfraiClient(base_url=url, max_retries=0) as client:
            client.activate(write_credentials=False, device_fingerprint=uuid.uuid4().hex)
            headers.append({"Authorization": f"Bearer {client.config.api_key}"})
    return headers


def _timed(
    url: str, send: Send, sizes: Sizes, *, warm_up: bool = False, limit: int | None = None
) -> LoadResult:
    """One measured phase; ``warm_up`` first sends a few untimed requests, so imports,
    caches and the thread pool are ready before the clock starts."""
    if warm_up:
        _untimed(url, send, 2 * sizes.connections, sizes)
    count = sizes.requests if limit is None else min(limit, sizes.requests)
    return _checked(
        run_load(
            url, send, connections=sizes.connections, max_requests=count, max_seconds=sizes.seconds
        )
    )


def _untimed(url: str, send: Send, count: int, sizes: Sizes) -> None:
    _checked(
        run_load(url, send, connections=sizes.connections, max_requests=count, max_seconds=60.0)
    )


def _checked(result: LoadResult) -> LoadResult:
    """A run where any request failed measured something else: stop the benchmark."""
    if result.errors:
        total = result.errors + result.requests
        raise RuntimeError(f"{result.errors} of {total} requests failed: {result.first_error}")
    return result


async def _baseline_read(connection: Connection, index: int) -> None:
    expect(await connection.request("GET", "/baseline"), 200)


async def _baseline_write(connection: Connection, index: int) -> None:
    expect(await connection.request("POST", "/baseline", json_body=TOPUP_BODY), 200)


def _read(headers: list[dict[str, str]]) -> Send:
    async def send(connection: Connection, index: int) -> None:
        account = headers[index % len(headers)]
        expect(await connection.request("GET", "/v1/account/balance", headers=account), 200)

    return send


def _create(headers: list[dict[str, str]], checkout_urls: list[str]) -> Send:
    async def send(connection: Connection, index: int) -> None:
        account = {**headers[index % len(headers)], **new_idempotency_key()}
        sent = await connection.request(
            "POST", "/v1/account/topup", headers=account, json_body=TOPUP_BODY
        )
        checkout_urls.append(expect(sent, 200).json()["data"]["checkout_url"])

    return send


def _open_checkout(checkout_urls: list[str], forms: list[tuple[str, dict[str, str]]]) -> Send:
    """Load each checkout page and keep its Pay form: the action and the hidden fields."""

    async def send(connection: Connection, index: int) -> None:
        page = expect(await connection.request("GET", checkout_urls[index]), 200)
        forms.append(pay_form(checkout_urls[index], page.text))

    return send


def pay_form(checkout_url: str, page: str) -> tuple[str, dict[str, str]]:
    """The checkout page's one Pay form: where it posts, and its fields (``form_token``)."""
    parsed = _CheckoutPage()
    parsed.feed(page)
    (action,) = (target for target in parsed.forms if target.endswith("/pay"))
    return urljoin(checkout_url, action), parsed.forms[action]


def _pay(forms: list[tuple[str, dict[str, str]]]) -> Send:
    async def send(connection: Connection, index: int) -> None:
        target, fields = forms[index]
        expect(await connection.request("POST", target, form=fields), 303)

    return send
