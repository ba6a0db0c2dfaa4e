"""A class at once: N students activate, top up, pay at the checkout page and upgrade.

Every student is one connection to the real sandbox CLI and starts at the same moment,
as a class does when the teacher says "run the first cell". Each activates with a
device fingerprint of its own (so each gets the trial credit), starts a $25 top-up,
pays it through the checkout page's form (page loaded, Pay posted with its hidden
``form_token``), and upgrades to ``pro``. Latency is kept per step.

Afterwards the ledger must sum exactly: the balances read back through the API add up
to the trial credits granted plus the top-ups paid minus the upgrade prices charged,
and each student's balance is what that student's own steps say it should be.
The row's ratio is the worst step's p99/p50 (target ≤ 3); its p50 and p99 are that
step's, and ``steps`` has every step's.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from infrai_jupyter.sandbox.settings import DEFAULT_TIER_PRICES

from .load import Connection, LoadResult, expect
from .report import Row
from .servers import sandbox_command, serve
from .throughput import new_idempotency_key, p99_row, pay_form

STEPS = ("activate", "topup", "pay", "upgrade")
TOPUP_USD = Decimal("25.00")
TIER = "pro"
_RUN_TIMEOUT_S = 300.0


@dataclass
class Student:
    """What one student's steps did: the money they should have moved, and the time."""

    number: int
    key: str = ""
    checkout_url: str = ""
    trial_usd: Decimal = Decimal("0")
    paid_usd: Decimal = Decimal("0")
    upgrade_usd: Decimal = Decimal("0")
    latencies_ms: dict[str, float] = field(default_factory=dict)
    failed: str = ""

    @property
    def expected_usd(self) -> Decimal:
        return self.trial_usd + self.paid_usd - self.upgrade_usd


def run(database: str, students: int, folder: Path) -> Row:
    """Serve ``database`` with the CLI, run the class, check the ledger; one row."""
    with serve(sandbox_command(database, 1), folder / "classroom.log") as url:
        started = time.perf_counter()
        class_list = asyncio.run(_whole_class(url, students))
        seconds = time.perf_counter() - started
        balances = asyncio.run(_balances(url, class_list))
    return _row(class_list, balances, seconds)


async def _whole_class(url: str, students: int) -> list[Student]:
    class_list = [Student(number) for number in range(students)]
    await asyncio.wait_for(
        asyncio.gather(*(_lesson(url, student) for student in class_list)), _RUN_TIMEOUT_S
    )
    return class_list


async def _lesson(url: str, student: Student) -> None:
    """One student's four steps on one connection; the first failure ends the lesson."""
    connection = Connection(url)
    step = STEPS[0]
    try:
        for step in STEPS:
            started = time.perf_counter()
            await _STEP_FUNCTIONS[step](connection, student)
            student.latencies_ms[step] = (time.perf_counter() - started) * 1e3
    except Exception as error:  # reported in the row, never raised past the class
        student.failed = f"{step}: {error}"
    finally:
        await connection.close()


async def _activate(connection: Connection, student: Student) -> None:
    body = {"device_kind": "notebook", "device_fingerprint": f"class-{uuid.uuid4().hex}"}
    answer = await connection.request(
        "POST", "/v1/activate", headers=new_idempotency_key(), json_body=body
    )
    data = expect(answer, 200).json()
    student.key = data["data"]["primary_api_key"]
    if data["data"]["trial_granted"]:
        student.trial_usd = Decimal(data["data"]["trial_credit_usd"])


def _auth(student: Student) -> dict[str, str]:
    return {"Authorization": f"Bearer {student.key}"}


def _auth_once(student: Student) -> dict[str, str]:
    """Authorization and a fresh Idempotency-Key, as the SDK sends on creating calls."""
    return {**_auth(student), **new_idempotency_key()}


async def _topup(connection: Connection, student: Student) -> None:
    body = {"amount_usd": str(TOPUP_USD)}
    answer = await connection.request(
        "POST", "/v1/account/topup", headers=_auth_once(student), json_body=body
    )
    student.checkout_url = expect(answer, 200).json()["data"]["checkout_url"]


async def _pay(connection: Connection, student: Student) -> None:
    page = expect(await connection.request("GET", student.checkout_url), 200)
    target, fields = pay_form(student.checkout_url, page.text)
    expect(await connection.request("POST", target, form=fields), 303)
    student.paid_usd = TOPUP_USD


async def _upgrade(connection: Connection, student: Student) -> None:
    body = {"target_tier": TIER}
    answer = await connection.request(
        "POST", "/v1/account/tier/upgrade", headers=_auth_once(student), json_body=body
    )
    expect(answer, 200)
    student.upgrade_usd = DEFAULT_TIER_PRICES[TIER]


_STEP_FUNCTIONS = {"activate": _activate, "topup": _topup, "pay": _pay, "upgrade": _upgrade}


async def _balances(url: str, class_list: list[Student]) -> dict[int, Decimal]:
    """Each activated student's balance as the API reports it after the class."""
    connection = Connection(url)
    balances = {}
    try:
        for student in class_list:
            if student.key:
                answer = await connection.request(
                    "GET", "/v1/account/balance", headers=_auth(student)
                )
                balances[student.number] = Decimal(
                    expect(answer, 200).json()["data"]["balance_usd"]
                )
    finally:
        await connection.close()
    return balances


def _row(class_list: list[Student], balances: dict[int, Decimal], seconds: float) -> Row:
    expected = {student.number: student.expected_usd for student in class_list if student.key}
    failures = [f"student {s.number}: {s.failed}" for s in class_list if s.failed]
    steps: dict[str, Row] = {}
    for step in STEPS:
        latencies = sorted(s.latencies_ms[step] for s in class_list if step in s.latencies_ms)
        steps[step] = p99_row(LoadResult(latencies, len(class_list) - len(latencies), seconds))
    worst = max(steps, key=lambda step: steps[step]["ratio"])
    return {
        **steps[worst],
        "worst_step": worst,
        "ledger_ok": not failures and balances == expected,
        "students": len(class_list),
        "seconds": round(seconds, 3),
        "balances_usd": f"{sum(balances.values(), Decimal(0)):.2f}",
        "expected_usd": f"{sum(expected.values(), Decimal(0)):.2f}",
        "failures": failures[:5],
        "steps": {
            step: {
                "p50_ms": row["p50_ms"],
                "p99_ms": row["p99_ms"],
                "p99_over_p50": row["ratio"],
                "requests": len([s for s in class_list if step in s.latencies_ms]),
            }
            for step, row in steps.items()
        },
    }
