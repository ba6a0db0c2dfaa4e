"""The teacher's page over HTTP: a teacher's browser (its own client and cookie) beside a
student's (the ``client`` fixture), on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from infrai_jupyter.contract import ErrorCode
from infrai_jupyter.sandbox import SandboxServer
from infrai_jupyter.sandbox.store import Account as StoredAccount

from .conftest import (
    Account,
    Form,
    SandboxFactory,
    activate,
    balance,
    create_topup,
    data_of,
    error_of,
    forms_of,
    opened_store,
    pay,
)

TOKEN = "a-class-token-of-24-chars"


def sign_in(browser: httpx.Client, token: str, path: str = "/admin/sign-in") -> httpx.Response:
    return browser.post(path, data={"token": token})


@pytest.fixture
def teacher(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """The teacher's browser, signed in."""
    with httpx.Client(base_url=sandbox.url, timeout=30) as browser:
        assert sign_in(browser, sandbox.admin_token).status_code == 303
        yield browser


def landing(sent: httpx.Response) -> str:
    """Where a 303 sends the browser: its ``Location`` resolved against the page posted."""
    assert sent.status_code == 303, sent.text
    return urljoin(str(sent.request.url), sent.headers["Location"])


def follow(browser: httpx.Client, sent: httpx.Response) -> httpx.Response:
    """The page a 303 leads to, fetched as the browser that posted would."""
    return browser.get(landing(sent))


def form(page: httpx.Response, action: str, **hidden: str) -> Form:
    """The one form of ``page`` posting to ``…/admin/{action}`` with these hidden fields."""
    found = [
        each
        for each in forms_of(page)
        if each.action.endswith(f"/admin/{action}")
        and all(each.fields.get(name) == value for name, value in hidden.items())
    ]
    assert len(found) == 1, (action, hidden, page.text)
    return found[0]


def set_switch(teacher: httpx.Client, switch: str, count: str = "") -> httpx.Response:
    """Press a scenario switch's button with ``count`` typed in, and follow to the page."""
    sent = form(teacher.get("/admin"), "scenario", switch=switch).submit(teacher, count=count)
    return follow(teacher, sent)


def state_of(page: httpx.Response, title: str) -> str:
    """What a scenario card says is in effect."""
    soup = BeautifulSoup(page.text, "html.parser")
    card = soup.find("h3", string=title)
    assert card is not None and card.parent is not None, page.text
    state = card.parent.find(class_="state")
    assert state is not None
    return state.get_text()


def text_of(page: httpx.Response) -> str:
    return BeautifulSoup(page.text, "html.parser").get_text(" ")


def test_the_class_is_shown_only_after_signing_in_with_the_token(
    sandbox: SandboxServer, account: Account
) -> None:
    with httpx.Client(base_url=sandbox.url, timeout=30) as browser:
        page = browser.get("/admin")
        assert page.status_code == 401
        assert "Admin token" in page.text and account.account_id not in page.text
        token = sandbox.admin_token
        wrong = sign_in(browser, token[:-1] + ("y" if token.endswith("x") else "x"))
        assert wrong.status_code == 401 and "not this sandbox's admin token" in text_of(wrong)
        assert browser.get("/admin").status_code == 401
        signed_in = sign_in(browser, sandbox.admin_token)
        # Relative, so a proxy that prefixes root-absolute redirects cannot double the path.
        assert not signed_in.headers["Location"].startswith("/")
        assert landing(signed_in) == f"{sandbox.url}/admin"
        cookie = signed_in.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
        assert "Secure" not in cookie  # plain http on loopback: a Secure cookie never returns
        assert sandbox.admin_token not in cookie
        page = browser.get("/admin")
        assert page.status_code == 200
        assert f"{account.account_id} free $2.00" in text_of(page)
        signed_out = form(page, "sign-out").submit(browser)
        assert landing(signed_out) == f"{sandbox.url}/admin"
        assert browser.get("/admin").status_code == 401


def test_wrong_tokens_are_limited_per_address_like_wrong_keys(
    sandbox_factory: SandboxFactory,
) -> None:
    sandbox = sandbox_factory(auth_failures_per_minute=2)
    with httpx.Client(base_url=sandbox.url, timeout=30) as browser:
        assert [sign_in(browser, "guess-number-one").status_code for _ in range(2)] == [401, 401]
        refused = sign_in(browser, sandbox.admin_token)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert "infrai_admin" not in browser.cookies
        # The same address guessing project keys is held back too.
        error_of(
            browser.get("/v1/account/balance", headers={"Authorization": "Bearer x"}),
            429,
            ErrorCode.RATE_LIMITED,
        )


def test_a_session_holds_on_every_server_of_the_class_with_its_token_and_no_other(
    sandbox_factory: SandboxFactory,
) -> None:
    """Workers share the database and the token: one sign-in serves them all; a restart
    with another token signs everyone out, and a tampered cookie opens nothing."""
    first, second = sandbox_factory(admin_token=TOKEN), sandbox_factory(admin_token=TOKEN)
    with httpx.Client(base_url=first.url, timeout=30) as browser:
        cookie = sign_in(browser, TOKEN).cookies["infrai_admin"]
    restarted = sandbox_factory(admin_token="another-token-for-the-class")
    issued, nonce, mac = cookie.split(".")
    tampered = mac[:-1] + ("1" if mac.endswith("0") else "0")  # always a different MAC
    for server, value, status in [
        (second, cookie, 200),
        (restarted, cookie, 401),
        (second, f"{int(issued) + 86_400}.{nonce}.{mac}", 401),
        (second, f"{issued}.{nonce}.{tampered}", 401),
    ]:
        with httpx.Client(base_url=server.url, cookies={"infrai_admin": value}) as browser:
            assert browser.get("/admin").status_code == status, (server.url, value)


def test_a_post_without_the_form_token_is_refused_and_changes_nothing(
    sandbox: SandboxServer, teacher: httpx.Client, client: httpx.Client, account: Account
) -> None:
    page = teacher.get("/admin")
    sends = [
        ("grant", {"account_id": account.account_id, "amount_usd": "5"}),
        ("scenario", {"switch": "fail", "count": "3"}),
        ("reset", {}),
        ("sign-out", {}),
    ]
    with httpx.Client(base_url=sandbox.url, timeout=30) as other_browser:
        assert sign_in(other_browser, sandbox.admin_token).status_code == 303
        other_session_token = form(other_browser.get("/admin"), "sign-out").fields["form_token"]
    with httpx.Client(base_url=sandbox.url, timeout=30) as attacker:
        our_token = form(page, "sign-out").fields["form_token"]
        cross_site = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
        for action, fields in sends:
            for sender, token in [
                (teacher, None),
                (teacher, other_session_token),
                (attacker, our_token),  # no cookie: a SameSite=Strict cookie stays home
            ]:
                data = fields if token is None else {**fields, "form_token": token}
                response = sender.post(f"/admin/{action}", data=data, headers=cross_site)
                assert response.status_code == 403, (action, token)
    assert balance(client, account) == Decimal("2.00")
    after = teacher.get("/admin")
    assert after.status_code == 200 and account.account_id in after.text
    assert state_of(after, "Fail API calls (503)") == "Off"


def test_a_grant_credits_exactly_the_amount_typed_and_refuses_anything_else(
    sandbox: SandboxServer, teacher: httpx.Client, client: httpx.Client, account: Account
) -> None:
    grant = form(teacher.get("/admin"), "grant", account_id=account.account_id)
    granted = grant.submit(teacher, amount_usd="5")
    assert landing(granted) == f"{sandbox.url}/admin?done=granted#account-{account.account_id}"
    assert balance(client, account) == Decimal("7.00")
    page = follow(teacher, granted)
    assert "Credit granted" in page.text and f"{account.account_id} free $7.00" in text_of(page)
    assert grant.submit(teacher, amount_usd=" 0.10 ").status_code == 303
    assert balance(client, account) == Decimal("7.10")
    for typed in ["1.001", "-5", "abc", ""]:
        refused = grant.submit(teacher, amount_usd=typed)
        assert refused.status_code == 422 and "Nothing granted." in refused.text, typed
        field = BeautifulSoup(refused.text, "html.parser").find("input", id="grant-0")
        assert field is not None and field.get("value") == typed  # kept, to correct it
    unknown = grant.submit(teacher, account_id="acct_nobody", amount_usd="5")
    assert unknown.status_code == 422 and "no account 'acct_nobody'" in text_of(unknown)
    assert balance(client, account) == Decimal("7.10")


def test_reset_asks_for_confirmation_then_empties_the_class(
    teacher: httpx.Client, client: httpx.Client, account: Account
) -> None:
    confirm = teacher.get("/admin/reset")
    assert confirm.status_code == 200 and "Accounts to delete: 1." in confirm.text
    assert balance(client, account) == Decimal("2.00")  # asking deleted nothing
    page = follow(teacher, form(confirm, "reset").submit(teacher))
    assert page.status_code == 200, "the teacher stays signed in"
    assert "Accounts (0)" in page.text and "The class is empty" in page.text
    error_of(
        client.get("/v1/account/balance", headers=account.headers), 401, ErrorCode.UNAUTHENTICATED
    )


def test_fail_next_calls_makes_exactly_that_many_calls_answer_503(
    teacher: httpx.Client, client: httpx.Client, account: Account
) -> None:
    page = set_switch(teacher, "fail", "2")
    assert state_of(page, "Fail API calls (503)") == "On: the next 2 API calls answer 503."
    for _ in range(2):
        failed = client.get("/v1/account/balance", headers=account.headers)
        error_of(failed, 503, ErrorCode.INTERNAL_ERROR)
        assert failed.headers["Retry-After"]
    assert balance(client, account) == Decimal("2.00")
    assert state_of(teacher.get("/admin"), "Fail API calls (503)") == "Off"


def test_decline_next_checkout_declines_one_pay_press(
    teacher: httpx.Client, client: httpx.Client, account: Account
) -> None:
    topup_id = create_topup(client, account, 5)
    page = set_switch(teacher, "decline", "1")
    assert state_of(page, "Decline checkouts (402)").startswith("On: the next 1 Pay")
    declined = pay(client, topup_id)
    assert declined.status_code == 402 and "Payment declined" in declined.text
    assert balance(client, account) == Decimal("2.00")
    assert pay(client, topup_id).status_code == 303
    assert balance(client, account) == Decimal("7.00")


def test_the_rate_limit_switch_turns_429_on_and_off(
    teacher: httpx.Client, client: httpx.Client, account: Account
) -> None:
    page = set_switch(teacher, "rate", "2")
    assert state_of(page, "Rate limit (429)").startswith("On: 2 calls a minute per key")
    assert [balance(client, account) for _ in range(2)] == [Decimal("2.00")] * 2
    error_of(
        client.get("/v1/account/balance", headers=account.headers), 429, ErrorCode.RATE_LIMITED
    )
    assert state_of(set_switch(teacher, "rate", "0"), "Rate limit (429)") == "Off (no limit)"
    assert balance(client, account) == Decimal("2.00")


def test_expire_pending_topups_cancels_them_and_says_how_many(
    teacher: httpx.Client, client: httpx.Client, account: Account
) -> None:
    topup_id = create_topup(client, account, 5)
    page = set_switch(teacher, "expire")
    assert "Pending top-ups expired: 1." in page.text
    topup = data_of(client.get(f"/v1/account/topups/{topup_id}", headers=account.headers))
    assert topup["state"] == "canceled"
    assert forms_of(client.get(f"/checkout/{topup_id}")) == []
    fail = form(teacher.get("/admin"), "scenario", switch="fail")
    for typed in ("two", "-1", "1000001", "9" * 5000):
        refused = fail.submit(teacher, count=typed)
        assert refused.status_code == 422 and "Enter a whole number" in refused.text, typed


def test_hostile_values_are_shown_as_text_and_still_work(
    sandbox: SandboxServer, teacher: httpx.Client
) -> None:
    hostile = 'acct_"><script>alert(1)</script>'
    with opened_store(sandbox.settings.database) as store, store.transaction() as tx:
        tx.insert_account(
            StoredAccount(
                hostile,
                "proj_x",
                "<b>pro</b>",
                0,
                "western",
                "fund_x",
                datetime.now(timezone.utc),
            )
        )
    page = teacher.get("/admin")
    assert "<script>" not in page.text and "<b>" not in page.text
    assert f"{hostile} <b>pro</b> $0.00" in text_of(page)
    grant = form(page, "grant", account_id=hostile)
    assert grant.submit(teacher, amount_usd="1").status_code == 303
    assert f"{hostile} <b>pro</b> $1.00" in text_of(teacher.get("/admin"))
    refused = grant.submit(teacher, amount_usd="<img src=x onerror=alert(1)>")
    assert refused.status_code == 422 and "<img" not in refused.text


ORIGIN = "https://class.example.org"
PUBLIC = f"{ORIGIN}/sandbox"


@pytest.mark.parametrize(
    ("public_url", "proxy_strips_the_prefix"),
    [(PUBLIC, True), (PUBLIC, False), (ORIGIN, False)],
    ids=["path, stripped", "path, kept", "no path"],
)
def test_behind_a_public_url_the_page_its_redirects_and_its_cookie_stay_under_it(
    sandbox_factory: SandboxFactory, public_url: str, proxy_strips_the_prefix: bool
) -> None:
    sandbox = sandbox_factory(public_url=public_url)
    prefix = urlsplit(public_url).path
    page_url = sandbox.admin_url
    assert page_url == f"{public_url}/admin"

    def through_proxy(browser_url: str) -> str:
        """What the proxy asks the sandbox for when the browser asks for ``browser_url``."""
        parts = urlsplit(browser_url)
        assert f"{parts.scheme}://{parts.netloc}" == ORIGIN, browser_url
        assert parts.path.startswith(f"{prefix}/admin"), browser_url
        path = parts.path.removeprefix(prefix) if proxy_strips_the_prefix else parts.path
        return f"{path}?{parts.query}" if parts.query else path

    with httpx.Client(base_url=sandbox.url, timeout=30) as browser:
        student = activate(browser)
        (sign_in_form,) = forms_of(browser.get(through_proxy(page_url)))
        sign_in_url = urljoin(page_url, sign_in_form.action)
        signed_in = sign_in(browser, sandbox.admin_token, through_proxy(sign_in_url))
        assert urljoin(sign_in_url, signed_in.headers["Location"]) == page_url
        cookie = signed_in.headers["Set-Cookie"]
        assert f"Path={prefix}/admin;" in cookie and "Secure" in cookie
        # httpx keeps a Secure cookie for https; the proxy's browser would send it back.
        browser.cookies = {"infrai_admin": signed_in.cookies["infrai_admin"]}
        page = browser.get(through_proxy(page_url))
        assert page.status_code == 200
        grant = form(page, "grant", account_id=student.account_id)
        grant_url = urljoin(page_url, grant.action)
        granted = browser.post(through_proxy(grant_url), data={**grant.fields, "amount_usd": "1"})
        landed = urljoin(grant_url, granted.headers["Location"])
        assert landed == f"{page_url}?done=granted#account-{student.account_id}"
        assert "Credit granted" in browser.get(through_proxy(landed)).text
        assert balance(browser, student) == Decimal("3.00")


def test_the_command_line_prints_the_page_and_every_worker_takes_the_given_token(
    database: str,
) -> None:
    command = [sys.executable, "-m", "infrai_jupyter.sandbox", "--port", "0", "--db", database]
    process = subprocess.Popen(
        [*command, "--workers", "2"],
        env={**os.environ, "INFRAI_SANDBOX_ADMIN_TOKEN": TOKEN},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(" serving on ")[1].split()[0]
        process.stdout.readline()
        printed = process.stdout.readline()
        assert printed.startswith(f"Teacher's page:  {url}/admin ") and TOKEN not in printed
        with httpx.Client(base_url=url, timeout=30) as browser:
            assert sign_in(browser, TOKEN).status_code == 303
            # New connections, spread by the kernel over both workers: every one accepts it.
            for _ in range(8):
                with httpx.Client(base_url=url, cookies=browser.cookies, timeout=30) as tab:
                    assert tab.get("/admin").status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_the_command_line_makes_up_a_token_and_prints_it(database: str) -> None:
    command = [sys.executable, "-m", "infrai_jupyter.sandbox", "--port", "0", "--db", database]
    environment = {k: v for k, v in os.environ.items() if k != "INFRAI_SANDBOX_ADMIN_TOKEN"}
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(" serving on ")[1].split()[0]
        process.stdout.readline()
        printed = process.stdout.readline()
        token = printed.split("(admin token: ")[1].rstrip(")\n")
        with httpx.Client(base_url=url, timeout=30) as browser:
            assert sign_in(browser, token).status_code == 303
            assert browser.get("/admin").status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=30)
