"""The hosted checkout: plain HTML forms (no JavaScript, no external assets).

``/checkout/{topup_id}`` shows a top-up with Pay and Cancel; the unguessable top-up id is
the capability, as with a hosted payment page. After a POST the browser is sent on with
303 (so a reload never re-submits): to ``return_url`` with ``topup_id`` and ``state``
appended when it is http(s), otherwise back to the page, which then shows the outcome.
``/add-funds/{token}`` is the activation's add-funds link: pick an amount, get a top-up.

Every form carries a hidden ``form_token``: an HMAC of what it acts on under the
database's secret. A page from another site can make a browser POST here but cannot
read our pages, so it cannot know the token: such a POST gets 403 and changes nothing.
A top-up unpaid after ``pending_topup_ttl_seconds`` has expired: its page says so and
Pay does nothing. While a teacher's "decline the next checkout" is pending (``admin``),
Pay answers 402 with the page again: nothing moved, and it can be tried again. Every
interpolated value goes through ``html.escape``; links and redirects name this server's
own address (``context.base_url_of``), and form actions start with the path of
``public_url`` (``/sandbox`` for ``https://class.example.org/sandbox``), so they reach
this server through the proxy that serves it there.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from html import escape
from typing import Annotated
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from infrai_jupyter.contract.money import AmountError, parse_amount

from . import admin, service
from .context import Sandbox, checkout_location, path_prefix, sandbox_of
from .store import Account, Topup

PRESET_AMOUNTS = ("5", "10", "25", "50")

PathSegment = Annotated[str, Path(max_length=128)]

_STYLE = """
:root { color-scheme: light dark; --fg: #1f2328; --bg: #f6f8fa; --card: #fff;
  --muted: #59636e; --accent: #0969da; --line: #d1d9e0; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117;
  --card: #161b22; --muted: #9198a1; --accent: #4493f8; --line: #30363d; } }
body { margin: 0; min-height: 100vh; display: grid; place-items: center;
  background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, sans-serif; }
main { background: var(--card); border: 1px solid var(--line); border-radius: 12px;
  padding: 2rem; width: min(26rem, 90vw); box-shadow: 0 8px 24px rgb(0 0 0 / 8%); }
h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
.badge { display: inline-block; font-size: .75rem; color: var(--muted);
  border: 1px solid var(--line); border-radius: 999px; padding: 0 .6rem;
  margin-bottom: .75rem; }
.amount { font-size: 2.5rem; font-weight: 600; margin: 1rem 0; }
.muted { color: var(--muted); font-size: .875rem; overflow-wrap: anywhere; }
.error { color: #cf222e; }
form { display: inline; }
.actions { display: flex; gap: .75rem; margin-top: 1.5rem; flex-wrap: wrap; }
button, a.button { font: inherit; padding: .6rem 1.2rem; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--line); background: var(--card); color: var(--fg);
  text-decoration: none; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
input { font: inherit; padding: .5rem; border-radius: 8px; border: 1px solid var(--line);
  width: 8rem; background: var(--card); color: var(--fg); }
"""

_HEADERS = {
    "Cache-Control": "no-store",
    # The page URL is a capability: never send it to return_url as a Referer.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
}


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · infrai sandbox</title><style>{_STYLE}</style></head>"
        f'<body><main><span class="badge">infrai sandbox · no real money</span>{body}'
        "</main></body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)


def form_token(secret: bytes, purpose: str, subject: str) -> str:
    """The hidden field that proves a POST came from a page this server rendered."""
    message = f"infrai sandbox {purpose} form\0{subject}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def _hidden_token(token: str) -> str:
    return f'<input type="hidden" name="form_token" value="{escape(token)}">'


async def _form(request: Request) -> dict[str, list[str]]:
    """The url-encoded form fields of a POST (the body size is bounded by the app)."""
    return parse_qs((await request.body()).decode("utf-8", errors="replace"))


def _token_is_valid(form: dict[str, list[str]], expected: str) -> bool:
    sent = form.get("form_token", [""])[0]
    return hmac.compare_digest(sent.encode(), expected.encode())


def _forbidden() -> HTMLResponse:
    return _page(
        "Not allowed",
        "<h1>This form cannot be sent from here</h1><p class=muted>It did not come from "
        "this sandbox's checkout page, so nothing was changed. Open the checkout link "
        "from your notebook and use its buttons.</p>",
        403,
    )


def _not_found() -> HTMLResponse:
    return _page(
        "Not found",
        "<h1>Checkout not found</h1><p class=muted>This link is unknown to this sandbox. "
        "Start a new top-up from your notebook.</p>",
        404,
    )


def _is_http_url(url: str | None) -> bool:
    return url is not None and urlsplit(url).scheme in ("http", "https")


def _with_outcome(return_url: str, topup: Topup) -> str:
    parts = urlsplit(return_url)
    query = [*parse_qsl(parts.query, keep_blank_values=True)]
    query += [("topup_id", topup.topup_id), ("state", topup.state)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _pay_forms(sandbox: Sandbox, topup: Topup, amount: str) -> str:
    checkout = escape(f"{path_prefix(sandbox.settings)}/checkout/{topup.topup_id}")
    token = _hidden_token(form_token(sandbox.secret, "checkout", topup.topup_id))
    return (
        f'<div class="actions"><form method="post" action="{checkout}/pay">{token}'
        f'<button class="primary" type="submit">Pay {amount}</button></form>'
        f'<form method="post" action="{checkout}/cancel">{token}'
        '<button type="submit">Cancel</button></form></div>'
    )


def _outcome(sandbox: Sandbox, topup: Topup, amount: str, balance_cents: int) -> tuple[str, str]:
    """The title and sentence for a top-up that can no longer be paid."""
    if topup.state == "succeeded":
        balance = escape(f"${service.usd(balance_cents)}")
        return "Payment received", f"{amount} was added. Balance: {balance}."
    if service.is_expired(topup, sandbox.settings):
        hours = sandbox.settings.pending_topup_ttl_seconds / 3600
        return "Top-up expired", (
            f"This top-up expired unpaid after {hours:g} hours and can no longer be paid; "
            "nothing was charged. Start a new top-up from your notebook."
        )
    return "Top-up canceled", "Canceled: nothing was charged."


def _checkout_page(sandbox: Sandbox, topup: Topup, balance_cents: int) -> HTMLResponse:
    amount = escape(f"${service.usd(topup.amount_cents)}")
    topup_id = escape(topup.topup_id)
    seen = service.as_seen(topup, sandbox.settings)
    if seen.state == "requires_payment":
        body = (
            f'<h1>Add funds</h1><div class="amount">{amount}</div>'
            f'<p class="muted">Top-up {topup_id}</p>{_pay_forms(sandbox, seen, amount)}'
        )
        return _page("Checkout", body)
    if seen.return_url and _is_http_url(seen.return_url):
        href = escape(_with_outcome(seen.return_url, seen))
        back = f'<div class="actions"><a class="button" href="{href}">Return to the app</a></div>'
    else:
        back = "<p class=muted>You can close this tab and go back to your notebook.</p>"
    title, outcome = _outcome(sandbox, topup, amount, balance_cents)
    body = f"<h1>{title}</h1><p>{outcome}</p><p class=muted>Top-up {topup_id}</p>{back}"
    return _page("Checkout", body)


def _declined_page(sandbox: Sandbox, topup: Topup) -> HTMLResponse:
    """A declined payment (a teacher's scenario): nothing moved, and Pay may be tried again."""
    amount = escape(f"${service.usd(topup.amount_cents)}")
    body = (
        f'<h1>Payment declined</h1><div class="amount">{amount}</div>'
        '<p class="error" role="alert">The payment was declined (a scenario your teacher '
        "set); nothing was charged. Try again, or cancel.</p>"
        f"{_pay_forms(sandbox, topup, amount)}"
    )
    return _page("Payment declined", body, 402)


def _add_funds_page(
    sandbox: Sandbox, token: str, error: str | None = None, amount: str = ""
) -> HTMLResponse:
    action = escape(f"{path_prefix(sandbox.settings)}/add-funds/{token}")
    presets = "".join(
        f'<button type="submit" name="amount_usd" value="{value}">${value}</button>'
        for value in PRESET_AMOUNTS
    )
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    hidden = _hidden_token(form_token(sandbox.secret, "add-funds", token))
    body = (
        "<h1>Add funds</h1><p class=muted>Choose an amount; the next page asks you to pay.</p>"
        f'{message}<form method="post" action="{action}">{hidden}'
        f'<div class="actions">{presets}</div>'
        '<div class="actions"><label>Other amount ($) <input name="amount_usd" '
        f'inputmode="decimal" value="{escape(amount)}"></label>'
        '<button class="primary" type="submit">Continue</button></div></form>'
    )
    return _page("Add funds", body, 422 if error else 200)


def build_router() -> APIRouter:
    """The HTML pages; left out of the OpenAPI document, which describes the JSON API."""
    router = APIRouter(include_in_schema=False)

    @router.get("/checkout/{topup_id}")
    def show(request: Request, topup_id: PathSegment) -> Response:
        sandbox = sandbox_of(request)
        with sandbox.store.transaction(write=False) as tx:
            topup = tx.get_topup(topup_id)
            account = tx.get_account(topup.account_id) if topup else None
        if topup is None or account is None:
            return _not_found()
        return _checkout_page(sandbox, topup, account.balance_cents)

    def settle(request: Request, topup_id: str, pay: bool) -> Response:
        sandbox = sandbox_of(request)
        with sandbox.store.transaction() as tx:
            topup = tx.get_topup(topup_id)
            payable = topup is not None and service.as_seen(topup, sandbox.settings).state
            if pay and payable == "requires_payment" and tx.consume_scenario(admin.DECLINE):
                assert topup is not None
                return _declined_page(sandbox, topup)
            topup = service.settle_topup(tx, sandbox.settings, topup_id, pay=pay)
        if topup is None:
            return _not_found()
        seen = service.as_seen(topup, sandbox.settings)
        if seen.return_url and _is_http_url(seen.return_url):
            target = _with_outcome(seen.return_url, seen)
        else:
            target = checkout_location(request, topup.topup_id)
        return RedirectResponse(target, status_code=303, headers=_HEADERS)

    async def settle_from_form(request: Request, topup_id: str, pay: bool) -> Response:
        expected = form_token(sandbox_of(request).secret, "checkout", topup_id)
        if not _token_is_valid(await _form(request), expected):
            return _forbidden()
        return await run_in_threadpool(settle, request, topup_id, pay)

    @router.post("/checkout/{topup_id}/pay")
    async def pay(request: Request, topup_id: PathSegment) -> Response:
        return await settle_from_form(request, topup_id, pay=True)

    @router.post("/checkout/{topup_id}/cancel")
    async def cancel(request: Request, topup_id: PathSegment) -> Response:
        return await settle_from_form(request, topup_id, pay=False)

    def find_funding_account(request: Request, token: str) -> Account | None:
        with sandbox_of(request).store.transaction(write=False) as tx:
            return tx.find_account_by_funding_token(token)

    @router.get("/add-funds/{token}")
    def add_funds(request: Request, token: PathSegment, amount: str = "") -> Response:
        if find_funding_account(request, token) is None:
            return _not_found()
        return _add_funds_page(sandbox_of(request), token, amount=amount[:32])

    @router.post("/add-funds/{token}")
    async def start_topup(request: Request, token: PathSegment) -> Response:
        sandbox = sandbox_of(request)
        form = await _form(request)
        if not _token_is_valid(form, form_token(sandbox.secret, "add-funds", token)):
            return _forbidden()
        values = [value.strip() for value in form.get("amount_usd", []) if value.strip()]
        raw_amount = values[0] if values else ""
        try:
            amount = parse_amount(raw_amount)
        except AmountError as error:
            return _add_funds_page(sandbox, token, str(error), raw_amount[:32])
        return await run_in_threadpool(create_and_redirect, request, token, amount)

    def create_and_redirect(request: Request, token: str, amount: Decimal) -> Response:
        with sandbox_of(request).store.transaction() as tx:
            account = tx.find_account_by_funding_token(token)
            if account is None:
                return _not_found()
            topup = service.create_topup(tx, account.account_id, amount, None)
        target = checkout_location(request, topup.topup_id)
        return RedirectResponse(target, status_code=303, headers=_HEADERS)

    return router
