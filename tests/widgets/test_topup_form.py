"""The top-up form without a browser: ``Button.click()`` and ``get_state()`` on a real sandbox."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from infrai_jupyter._client import InfraiClient
from infrai_jupyter.contract import PROJECT_KEY_PREFIX
from infrai_jupyter.contract.money import TOPUP_PRESETS_USD
from infrai_jupyter.sandbox import SandboxServer, SandboxSettings
from infrai_jupyter.widgets import TopupForm

from .conftest import (
    WATCH_WAIT_S,
    all_widget_states,
    assert_no_secret,
    checkout_anchor,
    checkout_href,
    displayed_bundle,
    settle_checkout,
    soup,
    text_at,
    topup_count,
)

FormFactory = Callable[..., TopupForm]

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def _preset(form: TopupForm, label: str) -> Any:
    (button,) = [b for b in form.preset_buttons if b.description == label]
    return button


def _problems(form: TopupForm) -> str:
    return soup(form.message.value).get_text(" ")


def _field_problem(form: TopupForm, field: Any) -> str:
    """The error line under ``field``; asserts the field is marked invalid and labelled so."""
    error = form.amount_error if field is form.amount else form.return_url_error
    line = soup(error.value).select_one('div.infrai-field-error[role="alert"]')
    assert line is not None, error.value
    assert "infrai-invalid" in field._dom_classes
    label = soup(field.description).get_text()
    assert "(invalid: " in label and line.get_text().removeprefix("⚠ ") in label
    return line.get_text()


def test_presets_fill_the_amount_and_match_the_add_funds_page(make_form: FormFactory) -> None:
    form = make_form()
    assert [b.description for b in form.preset_buttons] == ["$5", "$10", "$25", "$50"]
    assert [Decimal(b.description[1:]) for b in form.preset_buttons] == list(TOPUP_PRESETS_USD)
    _preset(form, "$25").click()
    assert form.amount.value == "25"
    _preset(form, "$50").click()
    assert form.amount.value == "50"


def test_enter_in_the_amount_field_submits(make_form: FormFactory, client: InfraiClient) -> None:
    form = make_form()
    form.amount.value = "7"
    form.amount._handle_custom_msg({"event": "submit"}, [])  # what the browser sends on Enter
    (topup,) = client.account.topups.list().items
    assert topup.amount_usd == Decimal("7.00") and form.topup_id == topup.topup_id


def test_the_form_wears_the_card_frame(make_form: FormFactory) -> None:
    form = make_form()
    assert "infrai-form" in form._dom_classes
    header = soup(form.heading.value)
    assert header.select_one(".infrai-form-header strong").get_text() == "Add funds"
    style = header.select_one("style").get_text()
    assert ".infrai-form .jupyter-button:focus-visible," in style
    assert "input:focus-visible{outline:2px solid var(--infrai-accent)" in style
    assert "width:min(100%,40rem)" in style  # the cards' one width rule


def test_the_magics_prefill_amount_and_return_url(make_form: FormFactory) -> None:
    form = make_form(amount=Decimal("12.50"), return_url="https://example.com/back")
    assert form.amount.value == "12.50"
    assert form.return_url.value == "https://example.com/back"
    bundle = displayed_bundle(form)
    assert bundle["text/plain"] == (
        "infrai top-up form — open in JupyterLab to use it, or run %infrai_topup 12.50"
    )
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == form.model_id


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("", "Enter an amount in dollars"),
        ("twenty", "“twenty” is not a number of dollars"),
        ("0", "The amount must be at least $0.01."),
        ("-5", "The amount must be at least $0.01."),
        ("1.234", "Use at most 2 decimals (whole cents)"),
        ("10000.01", "The amount can be at most $10,000.00."),
        ("nan", "“nan” is not an amount of dollars"),
        ("Infinity", "“Infinity” is not an amount of dollars"),
    ],
)
def test_invalid_amount_shows_the_problem_and_sends_nothing(
    make_form: FormFactory, client: InfraiClient, amount: str, problem: str
) -> None:
    form = make_form(amount=None)
    form.amount.value = amount
    form.submit.click()
    assert problem in _field_problem(form, form.amount)
    assert form.return_url_error.value == ""  # only the field that is wrong says so
    assert "infrai-invalid" not in form.return_url._dom_classes
    assert form.output.value == ""
    assert form.topup_id is None
    assert not form.submit.disabled
    assert topup_count(client) == 0


@pytest.mark.parametrize(
    "return_url",
    ["javascript:alert(1)", "ftp://example.com/file", "/relative/path", "https://", "x" * 3000],
)
def test_invalid_return_url_shows_the_problem_and_sends_nothing(
    make_form: FormFactory, client: InfraiClient, return_url: str
) -> None:
    form = make_form(amount=Decimal("5"))
    form.return_url.value = return_url
    form.submit.click()
    assert "return URL" in _field_problem(form, form.return_url)
    assert form.amount_error.value == ""
    assert form.topup_id is None
    assert topup_count(client) == 0


def test_a_hostile_return_url_is_shown_escaped(make_form: FormFactory) -> None:
    form = make_form(amount=Decimal("5"))
    form.return_url.value = "javascript:" + HOSTILE
    form.submit.click()
    for html in (form.return_url_error.value, form.return_url.description):
        page = soup(html)
        assert page.find("script") is None and page.find("img") is None
        assert "<script>alert(1)</script>" in page.get_text()  # shown as text, not markup


def test_editing_clears_the_problem(make_form: FormFactory) -> None:
    form = make_form()
    form.submit.click()
    assert "Enter an amount" in _field_problem(form, form.amount)
    _preset(form, "$5").click()
    assert form.amount_error.value == ""
    assert "infrai-invalid" not in form.amount._dom_classes
    assert form.amount.description == "Amount ($)"


def test_success_shows_one_safe_checkout_link(make_form: FormFactory, client: InfraiClient) -> None:
    form = make_form(amount=Decimal("25"), watch_interval=3600)
    form.submit.click()

    (topup,) = client.account.topups.list().items
    assert topup.amount_usd == Decimal("25.00")
    assert form.topup_id == topup.topup_id
    link = checkout_anchor(form)
    assert link["href"] == topup.checkout_url
    assert link["target"] == "_blank"
    assert link["rel"] == ["noopener", "noreferrer"]
    assert form.message.value == ""
    assert not form.submit.disabled
    assert form.check.layout.display is None  # Check payment shows while payment is pending


def test_double_click_creates_one_topup(make_form: FormFactory, client: InfraiClient) -> None:
    form = make_form(amount=Decimal("10"))
    form.submit.click()
    first = form.topup_id
    form.submit.click()  # in a kernel the second click of a double click arrives here
    assert form.topup_id == first
    assert topup_count(client) == 1


def test_a_click_while_the_call_runs_does_nothing(
    make_form: FormFactory, client: InfraiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = make_form(amount=Decimal("10"))
    real_topup = client.account.topup
    disabled_during_call: list[bool] = []

    def impatient_topup(**arguments: Any) -> Any:
        disabled_during_call.append(form.submit.disabled)
        if len(disabled_during_call) == 1:
            form.submit.click()  # the user clicks again while the first call runs
        return real_topup(**arguments)

    monkeypatch.setattr(client.account, "topup", impatient_topup)
    form.submit.click()
    assert disabled_during_call == [True]
    assert not form.submit.disabled
    assert topup_count(client) == 1


def test_new_input_is_a_new_topup(make_form: FormFactory, client: InfraiClient) -> None:
    form = make_form(amount=Decimal("10"))
    form.submit.click()
    first = form.topup_id
    _preset(form, "$50").click()
    form.submit.click()
    assert form.topup_id != first
    assert sorted(t.amount_usd for t in client.account.topups.list().items) == [10, 50]


def test_after_payment_the_same_amount_is_a_new_topup(
    make_form: FormFactory, client: InfraiClient
) -> None:
    form = make_form(amount=Decimal("5"))
    form.submit.click()
    settle_checkout(checkout_href(form), "pay")
    assert form.watch is not None and form.watch.join(WATCH_WAIT_S)
    form.submit.click()
    assert topup_count(client) == 2


def test_payment_shows_the_new_balance_without_rerunning(
    make_form: FormFactory, client: InfraiClient
) -> None:
    form = make_form(amount=Decimal("25"), return_url="https://example.com/thanks")
    form.submit.click()
    settle_checkout(checkout_href(form), "pay")

    assert form.watch is not None and form.watch.join(WATCH_WAIT_S)
    page = soup(form.output.value)
    assert text_at(form.output.value, ".infrai-card-balance .infrai-hero") == "$27.00"
    assert text_at(form.output.value, ".infrai-card-topup .infrai-badge") == "Paid"
    assert soup(form.output.value).select_one('[role="status"] .infrai-card-balance') is not None
    assert page.select("a.infrai-button") == []  # nothing left to pay
    assert form.check.layout.display == "none"
    assert form.message.value == ""


def test_cancel_shows_canceled(make_form: FormFactory, client: InfraiClient) -> None:
    form = make_form(amount=Decimal("25"))
    form.submit.click()
    settle_checkout(checkout_href(form), "cancel")

    assert form.watch is not None and form.watch.join(WATCH_WAIT_S)
    page = soup(form.output.value)
    assert text_at(form.output.value, ".infrai-card-topup .infrai-badge") == "Canceled"
    assert "Canceled: nothing was charged." in page.get_text()
    assert page.select_one(".infrai-card-balance") is None
    assert client.account.balance().balance_usd == Decimal("2.00")


def test_check_payment_button_without_waiting_for_the_watch(make_form: FormFactory) -> None:
    form = make_form(amount=Decimal("5"), watch_interval=3600)
    form.submit.click()
    form.check.click()
    assert "Not paid yet" in _problems(form)

    settle_checkout(checkout_href(form), "pay")
    form.check.click()
    assert text_at(form.output.value, ".infrai-card-balance .infrai-hero") == "$7.00"
    assert form.message.value == ""


def test_the_watch_gives_up_at_its_deadline(make_form: FormFactory) -> None:
    form = make_form(amount=Decimal("5"), watch_interval=0.02, watch_timeout=0.1)
    form.submit.click()
    assert form.watch is not None and form.watch.join(WATCH_WAIT_S)
    assert "Stopped checking automatically" in _problems(form)
    assert "click Check payment" in _problems(form)
    assert form.check.layout.display is None


def test_no_key_in_any_widget_state(make_form: FormFactory, client: InfraiClient) -> None:
    form = make_form(amount=Decimal("5"))
    assert_no_secret(form, client)
    form.submit.click()
    settle_checkout(checkout_href(form), "pay")
    assert form.watch is not None and form.watch.join(WATCH_WAIT_S)
    assert "$7.00" in form.output.value
    assert_no_secret(form, client)


# ------------------------------------------- faults a real sandbox cannot produce


def _mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> InfraiClient:
    return InfraiClient(
        api_key=PROJECT_KEY_PREFIX + "mockmockmockmock1234",
        base_url="http://infrai.test",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def _envelope(status: int, data: Any = None, error: Any = None) -> httpx.Response:
    body = {"ok": error is None, "data": data, "error": error, "metadata": {"request_id": "r1"}}
    return httpx.Response(
        status, content=json.dumps(body), headers={"content-type": "application/json"}
    )


def test_api_error_is_shown_escaped_and_the_form_stays_usable(make_form: FormFactory) -> None:
    error = {"code": "VALIDATION_ERROR", "message": HOSTILE, "details": {}}
    client = _mock_client(lambda request: _envelope(422, error=error))
    form = make_form(client=client, amount=Decimal("5"))
    form.submit.click()

    page = soup(form.message.value)
    assert page.find("script") is None and page.find("img") is None
    text = page.get_text(" ")
    assert "<script>alert(1)</script>" in text
    assert "VALIDATION_ERROR (HTTP 422)" in text
    assert "Change what is named above and click Top up again." in text
    assert not form.submit.disabled
    assert form.output.value == ""


def test_an_error_that_quotes_a_key_shows_it_masked(make_form: FormFactory) -> None:
    key = PROJECT_KEY_PREFIX + "echoedechoedechoedechoed" + "a1b2"
    error = {"code": f"BAD_KEY_{key}", "message": f"Key {key} is revoked.", "details": {}}

    def handler(request: httpx.Request) -> httpx.Response:
        response = _envelope(403, error=error)
        body = json.loads(response.content)
        body["metadata"]["request_id"] = key
        return httpx.Response(403, json=body)

    form = make_form(client=_mock_client(handler), amount=Decimal("5"))
    form.submit.click()
    assert "ifr_pk_proj_…a1b2" in form.message.value
    assert "echoedechoed" not in form.message.value


def test_unreachable_server_says_what_to_do(make_form: FormFactory) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    form = make_form(client=_mock_client(refuse), amount=Decimal("5"))
    form.submit.click()
    text = soup(form.message.value).get_text(" ")
    assert "Could not reach the infrai API" in text
    assert "this form's server is gone: run %infrai_topup again for a fresh form" in text
    assert soup(form.message.value).select_one('[role="alert"] .infrai-card-error')
    assert not form.submit.disabled


def test_a_non_http_checkout_url_is_text_with_a_warning(make_form: FormFactory) -> None:
    record = {
        "topup_id": "tu_hostile",
        "amount_usd": 5,
        "state": "requires_payment",
        "checkout_url": "javascript:alert(document.domain)",
    }
    client = _mock_client(lambda request: _envelope(200, data=record))
    form = make_form(client=client, amount=Decimal("5"), watch_interval=3600)
    form.submit.click()

    page = soup(form.output.value)
    assert page.find("a") is None
    assert "javascript:alert(document.domain)" in page.get_text()
    assert "not an http(s) link, so not clickable" in page.get_text()


def test_closing_a_form_closes_only_a_client_it_owns(
    make_form: FormFactory, client: InfraiClient, sandbox: SandboxServer
) -> None:
    borrowing = make_form()
    borrowing.close()
    assert not client.is_closed  # the caller's client keeps working
    client.account.balance()

    own = InfraiClient(base_url=sandbox.url)
    owning = make_form(client=own, owns_client=True)
    owning.close()
    assert own.is_closed  # no connection pool is left behind by a form the magics made


# ------------------------------------------------------- secrets and server text


PASTED_SECRET = "PastedPastedPasted" + "q1w2"
PASTED_KEY = PROJECT_KEY_PREFIX + PASTED_SECRET
SERVER_NOISE = "\x1b[31m\x1b]0;pwned\x07\u202egnp.exe\u2066 " + HOSTILE
INVISIBLE = ("\x1b", "\x07", "\u202e", "\u2066")


@pytest.mark.parametrize(
    ("field", "pasted"),
    [("amount", PASTED_KEY), ("return_url", f"https://example.com/back?key={PASTED_KEY}")],
)
def test_a_key_pasted_into_a_field_is_cleared_at_once(
    make_form: FormFactory, client: InfraiClient, field: str, pasted: str
) -> None:
    form = make_form()
    getattr(form, field).value = pasted
    assert getattr(form, field).value == ""
    assert "looked like a project key, so it was cleared" in _problems(form)
    states = json.dumps(all_widget_states(form), default=str)
    assert PASTED_SECRET[:-4] not in states
    assert_no_secret(form, client)


def test_a_key_given_as_the_return_url_is_not_kept_either(
    make_form: FormFactory, client: InfraiClient
) -> None:
    form = make_form(return_url=f"https://example.com/?key={PASTED_KEY}")
    assert form.return_url.value == ""
    assert "looked like a project key, so it was cleared" in _problems(form)
    assert PASTED_SECRET[:-4] not in json.dumps(all_widget_states(form), default=str)
    assert_no_secret(form, client)


def test_a_hostile_error_is_a_small_clean_card(make_form: FormFactory) -> None:
    noise = SERVER_NOISE + "x" * 200_000
    error = {"code": "E" + noise, "message": noise, "details": {"missing_usd": "NaN"}}
    client = _mock_client(lambda request: _envelope(402, error=error))
    form = make_form(client=client, amount=Decimal("5"))
    form.submit.click()

    html = form.message.value
    assert len(html) < 30_000
    page = soup(html)
    assert page.find(["script", "img"]) is None
    assert [char for char in INVISIBLE if char in html] == []
    assert "NaN" not in page.get_text()
    assert "Change what is named above and click Top up again." in page.get_text()


def test_a_hostile_topup_record_is_drawn_clean_and_a_huge_url_is_not_a_link(
    make_form: FormFactory,
) -> None:
    record = {
        "topup_id": "tu_" + SERVER_NOISE + "x" * 100_000,
        "amount_usd": 5,
        "state": "requires_payment",
        "checkout_url": "https://pay.example.com/" + "a" * 5_000,
    }
    client = _mock_client(lambda request: _envelope(200, data=record))
    form = make_form(client=client, amount=Decimal("5"), watch_interval=3600)
    form.submit.click()

    html = form.output.value
    assert len(html) < 30_000
    page = soup(html)
    assert page.find(["a", "script", "img"]) is None
    assert "not an http(s) link, so not clickable" in page.get_text()
    assert [char for char in INVISIBLE if char in html] == []


def test_a_failed_payment_check_says_so_in_one_clean_capped_line(make_form: FormFactory) -> None:
    record = {"topup_id": "tu_1", "amount_usd": 5, "state": "requires_payment"}
    error = {"code": "NOT_FOUND", "message": SERVER_NOISE + "y" * 100_000, "details": {}}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return _envelope(200, data=record)
        return _envelope(404, error=error)  # not retryable: the watch stops after it

    form = make_form(client=_mock_client(handler), amount=Decimal("5"), watch_interval=0.02)
    form.submit.click()
    assert form.watch is not None and form.watch.join(WATCH_WAIT_S)

    lines = [div.get_text() for div in soup(form.message.value).select("div div")]
    assert lines[0].startswith("Could not check the payment: ")
    assert lines[1] == "Stopped checking automatically; click Check payment to try again."
    assert all(len(line) <= 300 for line in lines)
    assert [char for char in INVISIBLE if char in form.message.value] == []


def test_the_form_follows_the_session_to_a_new_server(
    make_form: FormFactory, client: InfraiClient, tmp_path: Any
) -> None:
    """%infrai_sandbox stop, start, %infrai_activate: an old form tops up on the new server."""
    session = {"client": client}
    form = make_form(follow=lambda: session["client"], amount=Decimal("5"))
    with (
        SandboxServer(SandboxSettings(db_path=tmp_path / "new.sqlite3")) as new_server,
        InfraiClient(base_url=new_server.url) as new_client,
    ):
        new_client.activate(write_credentials=False, device_fingerprint=uuid.uuid4().hex)
        session["client"] = new_client
        form.submit.click()
        assert checkout_href(form).startswith(f"{new_server.url}/checkout/")
        assert topup_count(new_client) == 1
    assert topup_count(client) == 0


def test_without_a_key_the_form_says_not_signed_in_and_sends_nothing(
    make_form: FormFactory, sandbox: SandboxServer
) -> None:
    with InfraiClient(base_url=sandbox.url) as keyless:
        form = make_form(client=keyless, amount=Decimal("5"))
        form.submit.click()
        card = soup(form.message.value).select_one('[role="alert"] .infrai-card-error')
        assert card is not None and "no project key yet" in card.get_text()
        assert "%infrai_activate" in card.get_text()
        assert form.topup_id is None and form.output.value == ""


def test_the_add_funds_page_offers_the_form_s_amounts(
    make_form: FormFactory, sandbox: SandboxServer
) -> None:
    with InfraiClient(base_url=sandbox.url) as fresh:
        activation = fresh.activate(write_credentials=False, device_fingerprint=uuid.uuid4().hex)
    assert activation.checkout_url is not None
    page = soup(httpx.get(activation.checkout_url).text)
    offered = [str(button["value"]) for button in page.select('button[name="amount_usd"]')]
    form = make_form()
    assert [f"${value}" for value in offered] == [b.description for b in form.preset_buttons]
