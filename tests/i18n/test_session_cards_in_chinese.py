# The Chinese strings use full-width punctuation, as Chinese text does.
# ruff: noqa: RUF001
"""What the session shows about itself, in Simplified Chinese: the ``%infrai`` card, the
sandbox card in every state, the class sandbox, the next step under every error card,
the doctor's report, and the messages ``%infrai_topup abc`` and a refused
``%config InfraiMagics.sandbox_public_url`` show. No English phrase is left (see
:mod:`.chinese` for what may stay English); English stays the default.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from IPython.core.error import UsageError
from traitlets import TraitError

from infrai_jupyter import _default, _doctor, _i18n
from infrai_jupyter._client import InfraiClient
from infrai_jupyter.display import (
    Card,
    CardLink,
    joined_card,
    render_html,
    render_markdown,
    render_text,
    sandbox_card,
    session_card,
)
from infrai_jupyter.display.session_card import _KEY_SOURCES, CheckoutRoute, SandboxChange
from infrai_jupyter.errors import (
    AccountExistsError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    CredentialsError,
    InfraiError,
    InsufficientCreditError,
    MalformedResponseError,
    NotFoundError,
)
from infrai_jupyter.magics.accounts import _widgets_verdict
from infrai_jupyter.magics.core import InfraiMagics
from infrai_jupyter.magics.session import MAGICS, Session

from .chinese import english_runs, visible_text

KEY = "ifr_pk_proj_" + "a1B2" * 8
BASE_URL = "https://api.infrai.cc"
SANDBOX_URL = "http://127.0.0.1:8765"
CREDENTIALS_PATH = "/home/ada/.infrai/credentials"
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No locale, no INFRAI_* or proxy variables, a private HOME, a fresh default client."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "INFRAI_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    for variable in ("INFRAI_BASE_URL", *_doctor.NETWORK_ENV):
        monkeypatch.delenv(variable, raising=False)
    for variable in [name for name in os.environ if name.startswith("VSCODE_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setattr(_i18n, "_chosen", None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    _default.reset()
    yield
    _default.reset()


def _all_formats(card: Card) -> str:
    """The card as HTML shows it, as text, and as Markdown reads once its escapes are gone."""
    markdown = re.sub(r"\\(.)", r"\1", render_markdown(card))
    return "\n".join([visible_text(render_html(card)), render_text(card), markdown])


def _assert_chinese(text: str, *not_ours: str) -> None:
    left = english_runs(text, not_ours)
    assert not left, f"English left in the Chinese text: {left}\n---\n{text}"


def _in_chinese(make: Callable[[], Any]) -> Any:
    with _i18n.language("zh-CN"):
        return make()


# ------------------------------------------------------------------ the session card

MODES = {
    "sandbox": {"base_url": SANDBOX_URL, "embedded_sandbox": True},
    "hosted": {"base_url": BASE_URL, "embedded_sandbox": False},
    "custom": {"base_url": "https://lab.example.org/infrai", "embedded_sandbox": False},
}
KEY_SOURCES = [*_KEY_SOURCES, CREDENTIALS_PATH]


def _session_card(mode: str, key_source: str, api_key: str | None) -> Card:
    commands = tuple((magic, _i18n.gettext(what)) for magic, what in MAGICS)
    return session_card(
        api_key=api_key, key_source=key_source, region="auto", commands=commands, **MODES[mode]
    )


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("key_source", KEY_SOURCES)
@pytest.mark.parametrize("api_key", [KEY, None], ids=["with key", "without key"])
def test_the_session_card_speaks_chinese(mode: str, key_source: str, api_key: str | None) -> None:
    _assert_chinese(_in_chinese(lambda: _all_formats(_session_card(mode, key_source, api_key))))


def test_the_session_card_reads_as_a_chinese_user_expects() -> None:
    text = _in_chinese(lambda: render_text(_session_card("hosted", "INFRAI_API_KEY", None)))
    assert "infrai 会话" in text
    assert "托管 API" in text and "环境变量 INFRAI_API_KEY" in text
    assert "还没有项目密钥：请运行 %infrai_activate，或设置 INFRAI_API_KEY。" in text
    assert "查看钱包余额" in text and "%infrai_balance [--watch S]" in text
    sandbox = _in_chinese(lambda: render_text(_session_card("sandbox", "none", None)))
    assert "沙盒（在本内核中运行）" in sandbox and "暂无" in sandbox


def test_the_session_card_stays_english_by_default() -> None:
    text = _all_formats(_session_card("custom", "activation", KEY))
    assert not _CHINESE.search(text), text
    for words in ("infrai session", "custom server", "activation in this session",
                  "What it does", "what this session is connected to"):  # fmt: skip
        assert words in text


def test_a_file_path_as_the_key_source_is_shown_as_it_is() -> None:
    text = _in_chinese(lambda: render_text(_session_card("hosted", CREDENTIALS_PATH, KEY)))
    assert CREDENTIALS_PATH in text


# ------------------------------------------------------------------ the sandbox card


@pytest.mark.parametrize("change", get_args(SandboxChange))
def test_the_stopped_sandbox_card_speaks_chinese(change: SandboxChange) -> None:
    english = _all_formats(sandbox_card(None, change))
    chinese = _in_chinese(lambda: _all_formats(sandbox_card(None, change)))
    _assert_chinese(chinese)
    assert not _CHINESE.search(english) and chinese != english


@pytest.mark.parametrize("route", get_args(CheckoutRoute))
@pytest.mark.parametrize("setting_changed", [False, True], ids=["", "setting changed"])
def test_the_running_sandbox_card_speaks_chinese_for_every_route(
    route: CheckoutRoute, setting_changed: bool
) -> None:
    public_url = {"jupyter proxy": "/user/ada/proxy/8765", "colab": "https://8765-x.colab.dev"}

    def card() -> Card:
        return sandbox_card(
            SANDBOX_URL,
            public_url=public_url.get(route),
            route=route,
            setting_changed=setting_changed,
        )

    chinese = _in_chinese(lambda: _all_formats(card()))
    _assert_chinese(chinese)
    assert "沙盒正在运行" in chinese and "%infrai_sandbox stop" in chinese
    assert ("下次启动起生效" in chinese) == setting_changed
    assert not _CHINESE.search(_all_formats(card()))


def test_the_checkout_route_through_the_proxy_names_its_address_in_chinese() -> None:
    def text() -> str:
        return render_text(
            sandbox_card(SANDBOX_URL, public_url="/user/ada/proxy/8765", route="jupyter proxy")
        )

    assert "支付页面通过 Jupyter 服务器的代理在 /user/ada/proxy/8765 打开" in _in_chinese(text)
    assert "Checkout opens through the Jupyter server's proxy at /user/ada/proxy/8765" in text()


def test_the_class_sandbox_card_speaks_chinese() -> None:
    chinese = _in_chinese(lambda: _all_formats(joined_card("https://class.example.org/sandbox")))
    _assert_chinese(chinese)
    assert "正在使用班级沙盒" in chinese and "用完后运行" in chinese
    assert "In a class sandbox" in render_text(joined_card("https://class.example.org/sandbox"))


# ----------------------------------------------------------- the session's error cards


def _answer(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "data": data, "error": None, "metadata": {}})


def _balance_of_1234(request: httpx.Request) -> httpx.Response:
    return _answer({"balance_usd": 1234.5})


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def _session(
    monkeypatch: pytest.MonkeyPatch,
    *,
    api_key: str | None = KEY,
    handler: Callable[[httpx.Request], httpx.Response] = _refused,
) -> Session:
    """A session whose client answers with ``handler``: no network, no IPython."""
    client = InfraiClient(
        api_key=api_key,
        base_url=BASE_URL,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    session = Session(timeout=7.0, max_retries=0)
    monkeypatch.setattr(session, "client", lambda: client)
    return session


def _status(cls: type[InfraiError], status: int, code: str, **options: Any) -> InfraiError:
    return cls("Server says no", status_code=status, code=code, request_id="req_01", **options)


ERRORS: dict[str, Callable[[], InfraiError]] = {
    "refused key": lambda: _status(AuthenticationError, 401, "UNAUTHORIZED"),
    "second account": lambda: AccountExistsError(
        "already", masked_key="ifr_pk_proj_…a1B2", base_url=BASE_URL, account_id="acct_01"
    ),
    "second account, key not kept": lambda: AccountExistsError(
        "already", masked_key="ifr_pk_proj_…a1B2", base_url=BASE_URL, kept=False
    ),
    "not enough credit": lambda: _status(
        InsufficientCreditError, 402, "INSUFFICIENT_CREDIT", details={"missing_usd": 18}
    ),
    "timeout": lambda: APITimeoutError("The infrai API did not answer in time."),
    "connection": lambda: APIConnectionError("Could not reach the infrai API."),
    "malformed": lambda: MalformedResponseError(
        "not_json", status_code=502, content_type="text/html"
    ),
    "credentials": lambda: CredentialsError(f"{CREDENTIALS_PATH} is not JSON."),
    "anything else": lambda: _status(NotFoundError, 404, "NOT_FOUND"),
}
SERVER_WORDS = (
    "Server says no",  # a server's message, as sent
    "The infrai API did not answer in time.",  # the tests' own messages, not the package's
    "Could not reach the infrai API.",
    f"{CREDENTIALS_PATH} is not JSON.",
)


@pytest.mark.parametrize("kind", list(ERRORS))
@pytest.mark.parametrize("api_key", [KEY, None], ids=["with key", "without key"])
@pytest.mark.parametrize(
    "handler", [_refused, _balance_of_1234], ids=["offline", "balance answers"]
)
def test_every_next_step_under_an_error_card_speaks_chinese(
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    api_key: str | None,
    handler: Callable[[httpx.Request], httpx.Response],
) -> None:
    session = _session(monkeypatch, api_key=api_key, handler=handler)
    with _i18n.language("zh-CN"):
        card = session.error_card(ERRORS[kind]())
        _assert_chinese(_all_formats(card), *SERVER_WORDS)
    if kind != "anything else":
        assert card.notes and _CHINESE.search(card.notes[0])


def test_the_next_steps_read_as_a_chinese_user_expects(monkeypatch: pytest.MonkeyPatch) -> None:
    session = _session(monkeypatch, handler=_balance_of_1234)

    def card(kind: str) -> Card:
        with _i18n.language("zh-CN"):
            return session.error_card(ERRORS[kind]())

    credit = card("not enough credit")
    assert credit.notes == ("充值后，再次运行这个单元格：",)
    assert credit.commands == ("%infrai_topup 18.00",)
    assert card("refused key").notes == ("新建一个账户，或设置你已有的密钥：",)
    assert card("timeout").commands == ("%config InfraiMagics.timeout = 60",)
    refused = render_text(card("refused key"))
    assert f"服务器不接受本次会话的项目密钥（ifr_pk_proj_…{KEY[-4:]}）" in refused
    second = render_text(card("second account"))
    assert "本次会话继续使用账户 acct_01 (ifr_pk_proj_…a1B2)，余额为 $1,234.50。" in second
    unkept = render_text(card("second account, key not kept"))
    assert "而且这个密钥没有保存在这台电脑上" in unkept


def test_without_a_key_a_refused_call_says_nothing_was_sent_in_chinese(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = _session(monkeypatch, api_key=None)
    with _i18n.language("zh-CN"):
        card = session.error_card(ERRORS["refused key"]())
    assert "本次会话还没有项目密钥，因此没有发送任何请求。" in render_text(card)
    assert card.notes == ("激活，或设置你已有的密钥：",)


def test_the_second_account_message_stays_english_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offline = render_text(_session(monkeypatch).error_card(ERRORS["second account"]()))
    assert (
        "This session keeps its account acct_01 (ifr_pk_proj_…a1B2). Its balance cannot be "
        "read right now. Activating again would start another, empty one; every key stays kept."
    ) in offline
    answering = _session(monkeypatch, handler=_balance_of_1234)
    assert "Its balance: $1,234.50." in render_text(
        answering.error_card(ERRORS["second account"]())
    )
    assert not _CHINESE.search(offline)


# ------------------------------------------------------------------ the doctor's report

DATES: dict[str, Callable[[], str | None]] = {
    # Read when the test runs, not at collection: a slow run must not turn "fine" into "off".
    "clock fine": lambda: format_datetime(datetime.now(timezone.utc), usegmt=True),
    "clock off": lambda: format_datetime(
        datetime.now(timezone.utc) - timedelta(minutes=5), usegmt=True
    ),
    "no date": lambda: None,
    "unreadable date": lambda: "yesterday-ish",
}


def _probe_answers(
    monkeypatch: pytest.MonkeyPatch, handler: Callable[[httpx.Request], httpx.Response]
) -> None:
    """The doctor's probe gets ``handler``'s answer instead of the network's."""
    real_client = httpx.Client

    def client(**options: Any) -> httpx.Client:
        return real_client(transport=httpx.MockTransport(handler), **options)

    monkeypatch.setattr(_doctor.httpx, "Client", client)


def _unauthorized(date: str | None) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, headers={"Date": date} if date else {})

    return answer


def _report(has_kernel: bool, sandbox_url: str | None) -> str:
    report = _doctor.diagnose(
        front_end=_doctor.front_end_name(has_kernel),
        widgets=_widgets_verdict(has_kernel),
        sandbox_url=sandbox_url,
    )
    return "\n".join([str(report), visible_text(report._repr_html_())])


@pytest.fixture
def network_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ca = tmp_path / "corporate-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    monkeypatch.setenv("HTTPS_PROXY", "http://someone:secret@proxy.example.org:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "gone.pem"))


@pytest.mark.parametrize("date", list(DATES))
@pytest.mark.parametrize("has_kernel", [True, False], ids=["kernel", "terminal"])
def test_the_doctor_report_speaks_chinese(
    monkeypatch: pytest.MonkeyPatch, network_settings: None, date: str, has_kernel: bool
) -> None:
    monkeypatch.setenv("INFRAI_API_KEY", KEY)
    _probe_answers(monkeypatch, _unauthorized(DATES[date]()))
    text = _in_chinese(lambda: _report(has_kernel, SANDBOX_URL if has_kernel else None))
    _assert_chinese(text)
    assert "是：" in text and "HTTP 401" in text and "（未发送密钥）" in text


def test_the_doctor_report_speaks_chinese_when_the_server_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _probe_answers(monkeypatch, _refused)
    text = _in_chinese(lambda: _report(True, None))
    _assert_chinese(text)
    assert "否：5 秒内出现 ConnectError" in text and "密钥（key）" in text


def test_the_doctor_report_speaks_chinese_about_unusable_credentials(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".infrai" / "credentials"
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    text = _in_chinese(lambda: _report(False, None))
    _assert_chinese(text)
    assert "配置（configuration）" in text


def test_a_missing_ca_bundle_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "gone.pem"))
    monkeypatch.setenv("INFRAI_BASE_URL", "http://127.0.0.1:9")
    text = _in_chinese(lambda: _report(False, None))
    # httpx 0.28 refuses the bundle when the client is made (a "configuration" line);
    # older releases only when connecting (a "reachable: no" line): reported either way.
    assert "gone.pem（不存在）" in text
    assert "配置（configuration）" in text or "能否连接（reachable）" in text
    _assert_chinese(text, "No such file or directory")  # the system's words
    assert "gone.pem (MISSING)" in _report(False, None)


def test_the_doctor_report_keeps_stable_topics_and_its_columns_line_up(
    monkeypatch: pytest.MonkeyPatch, network_settings: None
) -> None:
    monkeypatch.setenv("INFRAI_API_KEY", KEY)
    _probe_answers(monkeypatch, _unauthorized(DATES["clock fine"]()))
    with _i18n.language("zh-CN"):
        text = str(_doctor.diagnose(front_end="VS Code", widgets="-", sandbox_url=None))
    lines = text.splitlines()
    assert lines[0] == "infrai 诊断报告（请将它粘贴到技术支持请求中）"
    for topic in ("front_end", "widgets", "base_url", "key", "reachable", "clock_skew",
                  "sandbox", "versions"):  # fmt: skip
        assert f"（{topic}）" in text, topic
    assert f"ifr_pk_proj_…{KEY[-4:]}，来源：INFRAI_API_KEY" in text
    assert "（正常）" in text and "沙盒（sandbox）" in text and "未运行" in text
    assert "http://someone:***@proxy.example.org:3128" in text and "secret@" not in text
    assert "corporate-ca.pem（存在）" in text and "gone.pem（不存在）" in text

    def column(line: str) -> int:  # where the finding starts, in screen columns
        topic = re.split(r" {2,}", line, maxsplit=1)[0]
        return (
            sum(2 if _CHINESE.match(char) or char in "（）" else 1 for char in topic)
            + len(line[len(topic) :])
            - len(line[len(topic) :].lstrip(" "))
        )

    assert len({column(line) for line in lines[1:]}) == 1, text


def test_the_doctor_report_stays_english_by_default(
    monkeypatch: pytest.MonkeyPatch, network_settings: None
) -> None:
    monkeypatch.setenv("INFRAI_API_KEY", KEY)
    _probe_answers(monkeypatch, _unauthorized(DATES["clock off"]()))
    text = _report(True, SANDBOX_URL)
    assert not _CHINESE.search(text), text
    assert text.startswith("infrai doctor (paste this into a support request)\n")
    assert "front end" in text and "Jupyter (JupyterLab or Notebook 7" in text
    assert f"ifr_pk_proj_…{KEY[-4:]} from INFRAI_API_KEY" in text
    assert "(check this computer's clock)" in text and f"running at {SANDBOX_URL}" in text
    assert "corporate-ca.pem (exists)" in text and "gone.pem (MISSING)" in text


# ------------------------------------------------------- what %infrai_topup and %config say


def test_a_topup_amount_that_is_not_a_number_is_refused_in_chinese() -> None:
    magics = InfraiMagics(shell=None)
    with _i18n.language("zh-CN"), pytest.raises(UsageError) as refused:
        magics.infrai_topup("abc")
    _assert_chinese(str(refused.value))
    assert str(refused.value) == "“abc” 不是以美元计的数字；请输入例如 25 或 9.99。"
    with pytest.raises(UsageError, match="is not a number of dollars"):
        magics.infrai_topup("abc")


@pytest.mark.parametrize(
    "value", ["/proxy/8765", "https://lab.example.org/proxy/{port}/{user}", "proxy/{port}"]
)
def test_a_refused_sandbox_public_url_is_explained_in_chinese(value: str) -> None:
    magics = InfraiMagics(shell=None)
    with _i18n.language("zh-CN"), pytest.raises(TraitError) as refused:
        magics.sandbox_public_url = value
    message = str(refused.value)
    _assert_chinese(message)
    assert message.startswith("sandbox_public_url ") and _CHINESE.search(message)
    assert '"/proxy/{port}"' in message and magics.sandbox_public_url == ""


def test_a_sandbox_public_url_without_the_port_says_where_it_goes_in_chinese() -> None:
    magics = InfraiMagics(shell=None)
    with _i18n.language("zh-CN"), pytest.raises(TraitError) as refused:
        magics.sandbox_public_url = "/proxy/8765"
    assert str(refused.value).startswith("sandbox_public_url 需要在端口所在的位置写上 {port}，")


# ---------------------------------------------------------------------- unsafe links


def test_an_unsafe_link_is_marked_in_chinese() -> None:
    card = Card(kind="topup", title="-", links=(CardLink("-", "javascript:alert(1)"),))
    chinese = _in_chinese(lambda: _all_formats(card)).count("不是 http(s) 链接，因此不可点击")
    english = _all_formats(card).count("not an http(s) link, so not clickable")
    assert chinese == english >= 3  # HTML, text and Markdown each say it
