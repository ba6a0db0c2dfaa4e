"""The checkout and add-funds pages in the browser's language, over a real loopback socket.

Every page state is rendered in Simplified Chinese and searched for English a student
would read; the same states in English must stay English. The language is chosen from
the request before the store is touched, so these tests run on SQLite alone (the flows
themselves run on both engines in test_checkout.py). The teacher's page is checked
with the same detector (``visible_text``, ``english_in``, ``assert_speaks``) in
``test_admin_page_language.py``.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest
from bs4 import BeautifulSoup

from infrai_jupyter.sandbox import SandboxServer, admin
from infrai_jupyter.sandbox.settings import DEFAULT_TIER_PRICES
from infrai_jupyter.sandbox.store import Store

from .conftest import Account, SandboxFactory, activate, balance, create_topup, forms_of

pytestmark = pytest.mark.parametrize("sandbox_engine", ["sqlite"])

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}
RETURN_URL = "https://app.example.com/billing/return"

NOT_TRANSLATED = [
    re.compile(r"infrai sandbox"),  # the product's name, on every page's badge and title
    re.compile(r"\btu_[A-Za-z0-9_-]+"),  # a top-up's id, quoted as a reference
    # An account's id, and in the teacher's class list the tier that follows it: data.
    re.compile(rf"\bacct_[A-Za-z0-9_-]+(?: (?:{'|'.join(DEFAULT_TIER_PRICES)})\b)?"),
    re.compile(r"%infrai_activate|--admin-token"),  # a command and an option, typed as they are
    re.compile(r"\b(?:API|UTC)\b"),  # abbreviations Chinese technical writing keeps as they are
    re.compile(r"\$\d[\d,]*(?:\.\d\d)?"),  # amounts read $1,234.50 in every language
    re.compile(r"“[^”]*”"),  # what the student typed, quoted back to them
]
"""What a Chinese page may show in Latin letters; everything else is a missed translation."""

_SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "data-label")
"""``data-label`` heads each cell of the teacher's class list on a narrow screen (CSS)."""


def visible_text(page: httpx.Response) -> str:
    """What a person reads: the title, the body's text and the attributes a browser shows.

    Not an input's value: that is what the student typed, not the page's words.
    """
    soup = BeautifulSoup(page.text, "html.parser")
    for hidden in soup(["style", "script"]):
        hidden.decompose()
    shown = [soup.get_text(" ")]  # the <title> included
    shown += [str(tag[name]) for name in _SHOWN_ATTRIBUTES for tag in soup.find_all(**{name: True})]
    return " ".join(" ".join(shown).split())


def english_in(text: str) -> list[str]:
    """Every run of Latin-letter words left once the allowed tokens are taken out.

    Stricter than "two English words in a row": an untranslated one-word button
    (``Cancel``) is English a student has to read too.
    """
    for allowed in NOT_TRANSLATED:
        text = allowed.sub(" ", text)
    return re.findall(r"[A-Za-z]+(?:[\s'\u2019-]+[A-Za-z]+)*", text)


def assert_speaks(page: httpx.Response, html_lang: str) -> None:
    assert page.headers["content-type"].startswith("text/html"), page.text
    assert f'<html lang="{html_lang}">' in page.text
    assert page.headers["Content-Language"] == html_lang
    assert "Accept-Language" in page.headers["Vary"]
    assert "{" not in visible_text(page), "a placeholder was left unfilled"


def every_page_state(
    sandbox_factory: SandboxFactory, sandbox: SandboxServer, store: Store, headers: dict[str, str]
) -> dict[str, httpx.Response]:
    """Each page the checkout and add-funds flows can show, as a browser sending ``headers``
    receives it."""
    pages: dict[str, httpx.Response] = {}
    expiring = sandbox_factory(pending_topup_ttl_seconds=0)  # the same database
    with httpx.Client(base_url=sandbox.url, headers=headers, timeout=30) as client:
        account = activate(client)
        add_funds = account.activation["checkout_url"]
        pages["add funds"] = client.get(add_funds)
        (amount_form,) = forms_of(pages["add funds"])
        for typed in ("", "abc", "nan", "0", "20000", "12.345"):
            pages[f"add funds, refused {typed!r}"] = amount_form.submit(client, amount_usd=typed)

        unpaid = create_topup(client, account, 25)
        pages["checkout"] = client.get(f"/checkout/{unpaid}")
        admin.decline_next_checkouts(store, 1)
        pages["declined"] = forms_of(pages["checkout"])[0].submit(client)

        for return_url in (RETURN_URL, None):
            paid = create_topup(client, account, 10, return_url=return_url)
            forms_of(client.get(f"/checkout/{paid}"))[0].submit(client)
            pages[f"paid, return_url={return_url}"] = client.get(f"/checkout/{paid}")
        canceled = create_topup(client, account, 5)
        forms_of(client.get(f"/checkout/{canceled}"))[1].submit(client)
        pages["canceled"] = client.get(f"/checkout/{canceled}")
        expired = create_topup(client, account, 7)
        pages["expired"] = httpx.get(f"{expiring.url}/checkout/{expired}", headers=headers)

        pages["forbidden"] = client.post(f"/checkout/{unpaid}/pay", data={"form_token": "0"})
        pages["checkout not found"] = client.get("/checkout/tu_nope")
        pages["add funds not found"] = client.get(add_funds.rsplit("/", 1)[0] + "/nope")
    return pages


EXPECTED_STATUS = {
    "add funds": 200,
    "checkout": 200,
    "declined": 402,
    "canceled": 200,
    "expired": 200,
    "forbidden": 403,
    "checkout not found": 404,
    "add funds not found": 404,
}


def test_every_page_state_in_chinese_shows_no_english(
    sandbox_factory: SandboxFactory, sandbox: SandboxServer, store: Store
) -> None:
    pages = every_page_state(sandbox_factory, sandbox, store, CHINESE)
    assert len(pages) == 16
    assert_all_chinese(pages, EXPECTED_STATUS)


def assert_all_chinese(pages: dict[str, httpx.Response], statuses: dict[str, int]) -> None:
    """Each page has its status (422 when refused, else ``statuses`` or 200), says it is
    zh-CN, and shows no English; every leak is named at once."""
    leaks = {}
    for state, page in pages.items():
        expected = 422 if "refused" in state else statuses.get(state, 200)
        assert page.status_code == expected, (state, page.text)
        assert_speaks(page, "zh-CN")
        if english := english_in(visible_text(page)):
            leaks[state] = english
    assert not leaks, f"English on Chinese pages (translate it in infrai_sandbox.po): {leaks}"


def test_every_page_state_in_english_stays_english(
    sandbox_factory: SandboxFactory, sandbox: SandboxServer, store: Store
) -> None:
    for state, page in every_page_state(sandbox_factory, sandbox, store, ENGLISH).items():
        assert_speaks(page, "en")
        assert not re.search(r"[\u4e00-\u9fff]", page.text), state


def test_the_chinese_pages_say_what_a_student_needs(
    sandbox_factory: SandboxFactory, sandbox: SandboxServer, store: Store
) -> None:
    pages = every_page_state(sandbox_factory, sandbox, store, CHINESE)
    shown = {state: visible_text(page) for state, page in pages.items()}
    assert "<title>充值 · infrai sandbox</title>" in pages["add funds"].text
    assert "其他金额" in shown["add funds"] and "继续" in shown["add funds"]
    assert "$25" in shown["add funds"]  # the presets: amounts keep their format
    assert "最多保留 2 位小数" in shown["add funds, refused '12.345'"]
    assert "“abc”" in shown["add funds, refused 'abc'"]
    assert "<title>结账 · infrai sandbox</title>" in pages["checkout"].text
    assert "支付 $25.00" in shown["checkout"] and "取消" in shown["checkout"]
    assert "充值单号 tu_" in shown["checkout"]
    assert "付款被拒绝" in shown["declined"] and "支付 $25.00" in shown["declined"]
    assert "付款成功" in shown[f"paid, return_url={RETURN_URL}"]
    assert "已充值 $10.00。" in shown[f"paid, return_url={RETURN_URL}"]
    assert "返回应用" in shown[f"paid, return_url={RETURN_URL}"]
    assert "关闭此标签页" in shown["paid, return_url=None"]
    assert "充值已取消" in shown["canceled"] and "未扣除任何费用" in shown["canceled"]
    assert "已过期" in shown["expired"] and "无法再支付" in shown["expired"]
    assert "没有做任何更改" in shown["forbidden"]
    assert "找不到此结账页面" in shown["checkout not found"]


@pytest.mark.parametrize(
    ("accept_language", "html_lang", "pay_label"),
    [
        ("zh-CN,zh;q=0.9", "zh-CN", "支付 $12.00"),
        ("zh-Hans", "zh-CN", "支付 $12.00"),
        ("en;q=0.5, zh-CN;q=0.9", "zh-CN", "支付 $12.00"),
        ("zh-CN;q=0.5, en;q=0.9", "en", "Pay $12.00"),
        ("en-US", "en", "Pay $12.00"),
        ("zh-TW", "en", "Pay $12.00"),
        ("zh-Hant-HK, fr;q=0.9", "en", "Pay $12.00"),
        (None, "en", "Pay $12.00"),
    ],
)
def test_the_checkout_page_follows_the_browsers_language(
    client: httpx.Client,
    account: Account,
    accept_language: str | None,
    html_lang: str,
    pay_label: str,
) -> None:
    topup_id = create_topup(client, account, 12)
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = client.get(f"/checkout/{topup_id}", headers=headers)
    assert page.status_code == 200
    assert_speaks(page, html_lang)
    assert pay_label in visible_text(page)


def test_paying_in_chinese_credits_once_and_shows_the_paid_page_in_chinese(
    client: httpx.Client, account: Account
) -> None:
    topup_id = create_topup(client, account, 12)
    pay_button, _ = forms_of(client.get(f"/checkout/{topup_id}", headers=CHINESE))
    paid = client.post(pay_button.action, data=pay_button.fields, headers=CHINESE)
    assert paid.status_code == 303
    done = client.get(paid.headers["Location"], headers=CHINESE)
    assert done.status_code == 200
    assert_speaks(done, "zh-CN")
    # Chinese punctuation is full-width, as a Chinese reader expects: not a typo.
    assert "付款成功" in done.text and "已充值 $12.00。余额：$14.00。" in done.text  # noqa: RUF001
    assert forms_of(done) == []
    assert balance(client, account) == Decimal("14.00")
    assert english_in(visible_text(done)) == []


def test_concurrent_requests_each_get_their_own_language(
    client: httpx.Client, account: Account
) -> None:
    """The language belongs to the request: a Chinese and an English tab at once never mix."""
    topup_id = create_topup(client, account, 12)

    def fetch(headers: dict[str, str]) -> tuple[str, str]:
        page = client.get(f"/checkout/{topup_id}", headers=headers)
        return headers["Accept-Language"], page.headers["Content-Language"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(fetch, [CHINESE, ENGLISH] * 40))
    assert set(answers) == {
        (CHINESE["Accept-Language"], "zh-CN"),
        (ENGLISH["Accept-Language"], "en"),
    }


def test_money_reads_the_same_in_both_languages(client: httpx.Client, account: Account) -> None:
    topup_id = create_topup(client, account, 1234.5)
    for headers, pay_label in ((CHINESE, "支付 $1,234.50"), (ENGLISH, "Pay $1,234.50")):
        page = client.get(f"/checkout/{topup_id}", headers=headers)
        soup = BeautifulSoup(page.text, "html.parser")
        amount = soup.find(class_="amount")
        assert amount is not None and amount.get_text() == "$1,234.50"
        assert pay_label in visible_text(page)
