"""The hosted checkout driven as a browser would: plain GETs and form POSTs, no JavaScript."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx

from .conftest import Account, balance, create_topup, data_of

RETURN_URL = "https://app.example.com/billing/return?tab=wallet"


def _forms(page: str) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]+)"', page)


def _state(client: httpx.Client, account: Account, topup_id: str) -> str:
    record = data_of(client.get(f"/v1/account/topups/{topup_id}", headers=account.headers))
    state: str = record["state"]
    return state


def test_checkout_page_shows_amount_and_pay_and_cancel_forms(
    client: httpx.Client, account: Account
) -> None:
    topup_id = create_topup(client, account, 25)
    page = client.get(f"/checkout/{topup_id}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "$25.00" in page.text
    assert _forms(page.text) == [f"/checkout/{topup_id}/pay", f"/checkout/{topup_id}/cancel"]
    # No JavaScript and no external assets: the only URLs are its own form actions.
    assert "<script" not in page.text and "http" not in re.sub(r'action="[^"]+"', "", page.text)


def test_pay_credits_once_then_redirects_to_return_url(
    client: httpx.Client, account: Account
) -> None:
    topup_id = create_topup(client, account, 25, return_url=RETURN_URL)
    action = _forms(client.get(f"/checkout/{topup_id}").text)[0]
    paid = client.post(action)
    assert paid.status_code == 303
    target = urlsplit(paid.headers["Location"])
    assert (target.scheme, target.netloc, target.path) == (
        "https",
        "app.example.com",
        "/billing/return",
    )
    assert parse_qs(target.query) == {
        "tab": ["wallet"],
        "topup_id": [topup_id],
        "state": ["succeeded"],
    }
    assert balance(client, account) == Decimal("27.00")
    # A double click, a replayed POST, a second tab: never a second credit.
    assert client.post(action).status_code == 303
    client.post(f"/checkout/{topup_id}/cancel")
    assert balance(client, account) == Decimal("27.00")
    assert _state(client, account, topup_id) == "succeeded"


def test_without_return_url_the_redirect_lands_on_a_done_page(
    client: httpx.Client, account: Account
) -> None:
    topup_id = create_topup(client, account, 10)
    done = client.post(f"/checkout/{topup_id}/pay", follow_redirects=True)
    assert done.status_code == 200
    assert "Payment received" in done.text and "$12.00" in done.text
    assert _forms(done.text) == []


def test_cancel_charges_nothing_and_pay_after_cancel_does_not_credit(
    client: httpx.Client, account: Account
) -> None:
    topup_id = create_topup(client, account, 10, return_url=RETURN_URL)
    canceled = client.post(f"/checkout/{topup_id}/cancel")
    assert parse_qs(urlsplit(canceled.headers["Location"]).query)["state"] == ["canceled"]
    client.post(f"/checkout/{topup_id}/pay")
    assert balance(client, account) == Decimal("2.00")
    assert _state(client, account, topup_id) == "canceled"
    assert "canceled" in client.get(f"/checkout/{topup_id}").text.lower()


def test_unknown_checkout_is_a_404_page(client: httpx.Client) -> None:
    for response in (client.get("/checkout/tu_nope"), client.post("/checkout/tu_nope/pay")):
        assert response.status_code == 404 and "not found" in response.text.lower()


def test_content_from_the_request_is_escaped(client: httpx.Client, account: Account) -> None:
    hostile = 'https://evil.example/"><script>alert(1)</script>'
    topup_id = create_topup(client, account, 5, return_url=hostile)
    client.post(f"/checkout/{topup_id}/pay")
    page = client.get(f"/checkout/{topup_id}").text
    assert "<script>" not in page
    assert "&quot;&gt;&lt;script&gt;" in page  # shown in the "Return to the app" link, inert


def test_the_add_funds_link_creates_a_topup_to_pay(client: httpx.Client, account: Account) -> None:
    add_funds_url = account.activation["checkout_url"]
    form = client.get(add_funds_url)
    assert form.status_code == 200 and "<script" not in form.text
    rejected = client.post(add_funds_url, data={"amount_usd": "0.001"})
    assert rejected.status_code == 422 and "two decimals" in rejected.text
    started = client.post(add_funds_url, data={"amount_usd": "7.50"})
    assert started.status_code == 303
    checkout = client.get(started.headers["Location"])
    assert "$7.50" in checkout.text
    client.post(_forms(checkout.text)[0])
    assert balance(client, account) == Decimal("9.50")
    assert client.get(add_funds_url.rsplit("/", 1)[0] + "/unknown").status_code == 404
