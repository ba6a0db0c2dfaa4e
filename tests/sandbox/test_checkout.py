"""The hosted checkout driven as a browser would: plain GETs and form POSTs, no JavaScript."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from .conftest import (
    Account,
    SandboxFactory,
    activate,
    balance,
    create_topup,
    data_of,
    forms_of,
    pay,
)

RETURN_URL = "https://app.example.com/billing/return?tab=wallet"


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
    forms = forms_of(page)
    assert [form.action for form in forms] == [
        f"/checkout/{topup_id}/pay",
        f"/checkout/{topup_id}/cancel",
    ]
    assert all(form.fields["form_token"] for form in forms)
    # No JavaScript and no external assets: the only URLs are its own form actions.
    assert "<script" not in page.text and "http" not in re.sub(r'action="[^"]+"', "", page.text)


def test_pay_credits_once_then_redirects_to_return_url(
    client: httpx.Client, account: Account
) -> None:
    topup_id = create_topup(client, account, 25, return_url=RETURN_URL)
    pay_button, cancel_button = forms_of(client.get(f"/checkout/{topup_id}"))
    paid = pay_button.submit(client)
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
    assert pay_button.submit(client).status_code == 303
    cancel_button.submit(client)
    assert balance(client, account) == Decimal("27.00")
    assert _state(client, account, topup_id) == "succeeded"


def test_without_return_url_the_redirect_lands_on_a_done_page(
    client: httpx.Client, account: Account
) -> None:
    topup_id = create_topup(client, account, 10)
    pay_button = forms_of(client.get(f"/checkout/{topup_id}"))[0]
    done = client.post(pay_button.action, data=pay_button.fields, follow_redirects=True)
    assert done.status_code == 200
    assert "Payment received" in done.text and "$12.00" in done.text
    assert forms_of(done) == []


def test_cancel_charges_nothing_and_pay_after_cancel_does_not_credit(
    client: httpx.Client, account: Account
) -> None:
    topup_id = create_topup(client, account, 10, return_url=RETURN_URL)
    pay_button, cancel_button = forms_of(client.get(f"/checkout/{topup_id}"))
    canceled = cancel_button.submit(client)
    assert parse_qs(urlsplit(canceled.headers["Location"]).query)["state"] == ["canceled"]
    pay_button.submit(client)
    assert balance(client, account) == Decimal("2.00")
    assert _state(client, account, topup_id) == "canceled"
    assert "canceled" in client.get(f"/checkout/{topup_id}").text.lower()


def test_unknown_checkout_is_a_404_page(client: httpx.Client) -> None:
    response = client.get("/checkout/tu_nope")
    assert response.status_code == 404 and "not found" in response.text.lower()


def test_content_from_the_request_is_escaped(client: httpx.Client, account: Account) -> None:
    hostile = 'https://evil.example/"><script>alert(1)</script>'
    topup_id = create_topup(client, account, 5, return_url=hostile)
    pay(client, topup_id)
    page = client.get(f"/checkout/{topup_id}").text
    assert "<script>" not in page
    assert "&quot;&gt;&lt;script&gt;" in page  # shown in the "Return to the app" link, inert


def test_the_add_funds_link_creates_a_topup_to_pay(client: httpx.Client, account: Account) -> None:
    add_funds_url = account.activation["checkout_url"]
    form = client.get(add_funds_url)
    assert form.status_code == 200 and "<script" not in form.text
    (amount_form,) = forms_of(form)
    rejected = amount_form.submit(client, amount_usd="12.345")
    assert rejected.status_code == 422 and "2 decimals" in rejected.text
    started = amount_form.submit(client, amount_usd=" $7.50 ")
    assert started.status_code == 303
    checkout = client.get(started.headers["Location"])
    assert "$7.50" in checkout.text
    forms_of(checkout)[0].submit(client)
    assert balance(client, account) == Decimal("9.50")
    assert client.get(add_funds_url.rsplit("/", 1)[0] + "/unknown").status_code == 404


def test_a_cross_site_post_cannot_pay_cancel_or_start_a_topup(
    client: httpx.Client, account: Account
) -> None:
    """Another site's page knows the links (they leak in logs, history, screenshots) but
    cannot read our pages, so its auto-submitting form has no token, or a wrong one."""
    topup_id = create_topup(client, account, 25)
    other = create_topup(client, account, 30)
    borrowed = forms_of(client.get(f"/checkout/{other}"))[0].fields  # valid, for another
    cross_site = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    for action in ("pay", "cancel"):
        for fields in ({}, {"form_token": "0" * 32}, borrowed):
            response = client.post(
                f"/checkout/{topup_id}/{action}", data=fields, headers=cross_site
            )
            assert response.status_code == 403, (action, fields)
            assert "nothing was changed" in response.text
    add_funds = client.post(
        account.activation["checkout_url"], data={"amount_usd": "5"}, headers=cross_site
    )
    assert add_funds.status_code == 403
    assert _state(client, account, topup_id) == "requires_payment"
    assert len(data_of(client.get("/v1/account/topups", headers=account.headers))["items"]) == 2
    assert balance(client, account) == Decimal("2.00")


def test_an_unpaid_topup_expires_and_can_no_longer_be_paid(
    sandbox_factory: SandboxFactory,
) -> None:
    expiring = sandbox_factory(pending_topup_ttl_seconds=0)
    patient = sandbox_factory()  # the same database, with the default TTL of a day
    with (
        httpx.Client(base_url=expiring.url, timeout=30) as client,
        httpx.Client(base_url=patient.url, timeout=30) as earlier_tab,
    ):
        account = activate(client)
        topup_id = create_topup(client, account, 25, return_url=RETURN_URL)
        # A tab that showed the page while the top-up was still payable.
        pay_button = forms_of(earlier_tab.get(f"/checkout/{topup_id}"))[0]
        assert _state(client, account, topup_id) == "canceled"
        page = client.get(f"/checkout/{topup_id}")
        assert "expired" in page.text and "can no longer be paid" in page.text
        assert forms_of(page) == []
        paid = pay_button.submit(client)
        assert parse_qs(urlsplit(paid.headers["Location"]).query)["state"] == ["canceled"]
        assert balance(client, account) == Decimal("2.00")


PUBLIC = "https://class.example.org/sandbox"


@pytest.mark.parametrize("proxy_strips_the_prefix", [True, False], ids=["strips", "keeps"])
def test_behind_a_public_url_with_a_path_every_link_and_form_goes_through_it(
    sandbox_factory: SandboxFactory, proxy_strips_the_prefix: bool
) -> None:
    """What the students' browsers see at https://class.example.org/sandbox: every link,
    redirect and form names that address, and each reaches its route through the proxy."""
    sandbox = sandbox_factory(public_url=PUBLIC)

    def through_proxy(public: str) -> str:
        """Where a proxy for PUBLIC sends a link or a form action (absolute or path)."""
        path = public.removeprefix("https://class.example.org")
        assert path.startswith("/sandbox/"), public
        return path.removeprefix("/sandbox") if proxy_strips_the_prefix else path

    with httpx.Client(base_url=sandbox.url, timeout=30) as client:
        account = activate(client)
        add_funds = account.activation["checkout_url"]
        assert add_funds.startswith(f"{PUBLIC}/add-funds/")
        (amount_form,) = forms_of(client.get(through_proxy(add_funds)))
        started = client.post(
            through_proxy(amount_form.action), data=amount_form.fields | {"amount_usd": "5"}
        )
        checkout = started.headers["Location"]
        assert started.status_code == 303 and checkout.startswith(f"{PUBLIC}/checkout/tu_")
        shortfall = client.post(
            "/v1/account/tier/upgrade", json={"target_tier": "pro"}, headers=account.headers
        )
        assert shortfall.json()["error"]["details"]["checkout_url"].startswith(PUBLIC + "/")
        pay_button, _ = forms_of(client.get(through_proxy(checkout)))
        paid = client.post(through_proxy(pay_button.action), data=pay_button.fields)
        assert paid.status_code == 303 and paid.headers["Location"] == checkout
        assert "Payment received" in client.get(through_proxy(checkout)).text
        assert balance(client, account) == Decimal("7.00")
