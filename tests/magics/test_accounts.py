"""A session trusted with money, in a real kernel, against the sandbox and a hosted-like server.

The flow a new user takes: activate, add $30, activate again (the funded account
stays), make another on purpose, list and switch, sign out, sign in through the
password field, read the usage ledger. Then the saved notebook is searched for every
key the kernel ever received.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup

from infrai_jupyter.sandbox import SandboxServer
from infrai_jupyter.sandbox.teaching import pay_checkout

from .hosted_like import HostedLikeServer
from .kernel import CellRun, Kernel, start_kernel

RESULT_MIME = "application/vnd.infrai.result+json"

Payer = Callable[[dict[str, Any]], None]


@pytest.fixture(params=["sandbox", "hosted-like"])
def server(
    request: pytest.FixtureRequest, outer_sandbox: SandboxServer
) -> Iterator[tuple[str, Payer]]:
    """The server's URL and how its checkout gets paid (as the user would, in a browser)."""
    if request.param == "sandbox":
        yield outer_sandbox.url, lambda topup: _ignore(pay_checkout(topup["checkout_url"]))
        return
    with HostedLikeServer() as hosted:
        yield hosted.url, lambda topup: hosted.pay(topup["topup_id"])


def _ignore(_answer: object) -> None:
    """The checkout's redirect is not needed: the balance says whether it was paid."""


@pytest.fixture
def kernel() -> Iterator[Kernel]:
    with start_kernel() as kernel:
        yield kernel


def ok(kernel: Kernel, code: str) -> CellRun:
    run = kernel.run(code)
    assert not run.failed, f"{code!r} failed: {run.reply}\n{run.stderr}"
    return run


def value(run: CellRun) -> dict[str, Any]:
    (result,) = run.of_type("execute_result")
    return dict(result["data"])


def shown_text(run: CellRun) -> str:
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ") for html in run.html())


def balance(kernel: Kernel) -> Decimal:
    return Decimal(str(value(ok(kernel, "%infrai_balance"))[RESULT_MIME]["balance_usd"]))


def kept_keys(kernel: Kernel) -> list[str]:
    document = json.loads((kernel.home / ".infrai" / "credentials").read_text())
    return [entry["api_key"] for entry in document["accounts"]]


def test_no_account_is_ever_lost_and_no_key_reaches_the_notebook(
    kernel: Kernel, server: tuple[str, Payer]
) -> None:
    url, pay = server
    ok(kernel, "%load_ext infrai_jupyter")
    ok(kernel, f"%env INFRAI_BASE_URL={url}")
    first = value(ok(kernel, "%infrai_activate"))[RESULT_MIME]
    pay(value(ok(kernel, "%infrai_topup 30"))[RESULT_MIME])
    assert balance(kernel) == Decimal("32")

    # Re-running the activation cell: the funded account stays, and the card says how
    # to make another on purpose.
    again = kernel.run("%infrai_activate")
    card = shown_text(again)
    assert "%infrai_activate --new" in card and "Its balance: $32.00." in card
    assert first["account_id"] in card and "ifr_pk_proj_…" in card
    assert balance(kernel) == Decimal("32")
    assert len(kept_keys(kernel)) == 1

    second = value(ok(kernel, "%infrai_activate --new"))[RESULT_MIME]
    assert second["account_id"] != first["account_id"]
    assert len(kept_keys(kernel)) == 2  # the funded one is still on disk
    listed = shown_text(ok(kernel, "%infrai_accounts"))
    assert first["account_id"] in listed and second["account_id"] in listed
    assert "$32.00" in listed and "in use" in listed

    ok(kernel, f"%infrai_accounts --use {first['account_id']}")
    assert balance(kernel) == Decimal("32")

    # Sign out: a call needing a key now sends nothing and says the three ways in.
    assert "Signed out" in str(value(ok(kernel, "%infrai_logout"))["text/plain"])
    refused = kernel.run("%infrai_balance")
    assert refused.failed and "%infrai_login" in shown_text(refused)

    # Sign in through the password field, as a front end fills it in.
    funded_key = kept_keys(kernel)[0]
    (kernel.home / "key.txt").write_text(funded_key)
    ok(kernel, "form = %infrai_login")
    ok(
        kernel,
        "import os\n"
        "form.password.set_state({'value': open(os.path.join(os.environ['HOME'], 'key.txt'))"
        ".read()})\n"
        "form.button.click()",
    )
    state = json.loads(ok(kernel, "import json; print(json.dumps(form.get_state()))").stdout)
    assert state is not None
    field = json.loads(ok(kernel, "print(json.dumps(form.password.get_state()))").stdout)
    assert field["value"] == ""  # cleared the moment it was read
    assert "Signed in with ifr_pk_proj_…" in ok(kernel, "print(form.status.value)").stdout
    assert balance(kernel) == Decimal("32")

    assert "Upgraded to pro — charged $20.00." in shown_text(ok(kernel, "%infrai_upgrade pro"))
    assert "Already on pro — nothing charged." in shown_text(ok(kernel, "%infrai_upgrade pro"))
    assert balance(kernel) == Decimal("12")

    usage = shown_text(ok(kernel, "%infrai_usage"))
    for capability in ("infra.activate", "account.topup", "account.balance"):
        assert capability in usage
    csv_text = ok(kernel, "u = %infrai_usage\nprint(u.to_csv())").stdout
    assert csv_text.startswith("time,capability,status,cost_usd,latency_ms,request_id")

    saved = json.dumps(kernel.notebook(), ensure_ascii=False)
    for key in kept_keys(kernel):
        secret = key[len("ifr_pk_proj_") : -4]
        assert secret not in saved
        assert all(secret not in json.dumps(run.outputs) for run in kernel.runs)


def test_logout_forget_deletes_the_key_from_disk(kernel: Kernel, server: tuple[str, Payer]) -> None:
    url, _ = server
    ok(kernel, "%load_ext infrai_jupyter")
    ok(kernel, f"%env INFRAI_BASE_URL={url}")
    act = value(ok(kernel, "%infrai_activate"))[RESULT_MIME]
    ok(kernel, f"%infrai_logout --forget --yes  # {act['account_id']}")
    assert not (kernel.home / ".infrai" / "credentials").exists()
    assert "No account is kept yet" in shown_text(ok(kernel, "%infrai_accounts"))


def test_the_embedded_sandbox_account_is_listed_and_said_to_be_unsaved(kernel: Kernel) -> None:
    """A sandbox key is never written to disk: the list shows it in use all the same,
    with its balance, and a second activation does not promise it stays kept."""
    ok(kernel, "%load_ext infrai_jupyter")
    act = value(ok(kernel, "%infrai_activate --sandbox"))[RESULT_MIME]
    listed = shown_text(ok(kernel, "%infrai_accounts"))
    assert "in use, not kept" in listed and f"${act['trial_credit_usd']:.2f}" in listed
    assert "embedded sandbox's keys" in listed and "gone when this kernel stops" in listed
    assert "No account is kept yet" not in listed
    assert not (kernel.home / ".infrai" / "credentials").exists()

    again = shown_text(kernel.run("%infrai_activate"))
    assert "this key is not kept on this computer" in again
    assert "every key stays kept" not in again
    assert "%infrai_activate --new" in again
