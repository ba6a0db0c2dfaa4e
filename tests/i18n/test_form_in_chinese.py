"""The top-up and sign-in forms in Chinese: built in zh-CN, every state they reach speaks
it (labels, buttons, placeholders, tooltips, field errors, notices, the cards inside).

The client answers from a ``MockTransport``: the states are the form's, not a server's.
"""

# The Chinese strings use full-width punctuation, as Chinese text does.
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ipywidgets import HTML, Button, Checkbox, Password, Text

from infrai_jupyter import _i18n
from infrai_jupyter._client import InfraiClient
from infrai_jupyter.widgets import TopupForm
from infrai_jupyter.widgets.login import LoginForm

from .chinese import english_runs, visible_text

KEY = "ifr_pk_proj_" + "a1B2" * 8
BASE_URL = "https://api.infrai.cc"
TOPUP = {
    "topup_id": "tu_01",
    "amount_usd": 25,
    "state": "requires_payment",
    "checkout_url": "https://pay.infrai.cc/checkout/tu_01",
}


@pytest.fixture(autouse=True)
def _clean_language(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "INFRAI_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(_i18n, "_chosen", None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _envelope(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "data": data, "error": None, "metadata": {}})


def _server(topup_state: str = "requires_payment") -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/account/balance":
            return _envelope({"balance_usd": 27, "currency": "USD"})
        return _envelope({**TOPUP, "state": topup_state})

    return answer


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


@pytest.fixture
def make_form() -> Iterator[Callable[..., TopupForm]]:
    forms: list[TopupForm] = []

    def make(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> TopupForm:
        options.setdefault("api_key", KEY)
        client = InfraiClient(
            base_url=BASE_URL,
            max_retries=0,
            http_client=httpx.Client(transport=httpx.MockTransport(handler)),
            **options,
        )
        with _i18n.language("zh-CN"):
            form = TopupForm(client, watch_interval=3600, owns_client=True)
        forms.append(form)
        return form

    yield make
    for form in forms:
        form.close()


def form_text(form: TopupForm) -> str:
    """Everything the form shows: its HTML areas and each widget's words."""
    parts: list[str] = []
    pending: list[Any] = [form]
    while pending:
        widget = pending.pop()
        pending.extend(getattr(widget, "children", ()))
        if isinstance(widget, HTML):
            parts.append(visible_text(widget.value))
        if isinstance(widget, (Text, Button, Checkbox, Password)):
            parts.append(visible_text(widget.description))
            parts += [str(getattr(widget, name, "") or "") for name in ("placeholder", "tooltip")]
    return "\n".join(parts)


def _assert_chinese(text: str, *server_words: str) -> None:
    left = english_runs(text, server_words)
    assert not left, f"English left in the Chinese form: {left}\n---\n{text}"


def test_a_form_built_in_chinese_speaks_chinese(make_form: Callable[..., TopupForm]) -> None:
    form = make_form(_server())
    text = form_text(form)
    _assert_chinese(text)
    assert form.submit.description == "充值"
    assert form.amount.description == "金额（$）"
    assert form.amount.placeholder == "例如 25"
    assert [button.description for button in form.preset_buttons] == ["$5", "$10", "$25", "$50"]
    with _i18n.language("zh-CN"):
        assert (
            repr(form) == "infrai 充值表单：请在 JupyterLab 中打开使用，或运行 %infrai_topup 25.00"
        )


@pytest.mark.parametrize(
    ("amount", "return_url", "problem"),
    [
        ("", "", "请输入以美元计的金额，例如 25。"),
        ("twenty", "", "“twenty” 不是以美元计的数字；请输入例如 25 或 9.99。"),
        ("1.234", "", "最多保留 2 位小数（精确到分），例如 9.99。"),
        ("20000", "", "金额最多为 $10,000.00。"),
        ("5", "javascript:alert(1)", "不是完整的 http:// 或 https:// 地址"),
    ],
)
def test_field_problems_speak_chinese(
    make_form: Callable[..., TopupForm], amount: str, return_url: str, problem: str
) -> None:
    form = make_form(_server())
    with _i18n.language("zh-CN"):
        form.amount.value = amount
        form.return_url.value = return_url
        form.submit.click()
    text = form_text(form)
    assert problem in text
    _assert_chinese(text)


def test_a_pasted_key_is_cleared_with_a_chinese_notice(
    make_form: Callable[..., TopupForm],
) -> None:
    form = make_form(_server())
    with _i18n.language("zh-CN"):
        form.return_url.value = KEY
    assert "这看起来像项目密钥" in form.message.value
    _assert_chinese(form_text(form))


@pytest.mark.parametrize("state", ["requires_payment", "succeeded", "canceled"])
def test_every_answer_the_form_shows_speaks_chinese(
    make_form: Callable[..., TopupForm], state: str
) -> None:
    form = make_form(_server(state))
    with _i18n.language("zh-CN"):
        form.amount.value = "25"
        form.submit.click()
        if state == "requires_payment":
            form.check.click()  # "not paid yet", from the Check payment button
    text = form_text(form)
    _assert_chinese(text)
    assert "$25.00" in text


def test_failures_and_the_watch_notices_speak_chinese(
    make_form: Callable[..., TopupForm],
) -> None:
    unreachable = make_form(_refused)
    signed_out = make_form(_server(), api_key=None)
    with _i18n.language("zh-CN"):
        for form in (unreachable, signed_out):
            form.amount.value = "25"
            form.submit.click()
        watched = make_form(_server())
        watched.amount.value = "25"
        watched.submit.click()
        watched._on_watch_expired()
    _assert_chinese(form_text(unreachable), "ConnectError: [Errno 111] Connection refused")
    assert "无法连接 infrai API" in form_text(unreachable)
    _assert_chinese(form_text(signed_out))
    assert "尚未登录" in form_text(signed_out)
    _assert_chinese(form_text(watched))
    assert "已在 10 分钟后停止自动查询" in form_text(watched)


def test_the_sign_in_form_speaks_chinese() -> None:
    with _i18n.language("zh-CN"):
        form = LoginForm(lambda key, save: "ok")
        form.button.click()  # nothing pasted
    text = "\n".join(
        [
            form.password.description,
            form.save.description,
            form.button.description,
            visible_text(form.status.value),
        ]
    )
    _assert_chinese(text)
    assert form.button.description == "登录"
    assert "请先在输入框中粘贴你的项目密钥。" in text


def test_a_form_built_in_english_stays_english(make_form: Callable[..., TopupForm]) -> None:
    client = InfraiClient(
        base_url=BASE_URL,
        api_key=KEY,
        http_client=httpx.Client(transport=httpx.MockTransport(_server())),
    )
    form = TopupForm(client, owns_client=True)
    try:
        assert form.submit.description == "Top up"
        assert form.amount.description == "Amount ($)"
        assert "Add funds" in form.heading.value
    finally:
        form.close()
