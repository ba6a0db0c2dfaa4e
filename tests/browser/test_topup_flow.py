"""The acceptance test of the top-up form: a person in JupyterLab adds funds and sees them.

The kernel runs the real magics against the sandbox it starts itself; the browser follows
the checkout link to the sandbox's checkout page, pays, lands on a return page this module
serves on loopback, and comes back to the notebook, where the form shows the new balance
without any cell being run again. Screenshots of each step go to ``artifacts/browser/``.

Helper added here rather than in the shared harness: ``ReturnPage``, the loopback page
checkout sends the browser back to (the sandbox has no page of its own at its base URL).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from .lab import LabNotebook

pytestmark = pytest.mark.browser

#: A project key in full; masked keys (``ifr_pk_proj_…a1b2``) never match.
FULL_KEY = re.compile(r"ifr_pk_proj_[A-Za-z0-9_-]{12,}")


class ReturnPage(ThreadingHTTPServer):
    """The page checkout redirects to: it shows its query and remembers each visit to it."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReturnPageHandler)
        self.visits: list[str] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/returned"


class _ReturnPageHandler(BaseHTTPRequestHandler):
    server: ReturnPage

    def do_GET(self) -> None:
        returned = urlsplit(self.path).path == "/returned"
        if returned:
            self.server.visits.append(self.path)  # not the browser's /favicon.ico
        body = (
            "<!doctype html><title>Back from checkout</title><h1>Back from checkout</h1>"
            f'<p id="query">{escape(urlsplit(self.path).query)}</p>'
        ).encode()
        self.send_response(200 if returned else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture(scope="module")
def return_page() -> Iterator[ReturnPage]:
    server = ReturnPage()
    thread = threading.Thread(target=server.serve_forever, name="return-page", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


# ------------------------------------------------------------------ helpers


def _open_form(lab: LabNotebook, name: str) -> tuple[LabNotebook, Locator]:
    """A notebook on a fresh in-kernel sandbox and account, with the form displayed."""
    nb = lab.open_new(name)
    nb.run_cell("%load_ext infrai_jupyter")
    nb.run_cell("%infrai_sandbox start")
    activation = nb.run_cell("%infrai_activate --no-write")
    expect(activation).to_contain_text("$2.00")
    form = nb.run_cell("%infrai_topup")
    expect(_top_up_button(form)).to_be_enabled()
    return nb, form


def _top_up_button(form: Locator) -> Locator:
    return form.get_by_role("button", name="Top up", exact=True)


def _text_field(form: Locator, label: str) -> Locator:
    return form.locator(".widget-text").filter(has_text=label).locator("input")


def _topup_count(nb: LabNotebook) -> int:
    """Ask the kernel how many top-ups the sandbox holds for this account."""
    out = nb.run_cell(
        'from infrai_jupyter import account\nprint("topups:", len(account.topups.list().items))'
    )
    expect(out).to_contain_text(re.compile(r"topups: \d+"))
    match = re.search(r"topups: (\d+)", out.inner_text())
    assert match, out.inner_text()
    return int(match[1])


def _prompts(nb: LabNotebook) -> list[str]:
    return [prompt.strip() for prompt in nb.cells.locator(".jp-InputPrompt").all_inner_texts()]


def _assert_no_full_key(page: Page) -> None:
    assert not FULL_KEY.search(page.locator("body").inner_text()), "a full key is on screen"


def _shot(locator: Locator, artifacts_dir: Path, name: str) -> Path:
    """Screenshot a locator of any page (the harness's helper settles the Lab page only)."""
    path = artifacts_dir / f"{name}.png"
    expect(locator).to_be_visible()
    locator.screenshot(path=path, animations="disabled", caret="hide")
    return path


# -------------------------------------------------------------------- tests


def test_pay_through_checkout_and_see_the_new_balance(
    lab: LabNotebook, return_page: ReturnPage, artifacts_dir: Path
) -> None:
    nb, form = _open_form(lab, "topup-flow")
    _assert_no_full_key(lab.page)
    nb.screenshot(form, "topup-1-form")

    form.get_by_role("button", name="$25", exact=True).click()
    expect(_text_field(form, "Amount ($)")).to_have_value("25")
    _text_field(form, "Return URL").fill(return_page.url)
    _top_up_button(form).click()

    link = form.locator("a.infrai-button", has_text="Open checkout")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("href", re.compile(r"^http://127\.0\.0\.1:\d+/checkout/"))
    topup_id = form.locator(".infrai-card-topup code.infrai-code").first.inner_text()
    expect(_top_up_button(form)).to_be_enabled()
    nb.screenshot(form, "topup-2-checkout-link")
    prompts_before = _prompts(nb)

    checkout = nb.follow_link_to_new_page(link)
    expect(checkout).to_have_title(re.compile("Checkout"))
    expect(checkout.locator(".amount")).to_have_text("$25.00")
    _shot(checkout.locator("main"), artifacts_dir, "topup-3-checkout-page")
    checkout.get_by_role("button", name="Pay $25.00").click()
    expect(checkout).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/returned\?"))
    expect(checkout).to_have_title("Back from checkout")
    query = parse_qs(urlsplit(checkout.url).query)
    assert query == {"topup_id": [topup_id], "state": ["succeeded"]}
    assert return_page.visits == [f"/returned?topup_id={topup_id}&state=succeeded"]
    nb.come_back(checkout)

    # The payment watch brings the news; nobody runs a cell.
    expect(form.locator(".infrai-card-balance .infrai-hero")).to_have_text("$27.00")
    expect(form.locator(".infrai-card-topup .infrai-badge")).to_have_text("Paid")
    expect(form.locator('[role="status"] .infrai-card-balance')).to_have_count(1)  # announced
    expect(form.locator("a.infrai-button")).to_have_count(0)
    assert _prompts(nb) == prompts_before
    _assert_no_full_key(lab.page)
    nb.screenshot(form, "topup-4-paid")


def test_a_wrong_field_is_marked_and_announced_and_enter_submits(lab: LabNotebook) -> None:
    nb, form = _open_form(lab, "topup-guards")
    amount = _text_field(form, "Amount ($)")

    amount.fill("12.345")
    amount.press("Enter")  # Enter submits, as a form's field should
    problem = form.locator('.infrai-field-error[role="alert"]')
    expect(problem).to_have_count(1)  # one line, under the amount, announced on arrival
    expect(problem).to_have_text("⚠ Use at most 2 decimals (whole cents), such as 9.99.")
    field_box, line_box = amount.bounding_box(), problem.bounding_box()
    assert field_box is not None and line_box is not None
    assert line_box["y"] >= field_box["y"] + field_box["height"] - 1  # under the field
    # The field is marked: a red border, and its label (its accessible name) says why.
    expect(form.locator(".widget-text.infrai-invalid input")).to_have_count(1)
    expect(amount).to_have_accessible_name(
        re.compile(r"^Amount \(\$\) \(invalid: Use at most 2 decimals")
    )
    border = amount.evaluate("element => getComputedStyle(element).borderTopColor")
    error = _colour(form.locator(".infrai-form"), "--infrai-error")
    assert border == error, (border, error)
    nb.screenshot(form, "topup-5-invalid-amount")
    assert _topup_count(nb) == 0

    amount.fill("10")
    expect(problem).to_have_count(0)  # editing clears the problem and the mark
    expect(amount).to_have_accessible_name("Amount ($)")
    amount.press("Enter")
    expect(form.locator("a.infrai-button", has_text="Open checkout")).to_be_visible()
    expect(form.locator(".infrai-card-topup .infrai-hero")).to_have_text("$10.00")
    expect(form.locator('[role="status"] .infrai-card-topup .infrai-badge')).to_have_text(
        "Awaiting payment"
    )
    _top_up_button(form).dblclick()  # the same amount again, twice: still one top-up
    expect(_top_up_button(form)).to_be_enabled()
    assert _topup_count(nb) == 1


def test_top_up_shows_a_focus_ring_in_both_themes(lab: LabNotebook) -> None:
    nb, form = _open_form(lab, "topup-focus")
    _text_field(form, "Return URL").click()
    lab.page.keyboard.press("Tab")  # from the last field to Top up, as a keyboard user does
    top_up = _top_up_button(form)
    expect(top_up).to_be_focused()
    for theme in ("light", "dark"):
        nb.set_theme(theme)  # type: ignore[arg-type]
        top_up.focus()
        expect(top_up).to_be_focused()
        ring = top_up.evaluate(
            "element => { const s = getComputedStyle(element);"
            " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
        )
        accent = _colour(form.locator(".infrai-form"), "--infrai-accent")
        assert ring[:2] == ["solid", "2px"] and ring[2] == accent, (theme, ring, accent)
        nb.screenshot(form, f"topup-focus-{theme}")
    nb.set_theme("light")


def _colour(form: Locator, variable: str) -> str:
    """The form's colour ``variable`` as the browser computes it (``rgb(r, g, b)``)."""
    return str(
        form.evaluate(
            """(element, variable) => {
                const probe = document.createElement("span");
                probe.style.color = `var(${variable})`;
                element.appendChild(probe);
                const colour = getComputedStyle(probe).color;
                probe.remove();
                return colour;
            }""",
            variable,
        )
    )
