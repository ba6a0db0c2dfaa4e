"""The teacher's page, ``/admin``: the class live, grants, reset and scenario switches.

Plain HTML forms over the functions of ``admin`` (no JavaScript; the strict CSP of the
checkout, plus ``form-action 'self'``). Signing in and the form tokens are
``admin_session``'s. Wrong tokens count as failed authentications of the address, so
a guesser is stopped with 429 like one guessing project keys. Every POST answers with
a 303 to the page (a reload never repeats a grant), except a refused form, which is
shown again with its error (422). "Live" is opt-in (``?live=1``: the page reloads every
``LIVE_SECONDS``), so a form being typed into is never wiped by a refresh. Every value
shown goes through ``html.escape``; actions and redirects start with the path of
``public_url``, and redirects name no host, so the browser stays where its cookie is.
"""

from __future__ import annotations

import time
from html import escape
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from infrai_jupyter.contract import AmountError, parse_amount

from . import admin
from .admin_session import (
    COOKIE,
    SESSION_SECONDS,
    csrf_token,
    new_session,
    session_of,
    token_matches,
)
from .context import Sandbox, base_url_of, client_address, path_prefix, sandbox_of

LIVE_SECONDS = 5
MAX_COUNT = 1_000_000
SWITCHES = ("decline", "fail", "rate", "expire")

Refusals = dict[str, tuple[str, str]]
"""Refused fields by form (``grant:<account>``, a switch, or ``page``): message, typed."""

_STYLE = """
:root { color-scheme: light dark; --fg: #1f2328; --bg: #f6f8fa; --card: #fff;
  --muted: #59636e; --accent: #0969da; --line: #d1d9e0; --danger: #cf222e;
  --on: #9a6700; --mark: #fff8c5; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117;
  --card: #161b22; --muted: #9198a1; --accent: #4493f8; --line: #30363d;
  --danger: #f85149; --on: #d29922; --mark: #3b2e00; } }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
main.narrow { max-width: 26rem; padding-top: 12vh; }
header { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center;
  justify-content: space-between; }
h1 { font-size: 1.5rem; margin: 0; }
h2 { font-size: 1.125rem; margin: 0 0 .5rem; }
h3 { font-size: 1rem; margin: 0 0 .25rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 12px;
  padding: 1.25rem; margin-top: 1.25rem; }
.badge { display: inline-block; font-size: .75rem; color: var(--muted);
  border: 1px solid var(--line); border-radius: 999px; padding: 0 .6rem; }
.muted { color: var(--muted); font-size: .875rem; }
.notice { border-left: 4px solid var(--accent); background: var(--card);
  padding: .6rem 1rem; margin-top: 1rem; border-radius: 4px; }
.error { color: var(--danger); margin: .25rem 0 0; }
.toolbar { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
table { width: 100%; border-collapse: collapse; margin-top: .5rem; }
th, td { text-align: left; padding: .5rem; border-bottom: 1px solid var(--line); }
th { font-size: .875rem; color: var(--muted); font-weight: 600; }
.money { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { overflow-wrap: anywhere; }
.nowrap { white-space: nowrap; }
tr:target td { background: var(--mark); }
form { margin: 0; }
.row { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
input { font: inherit; padding: .4rem .5rem; border-radius: 8px; border: 1px solid var(--line);
  width: 6rem; background: var(--card); color: var(--fg); }
input.wide { width: 100%; box-sizing: border-box; }
button, a.button { font: inherit; padding: .4rem 1rem; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--line); background: var(--card); color: var(--fg);
  text-decoration: none; display: inline-block; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger, a.danger { border-color: var(--danger); color: var(--danger); }
button.danger.primary { background: var(--danger); color: #fff; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.switches { display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fit, minmax(min(20rem, 100%), 1fr)); }
.switch { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
.switch label, .switch .error { flex-basis: 100%; }
.state { font-weight: 600; margin: 0 0 .5rem; }
.state.on { color: var(--on); }
.hidden-label { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip-path: inset(50%); white-space: nowrap; }
@media (max-width: 40rem) {
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  tr { display: block; border-bottom: 1px solid var(--line); padding: .5rem 0; }
  td { display: flex; justify-content: space-between; gap: 1rem; border: 0; padding: .2rem 0;
    text-align: right; }
  td::before { content: attr(data-label); color: var(--muted); text-align: left; }
}
"""

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
}

_NOTICES = {
    "granted": "Credit granted: the account's new balance is highlighted below.",
    "reset": "The class is empty: every account, key and top-up is gone; old keys no longer work.",
    "scenario": "Scenario saved; it holds for every worker from the next call on.",
    "expired": "Pending top-ups expired: {count}.",
}


def _page(title: str, body: str, status_code: int = 200, *, live: bool = False) -> HTMLResponse:
    refresh = f'<meta http-equiv="refresh" content="{LIVE_SECONDS}">' if live else ""
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}'
        f"<title>{escape(title)} · infrai sandbox</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)


def _admin_path(sandbox: Sandbox, tail: str = "") -> str:
    return f"{path_prefix(sandbox.settings)}/admin{tail}"


def _admin_token(sandbox: Sandbox) -> str:
    token = sandbox.settings.admin_token
    assert token, "the admin router is mounted only with an admin token"
    return token


def _field_error(field: str, error: str | None) -> tuple[str, str]:
    """The attributes that tie a field to its error, and the error's paragraph."""
    if not error:
        return "", ""
    return (
        f' aria-describedby="{field}-error" aria-invalid="true"',
        f'<p class="error" id="{field}-error" role="alert">{escape(error)}</p>',
    )


def _sign_in_page(sandbox: Sandbox, error: str | None = None, status: int = 401) -> HTMLResponse:
    described, message = _field_error("token", error)
    body = (
        '<main class="narrow"><section><span class="badge">infrai sandbox · teacher</span>'
        "<h1>Teacher's page</h1><p class=muted>Sign in with the admin token the sandbox "
        "printed when it started (or the one you gave it with "
        '<code class="nowrap">--admin-token</code>).</p>'
        f'<form method="post" action="{escape(_admin_path(sandbox, "/sign-in"))}">'
        '<p><label for="token">Admin token</label><br><input class="wide" id="token" '
        f'name="token" type="password" autocomplete="current-password" required{described}>'
        f'{message}</p><button class="primary" type="submit">Sign in</button></form>'
        "</section></main>"
    )
    return _page("Teacher's page", body, status)


def _hidden(token: str) -> str:
    return f'<input type="hidden" name="form_token" value="{escape(token)}">'


def _accounts_table(
    sandbox: Sandbox, rows: list[admin.AccountRow], hidden: str, errors: Refusals
) -> str:
    if not rows:
        return (
            "<p class=muted>No accounts yet: students appear here once they activate "
            "(<code>%infrai_activate</code>).</p>"
        )
    action = escape(_admin_path(sandbox, "/grant"))
    lines = []
    for number, row in enumerate(rows):
        account = escape(row.account_id)
        field = f"grant-{number}"
        error, typed = errors.get(f"grant:{row.account_id}", ("", ""))
        invalid, alert = _field_error(field, error)
        lines.append(
            f'<tr id="account-{escape(quote(row.account_id, safe=""))}">'
            f'<td data-label="Account"><code>{account}</code></td>'
            f'<td data-label="Tier">{escape(row.tier)}</td>'
            f'<td data-label="Balance" class="money">${escape(str(row.balance_usd))}</td>'
            f'<td data-label="Created">{row.created_at:%Y-%m-%d %H:%M:%S}</td>'
            f'<td data-label="Grant"><form method="post" action="{action}" class="row">{hidden}'
            f'<input type="hidden" name="account_id" value="{account}">'
            f'<label class="hidden-label" for="{field}">Dollars to grant to {account}</label>'
            f'<input id="{field}" name="amount_usd" inputmode="decimal" placeholder="$"'
            f' value="{escape(typed)}"'
            f' required{invalid}><button type="submit">Grant</button></form>'
            f"{alert}</td></tr>"
        )
    return (
        "<table><thead><tr><th scope=col>Account</th><th scope=col>Tier</th>"
        '<th scope=col class="money">Balance</th><th scope=col>Created (UTC)</th>'
        f"<th scope=col>Grant credit</th></tr></thead><tbody>{''.join(lines)}</tbody></table>"
    )


def _switch(
    sandbox: Sandbox,
    hidden: str,
    name: str,
    title: str,
    state: tuple[bool | None, str],
    field: str,
) -> str:
    """One scenario card: its state (on, off, or None for an action) and its form."""
    on, description = state
    kind = {True: "state on", False: "state", None: "muted"}[on]
    return (
        f'<div class="switch"><h3>{title}</h3>'
        f'<p class="{kind}">{escape(description)}</p>'
        f'<form method="post" action="{escape(_admin_path(sandbox, "/scenario"))}" class="row">'
        f'{hidden}<input type="hidden" name="switch" value="{name}">{field}</form></div>'
    )


def _count_field(name: str, label: str, value: str, errors: Refusals) -> str:
    error, value = errors.get(name, ("", value))
    invalid, alert = _field_error(name, error)
    return (
        f'<label for="{name}">{label}</label><input id="{name}" name="count" '
        f'inputmode="numeric" value="{escape(value)}" required{invalid}>'
        f'<button type="submit">Set</button>{alert}'
    )


def _scenarios(sandbox: Sandbox, hidden: str, now: admin.Scenarios, errors: Refusals) -> str:
    """The four switches, each showing what is in effect right now."""
    decline, fail = now.decline_next_checkouts, now.fail_next_calls
    limit = now.rate_limit_per_minute
    started_with = sandbox.settings.rate_limit_per_minute
    declining = f"On: the next {decline} Pay presses are declined." if decline else "Off"
    failing = f"On: the next {fail} API calls answer 503." if fail else "Off"
    limiting = (
        f"On: {limit} calls a minute per key (counted per worker)."
        if limit
        else f"Off ({f'{started_with} a minute, as started' if started_with else 'no limit'})"
    )
    cards = [
        _switch(
            sandbox,
            hidden,
            "decline",
            "Decline checkouts (402)",
            (bool(decline), declining),
            _count_field("decline", "Checkouts to decline", "1", errors),
        ),
        _switch(
            sandbox,
            hidden,
            "fail",
            "Fail API calls (503)",
            (bool(fail), failing),
            _count_field("fail", "Calls to fail", "2", errors),
        ),
        _switch(
            sandbox,
            hidden,
            "rate",
            "Rate limit (429)",
            (bool(limit), limiting),
            _count_field("rate", "Calls a minute (0: off)", str(limit or 5), errors),
        ),
        _switch(
            sandbox,
            hidden,
            "expire",
            "Expire pending top-ups",
            (None, "Cancels every top-up waiting for payment, now."),
            '<button type="submit">Expire them now</button>',
        ),
    ]
    return f'<div class="switches">{"".join(cards)}</div>'


def _dashboard(
    sandbox: Sandbox,
    session: str,
    *,
    notice: str | None = None,
    errors: Refusals | None = None,
    live: bool = False,
    status: int = 200,
) -> HTMLResponse:
    errors = errors or {}
    rows, now = admin.list_accounts(sandbox.store), admin.scenarios(sandbox.store)
    hidden = _hidden(csrf_token(sandbox.secret, _admin_token(sandbox), session))
    page = escape(_admin_path(sandbox))
    live_link = (
        f'<a class="button" href="{page}">Stop live updates</a>'
        f"<span class=muted>Updating every {LIVE_SECONDS} s</span>"
        if live
        else f'<a class="button" href="{page}?live=1">Watch live</a>'
    )
    banner = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    if "page" in errors:
        banner += f'<p class="notice error" role="alert">{escape(errors["page"][0])}</p>'
    body = (
        '<main><header><div><span class="badge">infrai sandbox · no real money</span>'
        "<h1>Teacher's page</h1></div>"
        f'<form method="post" action="{escape(_admin_path(sandbox, "/sign-out"))}">{hidden}'
        '<button type="submit">Sign out</button></form></header>'
        f"{banner}"
        '<section aria-labelledby="accounts"><div class="toolbar">'
        f'<h2 id="accounts">Accounts ({len(rows)})</h2>'
        f'<a class="button" href="{page}">Refresh</a>{live_link}</div>'
        f"<p class=muted>As of {time.strftime('%H:%M:%S', time.gmtime())} UTC.</p>"
        f"{_accounts_table(sandbox, rows, hidden, errors)}</section>"
        '<section aria-labelledby="scenarios"><h2 id="scenarios">Scenarios</h2>'
        "<p class=muted>Make things go wrong on purpose, to practise error handling.</p>"
        f"{_scenarios(sandbox, hidden, now, errors)}</section>"
        '<section aria-labelledby="reset"><h2 id="reset">Reset the class</h2>'
        "<p class=muted>Deletes every account, key, top-up and ledger entry; you are "
        "asked to confirm.</p>"
        f'<a class="button danger" href="{escape(_admin_path(sandbox, "/reset"))}">'
        "Reset the class…</a></section></main>"
    )
    return _page("Teacher's page", body, status, live=live)


def _reset_page(sandbox: Sandbox, session: str) -> HTMLResponse:
    count = len(admin.list_accounts(sandbox.store))
    hidden = _hidden(csrf_token(sandbox.secret, _admin_token(sandbox), session))
    body = (
        '<main class="narrow"><section><span class="badge">infrai sandbox · teacher</span>'
        f"<h1>Empty the class?</h1><p>Accounts to delete: {count}. With them go their "
        "keys, top-ups and ledger entries, and every scenario is switched off. Students' "
        "old keys stop working: they activate again. This cannot be undone.</p>"
        f'<form method="post" action="{escape(_admin_path(sandbox, "/reset"))}" class="row">'
        f'{hidden}<button class="danger primary" type="submit">Yes, empty the class</button>'
        f'<a class="button" href="{escape(_admin_path(sandbox))}">Cancel</a></form>'
        "</section></main>"
    )
    return _page("Reset the class", body)


def _forbidden() -> HTMLResponse:
    body = (
        '<main class="narrow"><section><h1>This form cannot be sent from here</h1>'
        "<p class=muted>It did not come from this sandbox's teacher's page in a signed-in "
        "browser, so nothing was changed. Open the teacher's page and sign in.</p>"
        "</section></main>"
    )
    return _page("Not allowed", body, 403)


def _session(request: Request) -> str | None:
    sandbox = sandbox_of(request)
    cookie = request.cookies.get(COOKIE)
    return session_of(cookie, sandbox.secret, _admin_token(sandbox), time.time())


def _back(sandbox: Sandbox, done: str, anchor: str = "", **values: str) -> RedirectResponse:
    """303 to the page by path alone: the browser stays on the host its cookie is for."""
    target = f"{_admin_path(sandbox)}?{urlencode({'done': done, **values})}{anchor}"
    return RedirectResponse(target, status_code=303, headers=_HEADERS)


def _count(text: str) -> int:
    if not (text.strip().isascii() and text.strip().isdigit()) or int(text) > MAX_COUNT:
        raise ValueError(f"Enter a whole number from 0 to {MAX_COUNT:,}.")
    return int(text)


def _apply_switch(sandbox: Sandbox, switch: str, count: int) -> RedirectResponse:
    store = sandbox.store
    if switch == "expire":
        return _back(sandbox, "expired", count=str(admin.expire_pending_topups(store)))
    if switch == "decline":
        admin.decline_next_checkouts(store, count)
    elif switch == "fail":
        admin.fail_next_calls(store, count)
    else:
        admin.limit_rate(store, count or None)
    return _back(sandbox, "scenario")


def _notice(done: str, count: str) -> str | None:
    template = _NOTICES.get(done)
    if template is None:
        return None
    return template.format(count=int(count) if count.isdigit() else 0)


def build_router() -> APIRouter:
    """The teacher's pages; mounted only when the settings have an admin token."""
    router = APIRouter(include_in_schema=False)

    @router.get("/admin")
    async def show(request: Request, done: str = "", count: str = "", live: str = "") -> Response:
        sandbox, session = sandbox_of(request), _session(request)
        if session is None:
            return _sign_in_page(sandbox)
        notice = _notice(done, count[:9])
        return await run_in_threadpool(
            lambda: _dashboard(sandbox, session, notice=notice, live=live == "1")
        )

    @router.post("/admin/sign-in")
    async def sign_in(request: Request) -> Response:
        sandbox, address = sandbox_of(request), client_address(request)
        wait = sandbox.auth_failures.blocked_for(address)
        if wait is not None:
            page = _sign_in_page(sandbox, f"Too many wrong tokens; try again in {wait} s.", 429)
            page.headers["Retry-After"] = str(wait)
            return page
        given = parse_qs((await request.body()).decode(errors="replace")).get("token", [""])[0]
        if not token_matches(given.strip(), _admin_token(sandbox)):
            sandbox.auth_failures.count(address)
            return _sign_in_page(sandbox, "That is not this sandbox's admin token.")
        response = RedirectResponse(_admin_path(sandbox), status_code=303, headers=_HEADERS)
        secure = request.url.scheme == "https" or base_url_of(request).startswith("https:")
        response.set_cookie(
            COOKIE,
            new_session(sandbox.secret, _admin_token(sandbox), time.time()),
            max_age=SESSION_SECONDS,
            path=_admin_path(sandbox),
            secure=secure,
            httponly=True,
            samesite="strict",
        )
        return response

    async def signed_form(request: Request) -> dict[str, list[str]] | None:
        """The POSTed fields, if they come from our page in a signed-in browser."""
        sandbox, session = sandbox_of(request), _session(request)
        form = parse_qs((await request.body()).decode(errors="replace"))
        if session is None:
            return None
        expected = csrf_token(sandbox.secret, _admin_token(sandbox), session)
        sent = form.get("form_token", [""])[0]
        return form if token_matches(sent, expected) else None

    @router.post("/admin/sign-out")
    async def sign_out(request: Request) -> Response:
        sandbox = sandbox_of(request)
        if await signed_form(request) is None:
            return _forbidden()
        response = RedirectResponse(_admin_path(sandbox), status_code=303, headers=_HEADERS)
        response.delete_cookie(COOKIE, path=_admin_path(sandbox))
        return response

    @router.post("/admin/grant")
    async def grant(request: Request) -> Response:
        sandbox, form = sandbox_of(request), await signed_form(request)
        if form is None:
            return _forbidden()
        account_id = form.get("account_id", [""])[0]
        raw_amount = form.get("amount_usd", [""])[0].strip()

        def refused(errors: Refusals) -> Response:
            session = _session(request)
            assert session is not None
            return _dashboard(sandbox, session, errors=errors, status=422)

        def run() -> Response:
            try:
                row = admin.grant(sandbox.store, account_id, parse_amount(raw_amount))
            except AmountError as error:
                message = f"Nothing granted. {error}"
                return refused({f"grant:{account_id}": (message, raw_amount[:32])})
            except admin.UnknownAccountError as error:
                return refused({"page": (f"Nothing granted: {error}.", "")})
            return _back(sandbox, "granted", f"#account-{quote(row.account_id, safe='')}")

        return await run_in_threadpool(run)

    @router.post("/admin/scenario")
    async def scenario(request: Request) -> Response:
        sandbox, form = sandbox_of(request), await signed_form(request)
        if form is None:
            return _forbidden()
        switch = form.get("switch", [""])[0]
        if switch not in SWITCHES:
            return _forbidden()
        try:
            typed = form.get("count", ["0"])[0]
            count = _count(typed) if switch != "expire" else 0
        except ValueError as error:
            session, errors = _session(request), {switch: (str(error), typed[:32])}
            assert session is not None
            return await run_in_threadpool(
                lambda: _dashboard(sandbox, session, errors=errors, status=422)
            )
        return await run_in_threadpool(_apply_switch, sandbox, switch, count)

    @router.get("/admin/reset")
    async def confirm_reset(request: Request) -> Response:
        sandbox, session = sandbox_of(request), _session(request)
        if session is None:
            return _sign_in_page(sandbox)
        return await run_in_threadpool(_reset_page, sandbox, session)

    @router.post("/admin/reset")
    async def reset(request: Request) -> Response:
        sandbox = sandbox_of(request)
        if await signed_form(request) is None:
            return _forbidden()
        await run_in_threadpool(admin.reset, sandbox.store)
        return _back(sandbox, "reset")

    return router
