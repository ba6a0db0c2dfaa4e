"""The lesson helpers: paying through the real checkout form, and a class's sandbox process."""

# ruff: noqa: RUF001

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from i18n.chinese import english_runs
from infrai_jupyter._client import InfraiClient
from infrai_jupyter.contract import LOCALE_VARIABLES
from infrai_jupyter.errors import AuthenticationError
from infrai_jupyter.sandbox import SandboxServer, SandboxSettings
from infrai_jupyter.sandbox.teaching import (
    CheckoutError,
    ClassSandbox,
    cancel_checkout,
    pay_checkout,
)


def set_locale(monkeypatch: pytest.MonkeyPatch, **variables: str) -> None:
    """Give this process the locale ``variables`` (the suite reads ``LANGUAGE=en``)."""
    for variable in LOCALE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in variables.items():
        monkeypatch.setenv(variable, value)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[InfraiClient]:
    settings = SandboxSettings(db_path=tmp_path / "db.sqlite3")
    with SandboxServer(settings) as server, InfraiClient(base_url=server.url) as client:
        client.activate(write_credentials=False, device_fingerprint=uuid.uuid4().hex)
        yield client


def test_pay_submits_the_checkout_form_and_credits_once(client: InfraiClient) -> None:
    topup = client.account.topup(amount_usd=25, return_url="https://example.com/back")
    answer = pay_checkout(topup.checkout_url)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("https://example.com/back?")
    assert "state=succeeded" in answer.headers["location"]
    assert client.account.balance().balance_usd == 27
    with pytest.raises(CheckoutError, match="already paid, canceled or expired"):
        pay_checkout(topup.checkout_url)
    assert client.account.balance().balance_usd == 27


def test_pay_resolves_a_checkout_path_behind_a_jupyter_proxy(tmp_path: Path) -> None:
    """On JupyterHub and Binder the lesson's ``pay_checkout(topup.checkout_url)`` gets a
    path on the notebook's server; the sandbox running in this kernel serves it."""
    settings = SandboxSettings(db_path=tmp_path / "db.sqlite3")
    hub_path = SandboxServer(settings, public_url_for=lambda port: f"/user/ada/proxy/{port}")
    with hub_path as server, InfraiClient(base_url=server.url) as client:
        client.activate(write_credentials=False, device_fingerprint=uuid.uuid4().hex)
        topup = client.account.topup(amount_usd=25)
        port = server.url.rsplit(":", 1)[1]
        assert topup.checkout_url.startswith(f"/user/ada/proxy/{port}/checkout/")
        assert pay_checkout(topup.checkout_url).status_code == 303
        assert client.account.balance().balance_usd == 27
    with pytest.raises(CheckoutError, match="no sandbox running in this kernel serves it"):
        pay_checkout(topup.checkout_url)


def test_cancel_leaves_the_balance_alone(client: InfraiClient) -> None:
    topup = client.account.topup(amount_usd=10)
    cancel_checkout(topup.checkout_url)
    assert client.account.topups.retrieve(topup.topup_id).state == "canceled"
    assert client.account.balance().balance_usd == 2


def test_refuses_a_page_that_is_not_a_sandbox_checkout(client: InfraiClient) -> None:
    with pytest.raises(CheckoutError, match="not a sandbox checkout page"):
        pay_checkout(f"{client.base_url}/openapi.json")


def test_a_posted_pay_without_the_page_token_is_refused(client: InfraiClient) -> None:
    """Why the helper exists: the shortcut lessons used before is now refused."""
    topup = client.account.topup(amount_usd=5)
    assert httpx.post(f"{topup.checkout_url}/pay").status_code == 403


def test_class_sandbox_restarts_at_the_same_address_and_reset_forgets(tmp_path: Path) -> None:
    classroom = ClassSandbox(lifetime=120, folder=tmp_path).start()
    try:
        assert classroom.url == f"http://127.0.0.1:{classroom.port}"
        with InfraiClient(base_url=classroom.url) as student:
            student.activate(write_credentials=False, device_fingerprint=uuid.uuid4().hex)
            assert "serving on" in classroom.log()
            address = classroom.url
            classroom.restart(reset=True)
            assert classroom.url == address
            with pytest.raises(AuthenticationError):
                student.account.balance()
    finally:
        classroom.stop()
    assert not classroom.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{address}/openapi.json")


def test_checkout_errors_speak_the_locale_or_the_language_asked_for(
    client: InfraiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    topup = client.account.topup(amount_usd=5)
    pay_checkout(topup.checkout_url)
    set_locale(monkeypatch, LANG="zh_CN.UTF-8")
    with pytest.raises(CheckoutError) as paid:
        pay_checkout(topup.checkout_url)
    assert str(paid.value) == (
        "结账页面上没有“支付”按钮（HTTP 200）：这笔充值已支付、已取消或已过期。"
    )
    with pytest.raises(CheckoutError) as elsewhere:
        pay_checkout(f"{client.base_url}/openapi.json")
    assert "不是沙盒的结账页面" in str(elsewhere.value)
    for refused in (paid.value, elsewhere.value):
        assert english_runs(str(refused)) == [], refused
    with pytest.raises(CheckoutError, match="already paid, canceled or expired"):
        pay_checkout(topup.checkout_url, language="en")
    with pytest.raises(ValueError, match="'klingon'"):
        pay_checkout(topup.checkout_url, language="klingon")
    set_locale(monkeypatch, LANG="zh_TW.UTF-8")
    with pytest.raises(CheckoutError, match="already paid, canceled or expired"):
        pay_checkout(topup.checkout_url)
    with pytest.raises(CheckoutError, match="已支付、已取消或已过期"):
        pay_checkout(topup.checkout_url, language="zh-CN")


def test_class_sandbox_finds_its_address_when_the_server_speaks_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_locale(monkeypatch, LANG="zh_CN.UTF-8")
    classroom = ClassSandbox(lifetime=60, folder=tmp_path).start()
    try:
        assert classroom.url == f"http://127.0.0.1:{classroom.port}"
        assert "按 Ctrl-C 停止。" in classroom.log()
        assert httpx.get(f"{classroom.url}/openapi.json").status_code == 200
    finally:
        classroom.stop()
    with pytest.raises(ValueError, match="lifetime 必须是正的秒数"):
        ClassSandbox(lifetime=0)
