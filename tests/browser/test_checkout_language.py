"""A Chinese browser pays on the sandbox's checkout page, and every step reads in Chinese.

No JupyterLab: a ``SandboxServer`` on loopback and headless Chromium whose locale is
``zh-CN``, so the language comes from the ``Accept-Language`` the browser itself sends.
The checks read the page's text, not pixels: a machine without CJK fonts draws boxes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from infrai_jupyter.sandbox import SandboxServer

from .conftest import VIEWPORT

pytestmark = pytest.mark.browser


@pytest.fixture
def chinese_page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context whose language is Simplified Chinese."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="UTC")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_chinese_browser_sees_checkout_pays_and_sees_the_paid_page_in_chinese(
    chinese_page: Page, sandbox: SandboxServer
) -> None:
    with httpx.Client(base_url=sandbox.url, timeout=30) as api:
        activation = api.post("/v1/activate", json={"device_fingerprint": secrets.token_hex(16)})
        key = activation.json()["data"]["primary_api_key"]
        topup = api.post(
            "/v1/account/topup",
            json={"amount_usd": 25},
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": secrets.token_hex(8)},
        )
    checkout_url = topup.json()["data"]["checkout_url"]
    page = chinese_page

    page.goto(checkout_url)
    expect(page).to_have_title("结账 · infrai sandbox")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("充值")
    expect(page.get_by_role("button", name="取消")).to_be_visible()

    page.get_by_role("button", name="支付 $25.00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("付款成功")
    expect(page.get_by_text("已充值 $25.00")).to_be_visible()
    expect(page.get_by_text("您可以关闭此标签页")).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(0)
