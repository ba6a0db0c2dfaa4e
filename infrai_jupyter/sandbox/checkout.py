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

The pages speak the browser's language (``Accept-Language``: English, or Simplified
Chinese from the ``infrai_sandbox`` catalogue; see ``i18n``): every shown sentence is
whole, marked ``_("…")`` with named placeholders, escaped, then filled with escaped
values. Amounts read ``$1,234.50`` in every language; page titles always end with
``· infrai sandbox`` (``teaching.pay_checkout`` looks for it).
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
from .i18n import PageLanguage, amount_problem, language_of
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


def _dollars(amount_cents: int) -> str:
    """An amount as HTML, ``$1,234.50`` in every language: a translation never formats money."""
    return escape(f"${service.usd(amount_cents):,}")


def _html(text: str, **values: str) -> str:
    """Translated ``text`` as HTML: escaped, then its placeholders filled with HTML ``values``."""
    return escape(text).format(**values)


def _page(language: PageLanguage, title: str, body: str, status_code: int = 200) -> HTMLResponse:
    badge = _html(language.gettext("infrai sandbox · no real money"))
    html = (
        f'<!doctype html><html lang="{language.html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · infrai sandbox</title><style>{_STYLE}</style></head>"
        f'<body><main><span class="badge">{badge}</span>'
        f"{body}</main></body></html>"
    )
    headers = {**_HEADERS, "Content-Language": language.html_lang, "Vary": "Accept-Language"}
    return HTMLResponse(html, status_code=status_code, headers=headers)


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


def _forbidden(language: PageLanguage) -> HTMLResponse:
    _ = language.gettext
    heading = _html(_("This form cannot be sent from here"))
    explanation = _html(
        _(
            "It did not come from this sandbox's checkout page, so nothing was changed. "
            "Open the checkout link from your notebook and use its buttons."
        )
    )
    body = f"<h1>{heading}</h1><p class=muted>{explanation}</p>"
    return _page(language, _("Not allowed"), body, 403)


def _not_found(language: PageLanguage) -> HTMLResponse:
    _ = language.gettext
    heading = _html(_("Checkout not found"))
    explanation = _html(
        _("This link is unknown to this sandbox. Start a new top-up from your notebook.")
    )
    body = f"<h1>{heading}</h1><p class=muted>{explanation}</p>"
    return _page(language, _("Not found"), body, 404)


def _is_http_url(url: str | None) -> bool:
    return url is not None and urlsplit(url).scheme in ("http", "https")


def _with_outcome(return_url: str, topup: Topup) -> str:
    parts = urlsplit(return_url)
    query = [*parse_qsl(parts.query, keep_blank_values=True)]
    query += [("topup_id", topup.topup_id), ("state", topup.state)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _pay_forms(language: PageLanguage, sandbox: Sandbox, topup: Topup, amount: str) -> str:
    _ = language.gettext
    checkout = escape(f"{path_prefix(sandbox.settings)}/checkout/{topup.topup_id}")
    token = _hidden_token(form_token(sandbox.secret, "checkout", topup.topup_id))
    pay, cancel = _html(_("Pay {amount}"), amount=amount), _html(_("Cancel"))
    return (
        f'<div class="actions"><form method="post" action="{checkout}/pay">{token}'
        f'<button class="primary" type="submit">{pay}'
        f'</button></form><form method="post" action="{checkout}/cancel">{token}'
        f'<button type="submit">{cancel}</button></form></div>'
    )


def _outcome(
    language: PageLanguage, sandbox: Sandbox, topup: Topup, amount: str, balance_cents: int
) -> tuple[str, str]:
    """The title and sentence (HTML) for a top-up that can no longer be paid."""
    _ = language.gettext
    if topup.state == "succeeded":
        balance = _dollars(balance_cents)
        added = _("{amount} was added. Balance: {balance}.")
        return _("Payment received"), _html(added, amount=amount, balance=balance)
    if service.is_expired(topup, sandbox.settings):
        hours = sandbox.settings.pending_topup_ttl_seconds / 3600
        # ngettext takes a whole number; English reads a fraction of an hour as plural.
        count = int(hours) if hours.is_integer() else 2
        expired = language.ngettext(
            "This top-up expired unpaid after {hours} hour and can no longer be paid; "
            "nothing was charged. Start a new top-up from your notebook.",
            "This top-up expired unpaid after {hours} hours and can no longer be paid; "
            "nothing was charged. Start a new top-up from your notebook.",
            count,
        )
        return _("Top-up expired"), _html(expired, hours=f"{hours:g}")
    return _("Top-up canceled"), _html(_("Canceled: nothing was charged."))


def _checkout_page(
    language: PageLanguage, sandbox: Sandbox, topup: Topup, balance_cents: int
) -> HTMLResponse:
    _ = language.gettext
    amount = _dollars(topup.amount_cents)
    reference = _html(_("Top-up {topup_id}"), topup_id=escape(topup.topup_id))
    seen = service.as_seen(topup, sandbox.settings)
    if seen.state == "requires_payment":
        heading = _html(_("Add funds"))
        forms = _pay_forms(language, sandbox, seen, amount)
        body = (
            f'<h1>{heading}</h1><div class="amount">{amount}</div>'
            f'<p class="muted">{reference}</p>{forms}'
        )
        return _page(language, _("Checkout"), body)
    if seen.return_url and _is_http_url(seen.return_url):
        href = escape(_with_outcome(seen.return_url, seen))
        label = _html(_("Return to the app"))
        back = f'<div class="actions"><a class="button" href="{href}">{label}</a></div>'
    else:
        hint = _html(_("You can close this tab and go back to your notebook."))
        back = f"<p class=muted>{hint}</p>"
    title, outcome = _outcome(language, sandbox, topup, amount, balance_cents)
    body = f"<h1>{escape(title)}</h1><p>{outcome}</p><p class=muted>{reference}</p>{back}"
    return _page(language, _("Checkout"), body)


def _declined_page(language: PageLanguage, sandbox: Sandbox, topup: Topup) -> HTMLResponse:
    """A declined payment (a teacher's scenario): nothing moved, and Pay may be tried again."""
    _ = language.gettext
    amount = _dollars(topup.amount_cents)
    title = _("Payment declined")
    declined = _html(
        _(
            "The payment was declined (a scenario your teacher set); nothing was charged. "
            "Try again, or cancel."
        )
    )
    body = (
        f'<h1>{escape(title)}</h1><div class="amount">{amount}</div>'
        f'<p class="error" role="alert">{declined}</p>'
        f"{_pay_forms(language, sandbox, topup, amount)}"
    )
    return _page(language, title, body, 402)


def _add_funds_page(
    language: PageLanguage,
    sandbox: Sandbox,
    token: str,
    error: str | None = None,
    amount: str = "",
) -> HTMLResponse:
    _ = language.gettext
    action = escape(f"{path_prefix(sandbox.settings)}/add-funds/{token}")
    presets = "".join(
        f'<button type="submit" name="amount_usd" value="{value}">${value}</button>'
        for value in PRESET_AMOUNTS
    )
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    hidden = _hidden_token(form_token(sandbox.secret, "add-funds", token))
    title = _("Add funds")
    hint = _html(_("Choose an amount; the next page asks you to pay."))
    other = _html(_("Other amount ($)"))
    proceed = _html(_("Continue"))
    body = (
        f"<h1>{escape(title)}</h1><p class=muted>{hint}</p>"
        f'{message}<form method="post" action="{action}">{hidden}'
        f'<div class="actions">{presets}</div>'
        f'<div class="actions"><label>{other} <input name="amount_usd" '
        f'inputmode="decimal" value="{escape(amount)}"></label>'
        f'<button class="primary" type="submit">{proceed}</button></div></form>'
    )
    return _page(language, title, body, 422 if error else 200)


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
            return _not_found(language_of(request))
        return _checkout_page(language_of(request), sandbox, topup, account.balance_cents)

    def settle(request: Request, topup_id: str, pay: bool) -> Response:
        sandbox = sandbox_of(request)
        with sandbox.store.transaction() as tx:
            topup = tx.get_topup(topup_id)
            payable = topup is not None and service.as_seen(topup, sandbox.settings).state
            if pay and payable == "requires_payment" and tx.consume_scenario(admin.DECLINE):
                assert topup is not None
                return _declined_page(language_of(request), sandbox, topup)
            topup = service.settle_topup(tx, sandbox.settings, topup_id, pay=pay)
        if topup is None:
            return _not_found(language_of(request))
        seen = service.as_seen(topup, sandbox.settings)
        if seen.return_url and _is_http_url(seen.return_url):
            target = _with_outcome(seen.return_url, seen)
        else:
            target = checkout_location(request, topup.topup_id)
        return RedirectResponse(target, status_code=303, headers=_HEADERS)

    async def settle_from_form(request: Request, topup_id: str, pay: bool) -> Response:
        expected = form_token(sandbox_of(request).secret, "checkout", topup_id)
        if not _token_is_valid(await _form(request), expected):
            return _forbidden(language_of(request))
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
            return _not_found(language_of(request))
        return _add_funds_page(language_of(request), sandbox_of(request), token, amount=amount[:32])

    @router.post("/add-funds/{token}")
    async def start_topup(request: Request, token: PathSegment) -> Response:
        sandbox = sandbox_of(request)
        form = await _form(request)
        if not _token_is_valid(form, form_token(sandbox.secret, "add-funds", token)):
            return _forbidden(language_of(request))
        values = [value.strip() for value in form.get("amount_usd", []) if value.strip()]
        raw_amount = values[0] if values else ""
        try:
            amount = parse_amount(raw_amount)
        except AmountError as error:
            language = language_of(request)
            problem = amount_problem(language, error)
            return _add_funds_page(language, sandbox, token, problem, raw_amount[:32])
        return await run_in_threadpool(create_and_redirect, request, token, amount)

    def create_and_redirect(request: Request, token: str, amount: Decimal) -> Response:
        with sandbox_of(request).store.transaction() as tx:
            account = tx.find_account_by_funding_token(token)
            if account is None:
                return _not_found(language_of(request))
            topup = service.create_topup(tx, account.account_id, amount, None)
        target = checkout_location(request, topup.topup_id)
        return RedirectResponse(target, status_code=303, headers=_HEADERS)

    return router
