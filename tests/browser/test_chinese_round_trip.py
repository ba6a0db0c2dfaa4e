"""A Chinese user's whole round trip in a real JupyterLab: cards, the form, checkout, an error.

The browser's locale is ``zh-CN`` (so it sends ``Accept-Language: zh-CN``) and the notebook
sets ``InfraiMagics.language = "zh-CN"``. The kernel starts its own sandbox and account;
the user sees the sandbox and activation cards and the top-up form in Chinese, tops up
$25, pays on the sandbox's checkout page (Chinese, because the browser asks for it), and
back in the notebook the form shows the new balance and a Chinese status without any cell
being run again. Last, a tier the account cannot afford fails with the Chinese 402 card,
which offers the top-up form. Money keeps its one format (``$25.00``) throughout.

The expected words are the catalogue's (``infrai_jupyter/locale/zh_CN/LC_MESSAGES`` and
the sandbox's ``infrai_sandbox.po``), not guesses. Screenshots of each step go to
``artifacts/browser/zh-*.png``; ``docs/screenshots/`` keeps copies of two.
"""

# The Chinese strings use full-width punctuation, as Chinese text does.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, expect

from .lab import LabNotebook

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_locale() -> tuple[str, str]:
    """A Chinese browser (the ``page`` and ``lab`` fixtures of the harness drive it)."""
    return "zh-CN", "Asia/Shanghai"


def _card(output: Locator, kind: str) -> Locator:
    card = output.locator(f"div.infrai-card.infrai-card-{kind}")
    expect(card).to_have_count(1)
    expect(card).to_be_visible()
    return card


def _title(card: Locator) -> Locator:
    return card.locator("strong.infrai-title")


def _top_up_button(form: Locator) -> Locator:
    """The form's submit button: "Top up" in Chinese."""
    return form.get_by_role("button", name="充值", exact=True)


def _prompts(nb: LabNotebook) -> list[str]:
    return [prompt.strip() for prompt in nb.cells.locator(".jp-InputPrompt").all_inner_texts()]


def test_a_chinese_user_tops_up_pays_and_meets_an_error_all_in_chinese(
    lab: LabNotebook, artifacts_dir: Path
) -> None:
    nb = lab.open_new("chinese-round-trip")
    assert lab.page.evaluate("navigator.language") == "zh-CN"
    nb.run_cell("%load_ext infrai_jupyter")
    nb.run_cell('%config InfraiMagics.language = "zh-CN"')

    # The sandbox card and the activation card.
    sandbox = _card(nb.run_cell("%infrai_sandbox start"), "sandbox")
    expect(_title(sandbox)).to_have_text("沙盒正在运行")
    expect(sandbox).to_contain_text("支付页面地址")
    expect(sandbox).not_to_contain_text("Sandbox running")
    activation = _card(nb.run_cell("%infrai_activate --no-write"), "activation")
    expect(_title(activation)).to_have_text("已激活")
    expect(activation.locator(".infrai-hero")).to_have_text("$2.00")
    expect(activation).to_contain_text("试用额度")
    expect(activation).to_contain_text("项目密钥")
    nb.screenshot(activation, "zh-card-activate")

    # The form: heading, labels, buttons.
    form = nb.run_cell("%infrai_topup")
    expect(_top_up_button(form)).to_be_enabled()
    expect(form.locator(".infrai-form-header strong")).to_have_text("充值")
    expect(form).to_contain_text("选择金额，点击“充值”，然后在支付页面付款；新的余额会显示在这里。")
    amount = form.get_by_role("textbox", name="金额（$）")
    expect(amount).to_have_attribute("placeholder", "例如 25")
    expect(form.get_by_role("textbox", name="返回 URL")).to_be_visible()
    expect(form.get_by_role("button", name="$25", exact=True)).to_be_visible()
    expect(form).not_to_contain_text("Top up")
    nb.screenshot(form, "zh-topup-1-form")

    # Enter an amount and create the top-up: the card is Chinese, the money is not.
    amount.fill("25")
    _top_up_button(form).click()
    link = form.locator("a.infrai-button", has_text="打开支付页面")
    expect(link).to_have_attribute("href", re.compile(r"^http://127\.0\.0\.1:\d+/checkout/tu_"))
    topup = form.locator(".infrai-card-topup")
    expect(topup.locator(".infrai-hero")).to_have_text("$25.00")
    expect(topup.locator(".infrai-badge")).to_have_text("待支付")
    expect(topup).to_contain_text("请在支付页面付款；付款后余额会自动更新。")
    nb.screenshot(form, "zh-topup-2-checkout-link")
    prompts_before = _prompts(nb)

    # Checkout follows the browser's language.
    checkout = nb.follow_link_to_new_page(link)
    expect(checkout.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(checkout).to_have_title("结账 · infrai sandbox")
    expect(checkout.get_by_role("heading", level=1)).to_have_text("充值")
    expect(checkout.locator(".amount")).to_have_text("$25.00")
    checkout.screenshot(path=artifacts_dir / "zh-topup-3-checkout-page.png")
    checkout.get_by_role("button", name="支付 $25.00").click()
    expect(checkout.get_by_role("heading", level=1)).to_have_text("付款成功")
    expect(checkout.get_by_text("已充值 $25.00")).to_be_visible()
    expect(checkout.get_by_text("您可以关闭此标签页，回到笔记本。")).to_be_visible()
    checkout.screenshot(path=artifacts_dir / "zh-topup-4-checkout-paid.png")
    nb.come_back(checkout)

    # Back in the notebook the payment watch brings the news, in Chinese; no cell runs.
    balance = form.locator('[role="status"] .infrai-card-balance')
    expect(balance.locator(".infrai-hero")).to_have_text("$27.00")
    expect(_title(balance)).to_have_text("余额")
    expect(topup.locator(".infrai-badge")).to_have_text("已支付")
    expect(form.locator("a.infrai-button")).to_have_count(0)
    expect(form).not_to_contain_text("Paid")
    assert _prompts(nb) == prompts_before
    nb.screenshot(form, "zh-topup-paid")

    # An error in Chinese: the team tier costs more than the $27.00 there is.
    failed = nb.run_cell("%infrai_upgrade team", allow_errors=True)
    error = _card(failed, "error")
    expect(_title(error)).to_have_text("余额不足")
    expect(failed).to_contain_text("INSUFFICIENT_CREDIT：余额不足（上面的卡片说明了接下来怎么做）")
    offered = failed.locator(".infrai-form")
    expect(offered.locator(".infrai-form-header strong")).to_have_text("充值")
    expect(_top_up_button(offered)).to_be_enabled()
    expect(error).to_contain_text("充值后，再次运行这个单元格：")
    # The form offered fills in what is missing: $99.00 - $27.00.
    expect(offered.get_by_role("textbox", name="金额（$）")).to_have_value("72.00")
    nb.screenshot_output(failed, "zh-card-402")
