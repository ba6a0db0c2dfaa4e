"""The teacher's page in a real browser: sign in, watch the class, grant, fail, reset.

No JupyterLab: a ``SandboxServer`` on loopback, students made over HTTP, the teacher in
headless Chromium. Screenshots go to ``artifacts/browser/admin-*.png`` (1280 px wide
and 500 px); ``docs/screenshots/`` keeps copies.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from infrai_jupyter.sandbox import SandboxServer

pytestmark = pytest.mark.browser


def _activate(api: httpx.Client) -> tuple[str, dict[str, str]]:
    """A new student: their account id and the headers that authenticate as them."""
    response = api.post("/v1/activate", json={"device_fingerprint": secrets.token_hex(16)})
    data = response.json()["data"]
    return data["account_id"], {"Authorization": f"Bearer {data['primary_api_key']}"}


def _balance_status(api: httpx.Client, headers: dict[str, str]) -> int:
    return api.get("/v1/account/balance", headers=headers).status_code


def _shoot(page: Page, path: Path) -> None:
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")


def test_a_teacher_signs_in_grants_fails_calls_and_resets_the_class(
    page: Page, sandbox: SandboxServer, artifacts_dir: Path
) -> None:
    with httpx.Client(base_url=sandbox.url, timeout=30) as api:
        student, headers = _activate(api)

        page.goto(sandbox.admin_url)
        page.get_by_label("Admin token").fill("a-guess-at-the-token")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("That is not this sandbox's admin token.")
        expect(page.get_by_label("Admin token")).to_have_attribute("aria-invalid", "true")
        _shoot(page, artifacts_dir / "admin-sign-in.png")
        page.get_by_label("Admin token").fill(sandbox.admin_token)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Teacher's page")).to_be_visible()
        assert sandbox.admin_token not in page.url

        row = page.get_by_role("row").filter(has_text=student)
        expect(row).to_contain_text("$2.00")
        amount = page.get_by_label(f"Dollars to grant to {student}")
        amount.fill("5")
        page.keyboard.press("Tab")  # the keyboard reaches Grant, and shows where it is
        grant = row.get_by_role("button", name="Grant")
        expect(grant).to_be_focused()
        assert grant.evaluate("button => getComputedStyle(button).outlineStyle") == "solid"
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("Credit granted")
        expect(row).to_contain_text("$7.00")
        assert api.get("/v1/account/balance", headers=headers).json()["data"]["balance_usd"] == 7

        card = page.locator(".switch").filter(has_text="Fail API calls (503)")
        card.get_by_label("Calls to fail").fill("2")
        card.get_by_role("button", name="Set").click()
        expect(card.locator(".state")).to_have_text("On: the next 2 API calls answer 503.")
        _shoot(page, artifacts_dir / "admin-page.png")
        page.set_viewport_size({"width": 500, "height": 900})
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 500
        expect(page.get_by_label(f"Dollars to grant to {student}")).to_be_visible()
        _shoot(page, artifacts_dir / "admin-page-500.png")
        page.set_viewport_size({"width": 1280, "height": 900})
        assert [_balance_status(api, headers) for _ in range(3)] == [503, 503, 200]

        page.get_by_role("link", name="Watch live").click()
        second, _ = _activate(api)
        expect(page.get_by_role("row").filter(has_text=second)).to_be_visible()  # no click
        expect(card.locator(".state")).to_have_text("Off")  # both failures were used up

        page.goto(sandbox.admin_url)  # stop the live reloads before the next step
        page.get_by_role("link", name="Reset the class…").click()
        expect(page.get_by_role("heading", name="Empty the class?")).to_be_visible()
        expect(page.get_by_text("Accounts to delete: 2.")).to_be_visible()
        _shoot(page, artifacts_dir / "admin-reset-confirm.png")
        page.get_by_role("button", name="Yes, empty the class").click()
        expect(page.get_by_role("heading", name="Accounts (0)")).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("The class is empty")
        assert _balance_status(api, headers) == 401
