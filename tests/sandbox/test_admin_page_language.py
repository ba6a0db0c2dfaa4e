"""The teacher's page in the browser's language, over a real loopback socket.

Every state of the page (signed out, refused, the class empty and full, each notice,
each refusal, the reset confirmation, 403 and 429) is rendered with ``Accept-Language:
zh-CN`` and searched for English with the checkout pages' detector; the same states
stay English by default. Like the checkout's, these run on SQLite alone: the language
comes from the request, the flows are tested on both engines in test_admin_page.py.
"""

# Chinese punctuation is full-width, as a Chinese reader expects: not a typo.
# ruff: noqa: RUF001

from __future__ import annotations

import re

import httpx
import pytest
from bs4 import BeautifulSoup

from infrai_jupyter.sandbox import SandboxServer

from .conftest import SandboxFactory, activate, create_topup
from .test_admin_page import follow, form, sign_in
from .test_pages_language import (
    CHINESE,
    ENGLISH,
    assert_all_chinese,
    assert_speaks,
    visible_text,
)

pytestmark = pytest.mark.parametrize("sandbox_engine", ["sqlite"])

REFUSED_AMOUNTS = ("", "abc", "nan", "0", "20000", "12.345")
STARTED_RATE_LIMIT = 1000


def _press(teacher: httpx.Client, switch: str, count: str = "") -> httpx.Response:
    """Press a scenario switch's button with ``count`` typed in (the answer, not followed)."""
    return form(teacher.get("/admin"), "scenario", switch=switch).submit(teacher, count=count)


def every_admin_page_state(
    sandbox_factory: SandboxFactory, sandbox: SandboxServer, headers: dict[str, str]
) -> dict[str, httpx.Response]:
    """Each page the teacher can be shown, as a browser sending ``headers`` receives it."""
    pages: dict[str, httpx.Response] = {}
    with (
        httpx.Client(base_url=sandbox.url, headers=headers, timeout=30) as teacher,
        httpx.Client(base_url=sandbox.url, timeout=30) as student,
    ):
        pages["signed out"] = teacher.get("/admin")
        pages["wrong token"] = sign_in(teacher, "not-the-admin-token")
        pages["no accounts"] = follow(teacher, sign_in(teacher, sandbox.admin_token))
        account = activate(student)
        create_topup(student, account, 5)  # pending, for "expire"
        pages["accounts"] = teacher.get("/admin")
        pages["accounts, live"] = teacher.get("/admin?live=1")

        grant = form(pages["accounts"], "grant", account_id=account.account_id)
        for typed in REFUSED_AMOUNTS:
            pages[f"grant refused {typed!r}"] = grant.submit(teacher, amount_usd=typed)
        pages["grant to nobody"] = grant.submit(teacher, account_id="acct_nobody", amount_usd="5")
        pages["granted"] = follow(teacher, grant.submit(teacher, amount_usd="5"))

        pages["expired"] = follow(teacher, _press(teacher, "expire"))
        for switch, count in (("decline", "1"), ("fail", "2"), ("rate", "3")):
            pages[f"{switch} on"] = follow(teacher, _press(teacher, switch, count))
        pages["count refused"] = _press(teacher, "fail", "two")
        pages["forbidden"] = teacher.post("/admin/reset")  # no form token
        pages["reset confirmation"] = teacher.get("/admin/reset")
        reset = form(pages["reset confirmation"], "reset").submit(teacher)
        pages["reset"] = follow(teacher, reset)

    # Another server of the class, started with a rate limit and strict about tokens.
    limited = sandbox_factory(rate_limit_per_minute=STARTED_RATE_LIMIT, auth_failures_per_minute=1)
    with httpx.Client(base_url=limited.url, headers=headers, timeout=30) as teacher:
        pages["started with a limit"] = follow(teacher, sign_in(teacher, limited.admin_token))
        assert sign_in(teacher, "a-first-guess").status_code == 401
        pages["too many wrong tokens"] = sign_in(teacher, "a-second-guess")
    return pages


EXPECTED_STATUS = {
    "signed out": 401,
    "wrong token": 401,
    "grant to nobody": 422,
    "count refused": 422,
    "forbidden": 403,
    "too many wrong tokens": 429,
}


def test_every_admin_page_state_in_chinese_shows_no_english(
    sandbox_factory: SandboxFactory, sandbox: SandboxServer
) -> None:
    pages = every_admin_page_state(sandbox_factory, sandbox, CHINESE)
    assert len(pages) == 23
    assert_all_chinese(pages, EXPECTED_STATUS)


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["no Accept-Language", "en-US"])
def test_every_admin_page_state_stays_english_by_default(
    sandbox_factory: SandboxFactory, sandbox: SandboxServer, headers: dict[str, str]
) -> None:
    for state, page in every_admin_page_state(sandbox_factory, sandbox, headers).items():
        assert_speaks(page, "en")
        assert not re.search(r"[\u4e00-\u9fff]", page.text), state


def _state_of(page: httpx.Response, switch: str) -> str:
    """What the scenario card whose form throws ``switch`` says is in effect."""
    soup = BeautifulSoup(page.text, "html.parser")
    field = soup.find("input", attrs={"name": "switch", "value": switch})
    card = field.find_parent(class_="switch") if field else None
    state = card.find(class_=["state", "muted"]) if card else None
    assert state is not None, (switch, page.text)
    return state.get_text()


def test_the_chinese_page_says_what_a_teacher_needs(
    sandbox_factory: SandboxFactory, sandbox: SandboxServer
) -> None:
    pages = every_admin_page_state(sandbox_factory, sandbox, CHINESE)
    shown = {state: visible_text(page) for state, page in pages.items()}
    assert "<title>教师页面 · infrai sandbox</title>" in pages["signed out"].text
    assert "管理员令牌" in shown["signed out"] and "登录" in shown["signed out"]
    assert "这不是此沙盒的管理员令牌。" in shown["wrong token"]
    assert "请在 " in shown["too many wrong tokens"]
    assert pages["too many wrong tokens"].headers["Retry-After"]
    assert "还没有账户" in shown["no accounts"] and "%infrai_activate" in shown["no accounts"]

    # The class list: headers and narrow-screen labels in Chinese, data and money as they are.
    soup = BeautifulSoup(pages["accounts"].text, "html.parser")
    headers = [th.get_text() for th in soup.find_all("th")]
    assert headers == ["账户", "等级", "余额", "创建时间（UTC）", "发放额度"]
    (row,) = soup.find("tbody").find_all("tr")  # type: ignore[union-attr]
    cells = {cell["data-label"]: cell.get_text(" ", strip=True) for cell in row.find_all("td")}
    assert list(cells) == ["账户", "等级", "余额", "创建时间", "发放"]
    assert cells["账户"].startswith("acct_") and cells["等级"] == "free"
    assert cells["余额"] == "$2.00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", cells["创建时间"])
    assert f"发放给 {cells['账户']} 的金额（美元）" in shown["accounts"]
    assert re.search(r"数据截至 UTC \d\d:\d\d:\d\d。", shown["accounts"])
    assert "停止实时更新" in shown["accounts, live"]
    assert "每 5 秒更新一次" in shown["accounts, live"]

    # Each refusal says why in Chinese, the amount's in the contract's words.
    assert "未发放任何额度。最多保留 2 位小数" in shown["grant refused '12.345'"]
    assert "“abc”" in shown["grant refused 'abc'"]
    assert "此班级中没有账户“acct_nobody”" in shown["grant to nobody"]
    assert "请输入 0 到 1,000,000 之间的整数。" in shown["count refused"]
    assert "没有做任何更改" in shown["forbidden"]

    # Each notice, and each switch's state.
    assert "额度已发放" in shown["granted"] and "$7.00" in shown["granted"]
    assert "已让待支付的充值过期：1 笔。" in shown["expired"]
    assert "场景已保存" in shown["rate on"]
    assert _state_of(pages["decline on"], "decline") == "已开启：接下来的 1 次“支付”将被拒绝。"
    assert _state_of(pages["fail on"], "fail") == "已开启：接下来的 2 次 API 调用将返回 503。"
    assert _state_of(pages["rate on"], "rate").startswith("已开启：每个密钥每分钟 3 次调用")
    assert _state_of(pages["no accounts"], "rate") == "已关闭（不限速）"
    assert _state_of(pages["started with a limit"], "rate") == (
        f"已关闭（按启动时的设置：每分钟 {STARTED_RATE_LIMIT} 次）"
    )
    assert "将删除的账户：1 个。" in shown["reset confirmation"]
    assert "是的，清空班级" in shown["reset confirmation"]
    assert "班级已清空" in shown["reset"] and "账户（0）" in shown["reset"]
