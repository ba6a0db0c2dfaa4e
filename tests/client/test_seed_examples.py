"""The seed's examples, verbatim but for the import, against a real sandbox.

Each snippet is executed as the seed prints it (``from infrai import …`` becomes
``from infrai_jupyter import …``), through the module-level ``infra`` and ``account``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from infrai_jupyter import _default
from infrai_jupyter.errors import InsufficientCreditError
from infrai_jupyter.sandbox import SandboxServer

ACTIVATE = """
from infrai_jupyter import infra

# One-line onboarding: anonymous account + device fingerprint + trial credit.
act = infra.activate()
print("activated:", act.ok, "| trial: $%.2f" % act.trial_credit_usd)
"""

BALANCE = """
from infrai_jupyter import account

bal = account.balance()
print("balance: $%s %s" % (bal.get("balance_usd"), bal.get("currency", "USD")))
"""

TOPUP = """
from infrai_jupyter import account

# Returns a hosted checkout_url to hand the user; the SDK never touches card data.
t = account.topup(
    amount_usd=25.0,
    return_url="https://app.example.com/billing/return",
)
print("state:", t.get("state"))
print("complete payment at:", t.get("checkout_url") or t.get("next_action_url"))
"""

KEYS = """
from infrai_jupyter import account

for k in account.keys.list().get("items", []):
    print(k.get("key_id"), k.get("label"), k.get("created_at"))
"""

UPGRADE = """
from infrai_jupyter import account

print("tier:", account.tier.upgrade(target_tier="pro").get("tier"))
"""


def run(snippet: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Execute a seed snippet as a script would; return what it printed, line by line."""
    exec(compile(snippet, "<seed example>", "exec"), {"__name__": "__main__"})
    return capsys.readouterr().out.splitlines()


@pytest.fixture
def seeded(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    """The seed's one-time setup: point at the sandbox and run the activation example."""
    monkeypatch.setenv("INFRAI_BASE_URL", sandbox.url)
    _default.reset()
    return sandbox


def test_activate_prints_ok_and_the_trial(
    seeded: SandboxServer, capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    assert run(ACTIVATE, capsys) == ["activated: True | trial: $2.00"]
    assert (home / ".infrai" / "credentials").is_file()


def test_balance_prints_the_trial_credit_in_usd(
    seeded: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ACTIVATE, capsys)
    assert run(BALANCE, capsys) == ["balance: $2.00 USD"]


def test_topup_prints_a_pending_state_and_a_checkout_url_on_the_sandbox(
    seeded: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ACTIVATE, capsys)
    state, link = run(TOPUP, capsys)
    assert state == "state: requires_payment"
    url = link.removeprefix("complete payment at: ")
    assert re.fullmatch(re.escape(seeded.url) + r"/checkout/tu_[A-Za-z0-9_\-]+", url)
    page = httpx.get(url)
    assert page.status_code == 200
    assert "$25.00" in page.text


def test_keys_print_id_label_and_creation_time(
    seeded: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ACTIVATE, capsys)
    (line,) = run(KEYS, capsys)
    key_id, label, created_at = line.split(" ", 2)
    assert key_id.startswith("key_")
    assert label == "primary"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00:00", created_at)


def test_upgrade_needs_credit_then_succeeds_after_a_paid_topup(
    seeded: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ACTIVATE, capsys)
    with pytest.raises(InsufficientCreditError) as raised:
        run(UPGRADE, capsys)
    assert raised.value.status_code == 402
    assert raised.value.code == "INSUFFICIENT_CREDIT"
    assert raised.value.details["missing_usd"] == Decimal("18")
    assert capsys.readouterr().out == ""

    _, link = run(TOPUP, capsys)
    checkout_url = link.removeprefix("complete payment at: ")
    page = httpx.get(checkout_url).text
    form = re.search(
        r'<form method="post" action="([^"]+/pay)">'
        r'<input type="hidden" name="form_token" value="([^"]+)">',
        page,
    )
    assert form is not None  # the user presses Pay on the page, which sends its form
    paid = httpx.post(seeded.url + form.group(1), data={"form_token": form.group(2)})
    assert paid.status_code == 303
    assert paid.headers["location"].startswith("https://app.example.com/billing/return?")

    assert run(UPGRADE, capsys) == ["tier: pro"]
    assert run(BALANCE, capsys) == ["balance: $7.00 USD"]


def test_a_returning_session_reads_the_saved_credentials(
    seeded: SandboxServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seed's one-time ``infra.activate()``; later sessions need no configuration."""
    run(ACTIVATE, capsys)
    monkeypatch.delenv("INFRAI_BASE_URL")
    _default.reset()  # a new Python process
    assert run(BALANCE, capsys) == ["balance: $2.00 USD"]
    assert _default.default_client().base_url == seeded.url
