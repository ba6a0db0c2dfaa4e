"""The teacher's pages as HTML: pure functions of what they show (``admin_page`` serves them).

The look of the checkout (same palette, light and dark), wider, with a table that turns
into one card per account below 40rem. No JavaScript; live updates are a
``<meta http-equiv="refresh">``. Every value shown goes through ``html.escape``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from starlette.responses import HTMLResponse

from .admin import AccountRow, Scenarios

LIVE_SECONDS = 5

Refusals = dict[str, tuple[str, str]]
"""Refused fields by form (``grant:<account>``, a switch, or ``page``): message, typed."""


@dataclass(frozen=True)
class Console:
    """What every signed-in page is drawn with: where its forms post, and their token."""

    pages: str  # "/admin", or "/sandbox/admin" behind a public URL with a path
    form_token: str
    started_rate_limit: int | None = None

    def action(self, tail: str = "") -> str:
        return escape(f"{self.pages}{tail}")

    @property
    def hidden(self) -> str:
        return f'<input type="hidden" name="form_token" value="{escape(self.form_token)}">'


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

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
}


def page(title: str, body: str, status_code: int = 200, *, live: bool = False) -> HTMLResponse:
    refresh = f'<meta http-equiv="refresh" content="{LIVE_SECONDS}">' if live else ""
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}'
        f"<title>{escape(title)} · infrai sandbox</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def _field_error(field: str, error: str | None) -> tuple[str, str]:
    """The attributes that tie a field to its error, and the error's paragraph."""
    if not error:
        return "", ""
    return (
        f' aria-describedby="{field}-error" aria-invalid="true"',
        f'<p class="error" id="{field}-error" role="alert">{escape(error)}</p>',
    )


def sign_in_page(pages: str, error: str | None = None, status: int = 401) -> HTMLResponse:
    """The sign-in form (401 until signed in; 429 while the address is held back)."""
    described, message = _field_error("token", error)
    body = (
        '<main class="narrow"><section><span class="badge">infrai sandbox · teacher</span>'
        "<h1>Teacher's page</h1><p class=muted>Sign in with the admin token the sandbox "
        "printed when it started (or the one you gave it with "
        '<code class="nowrap">--admin-token</code>).</p>'
        f'<form method="post" action="{escape(pages)}/sign-in">'
        '<p><label for="token">Admin token</label><br><input class="wide" id="token" '
        f'name="token" type="password" autocomplete="current-password" required{described}>'
        f'{message}</p><button class="primary" type="submit">Sign in</button></form>'
        "</section></main>"
    )
    return page("Teacher's page", body, status)


def _accounts_table(console: Console, rows: list[AccountRow], errors: Refusals) -> str:
    if not rows:
        return (
            "<p class=muted>No accounts yet: students appear here once they activate "
            "(<code>%infrai_activate</code>).</p>"
        )
    action = console.action("/grant")
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
            f'<td data-label="Grant"><form method="post" action="{action}" class="row">'
            f"{console.hidden}"
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
    console: Console,
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
        f'<form method="post" action="{console.action("/scenario")}" class="row">'
        f'{console.hidden}<input type="hidden" name="switch" value="{name}">{field}</form></div>'
    )


def _count_field(name: str, label: str, value: str, errors: Refusals) -> str:
    error, value = errors.get(name, ("", value))
    invalid, alert = _field_error(name, error)
    return (
        f'<label for="{name}">{label}</label><input id="{name}" name="count" '
        f'inputmode="numeric" value="{escape(value)}" required{invalid}>'
        f'<button type="submit">Set</button>{alert}'
    )


def _scenarios(console: Console, now: Scenarios, errors: Refusals) -> str:
    """The four switches, each showing what is in effect right now."""
    decline, fail = now.decline_next_checkouts, now.fail_next_calls
    limit = now.rate_limit_per_minute
    started_with = console.started_rate_limit
    declining = f"On: the next {decline} Pay presses are declined." if decline else "Off"
    failing = f"On: the next {fail} API calls answer 503." if fail else "Off"
    limiting = (
        f"On: {limit} calls a minute per key (counted per worker)."
        if limit
        else f"Off ({f'{started_with} a minute, as started' if started_with else 'no limit'})"
    )
    cards = [
        _switch(
            console,
            "decline",
            "Decline checkouts (402)",
            (bool(decline), declining),
            _count_field("decline", "Checkouts to decline", "1", errors),
        ),
        _switch(
            console,
            "fail",
            "Fail API calls (503)",
            (bool(fail), failing),
            _count_field("fail", "Calls to fail", "2", errors),
        ),
        _switch(
            console,
            "rate",
            "Rate limit (429)",
            (bool(limit), limiting),
            _count_field("rate", "Calls a minute (0: off)", str(limit or 5), errors),
        ),
        _switch(
            console,
            "expire",
            "Expire pending top-ups",
            (None, "Cancels every top-up waiting for payment, now."),
            '<button type="submit">Expire them now</button>',
        ),
    ]
    return f'<div class="switches">{"".join(cards)}</div>'


def dashboard(
    console: Console,
    rows: list[AccountRow],
    scenarios: Scenarios,
    *,
    notice: str | None = None,
    errors: Refusals | None = None,
    live: bool = False,
    status: int = 200,
) -> HTMLResponse:
    """The class, the switches and the reset button; a notice or refusals from a POST."""
    errors = errors or {}
    here = console.action()
    live_link = (
        f'<a class="button" href="{here}">Stop live updates</a>'
        f"<span class=muted>Updating every {LIVE_SECONDS} s</span>"
        if live
        else f'<a class="button" href="{here}?live=1">Watch live</a>'
    )
    banner = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    if "page" in errors:
        banner += f'<p class="notice error" role="alert">{escape(errors["page"][0])}</p>'
    body = (
        '<main><header><div><span class="badge">infrai sandbox · no real money</span>'
        "<h1>Teacher's page</h1></div>"
        f'<form method="post" action="{console.action("/sign-out")}">{console.hidden}'
        '<button type="submit">Sign out</button></form></header>'
        f"{banner}"
        '<section aria-labelledby="accounts"><div class="toolbar">'
        f'<h2 id="accounts">Accounts ({len(rows)})</h2>'
        f'<a class="button" href="{here}">Refresh</a>{live_link}</div>'
        f"<p class=muted>As of {time.strftime('%H:%M:%S', time.gmtime())} UTC.</p>"
        f"{_accounts_table(console, rows, errors)}</section>"
        '<section aria-labelledby="scenarios"><h2 id="scenarios">Scenarios</h2>'
        "<p class=muted>Make things go wrong on purpose, to practise error handling.</p>"
        f"{_scenarios(console, scenarios, errors)}</section>"
        '<section aria-labelledby="reset"><h2 id="reset">Reset the class</h2>'
        "<p class=muted>Deletes every account, key, top-up and ledger entry; you are "
        "asked to confirm.</p>"
        f'<a class="button danger" href="{console.action("/reset")}">'
        "Reset the class…</a></section></main>"
    )
    return page("Teacher's page", body, status, live=live)


def reset_page(console: Console, count: int) -> HTMLResponse:
    """The confirmation step: what a reset deletes, and the one button that does it."""
    body = (
        '<main class="narrow"><section><span class="badge">infrai sandbox · teacher</span>'
        f"<h1>Empty the class?</h1><p>Accounts to delete: {count}. With them go their "
        "keys, top-ups and ledger entries, and every scenario is switched off. Students' "
        "old keys stop working: they activate again. This cannot be undone.</p>"
        f'<form method="post" action="{console.action("/reset")}" class="row">'
        f"{console.hidden}"
        '<button class="danger primary" type="submit">Yes, empty the class</button>'
        f'<a class="button" href="{console.action()}">Cancel</a></form>'
        "</section></main>"
    )
    return page("Reset the class", body)


def forbidden() -> HTMLResponse:
    """A POST without this session's form token: 403, and nothing changed."""
    body = (
        '<main class="narrow"><section><h1>This form cannot be sent from here</h1>'
        "<p class=muted>It did not come from this sandbox's teacher's page in a signed-in "
        "browser, so nothing was changed. Open the teacher's page and sign in.</p>"
        "</section></main>"
    )
    return page("Not allowed", body, 403)
