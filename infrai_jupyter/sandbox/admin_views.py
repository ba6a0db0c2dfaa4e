"""The teacher's pages as HTML: pure functions of what they show (``admin_page`` serves them).

The look of the checkout (same palette, light and dark), wider, with a table that turns
into one card per account below 40rem. No JavaScript; live updates are a
``<meta http-equiv="refresh">``. Every value shown goes through ``html.escape``.

They speak the :class:`~.i18n.PageLanguage` they are given, as the checkout does: every
shown sentence, label and ``data-label`` is whole and marked, escaped, then filled with
escaped values. Amounts read ``$1,234.50`` and times ``%H:%M:%S`` UTC in every language;
account ids and tier names are data and stay as they are.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from starlette.responses import HTMLResponse

from .admin import AccountRow, Scenarios
from .i18n import PageLanguage

LIVE_SECONDS = 5

Refusals = dict[str, tuple[str, str]]
"""Refused fields by form (``grant:<account>``, a switch, or ``page``): message, typed."""


@dataclass(frozen=True)
class Console:
    """What every signed-in page is drawn with: its language, where its forms post, and
    their token."""

    language: PageLanguage
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


def _html(text: str, **values: object) -> str:
    """Translated ``text`` as HTML: escaped, then its placeholders filled with HTML ``values``."""
    return escape(text).format(**values)


def page(
    language: PageLanguage, title: str, body: str, status_code: int = 200, *, live: bool = False
) -> HTMLResponse:
    refresh = f'<meta http-equiv="refresh" content="{LIVE_SECONDS}">' if live else ""
    html = (
        f'<!doctype html><html lang="{language.html_lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}'
        f"<title>{escape(title)} · infrai sandbox</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    headers = {**HEADERS, "Content-Language": language.html_lang, "Vary": "Accept-Language"}
    return HTMLResponse(html, status_code=status_code, headers=headers)


def _field_error(field: str, error: str | None) -> tuple[str, str]:
    """The attributes that tie a field to its error, and the error's paragraph."""
    if not error:
        return "", ""
    return (
        f' aria-describedby="{field}-error" aria-invalid="true"',
        f'<p class="error" id="{field}-error" role="alert">{escape(error)}</p>',
    )


def sign_in_page(
    language: PageLanguage, pages: str, error: str | None = None, status: int = 401
) -> HTMLResponse:
    """The sign-in form (401 until signed in; 429 while the address is held back)."""
    _ = language.gettext
    title = _("Teacher's page")
    described, message = _field_error("token", error)
    explanation = _html(
        _(
            "Sign in with the admin token the sandbox printed when it started "
            "(or the one you gave it with {option})."
        ),
        option='<code class="nowrap">--admin-token</code>',
    )
    badge, label, button = _("infrai sandbox · teacher"), _("Admin token"), _("Sign in")
    body = (
        f'<main class="narrow"><section><span class="badge">{_html(badge)}</span>'
        f"<h1>{_html(title)}</h1><p class=muted>{explanation}</p>"
        f'<form method="post" action="{escape(pages)}/sign-in">'
        f'<p><label for="token">{_html(label)}</label><br><input class="wide" '
        'id="token" name="token" type="password" autocomplete="current-password" '
        f"required{described}>{message}</p>"
        f'<button class="primary" type="submit">{_html(button)}</button></form>'
        "</section></main>"
    )
    return page(language, title, body, status)


def _accounts_table(console: Console, rows: list[AccountRow], errors: Refusals) -> str:
    _ = console.language.gettext
    if not rows:
        empty = _("No accounts yet: students appear here once they activate ({command}).")
        return f"<p class=muted>{_html(empty, command='<code>%infrai_activate</code>')}</p>"
    labels = {
        "account": _html(_("Account")),
        "tier": _html(_("Tier")),
        "balance": _html(_("Balance")),
        "created": _html(_("Created")),
        "created (UTC)": _html(_("Created (UTC)")),
        "grant": _html(_("Grant")),
        "grant credit": _html(_("Grant credit")),
    }
    action = console.action("/grant")
    lines = []
    for number, row in enumerate(rows):
        account = escape(row.account_id)
        field = f"grant-{number}"
        error, typed = errors.get(f"grant:{row.account_id}", ("", ""))
        invalid, alert = _field_error(field, error)
        amount_label = _html(_("Dollars to grant to {account}"), account=account)
        lines.append(
            f'<tr id="account-{escape(quote(row.account_id, safe=""))}">'
            f'<td data-label="{labels["account"]}"><code>{account}</code></td>'
            f'<td data-label="{labels["tier"]}">{escape(row.tier)}</td>'
            f'<td data-label="{labels["balance"]}" class="money">'
            f"${escape(str(row.balance_usd))}</td>"
            f'<td data-label="{labels["created"]}">{row.created_at:%Y-%m-%d %H:%M:%S}</td>'
            f'<td data-label="{labels["grant"]}">'
            f'<form method="post" action="{action}" class="row">{console.hidden}'
            f'<input type="hidden" name="account_id" value="{account}">'
            f'<label class="hidden-label" for="{field}">{amount_label}</label>'
            f'<input id="{field}" name="amount_usd" inputmode="decimal" placeholder="$"'
            f' value="{escape(typed)}" required{invalid}>'
            f'<button type="submit">{labels["grant"]}</button></form>{alert}</td></tr>'
        )
    return (
        f"<table><thead><tr><th scope=col>{labels['account']}</th>"
        f"<th scope=col>{labels['tier']}</th>"
        f'<th scope=col class="money">{labels["balance"]}</th>'
        f"<th scope=col>{labels['created (UTC)']}</th>"
        f"<th scope=col>{labels['grant credit']}</th></tr></thead>"
        f"<tbody>{''.join(lines)}</tbody></table>"
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
        f'<div class="switch"><h3>{escape(title)}</h3>'
        f'<p class="{kind}">{escape(description)}</p>'
        f'<form method="post" action="{console.action("/scenario")}" class="row">'
        f'{console.hidden}<input type="hidden" name="switch" value="{name}">{field}</form></div>'
    )


def _count_field(console: Console, name: str, label: str, value: str, errors: Refusals) -> str:
    error, value = errors.get(name, ("", value))
    invalid, alert = _field_error(name, error)
    button = _html(console.language.gettext("Set"))
    return (
        f'<label for="{name}">{escape(label)}</label><input id="{name}" name="count" '
        f'inputmode="numeric" value="{escape(value)}" required{invalid}>'
        f'<button type="submit">{button}</button>{alert}'
    )


def _states(language: PageLanguage, now: Scenarios, started_with: int | None) -> list[str]:
    """What each switch says is in effect: declines, failures, the rate limit."""
    _, ngettext = language.gettext, language.ngettext
    decline, fail = now.decline_next_checkouts, now.fail_next_calls
    limit = now.rate_limit_per_minute
    declining = ngettext(
        "On: the next {count} Pay press is declined.",
        "On: the next {count} Pay presses are declined.",
        decline,
    )
    failing = ngettext(
        "On: the next {count} API call answers 503.",
        "On: the next {count} API calls answer 503.",
        fail,
    )
    limiting = ngettext(
        "On: {count} call a minute per key (counted per worker).",
        "On: {count} calls a minute per key (counted per worker).",
        limit or 0,
    )
    off = _("Off")
    if started_with:
        unlimited = _("Off ({count} a minute, as started)").format(count=started_with)
    else:
        unlimited = _("Off (no limit)")
    return [
        declining.format(count=decline) if decline else off,
        failing.format(count=fail) if fail else off,
        limiting.format(count=limit) if limit else unlimited,
    ]


def _scenarios(console: Console, now: Scenarios, errors: Refusals) -> str:
    """The four switches, each showing what is in effect right now."""
    _ = console.language.gettext
    declining, failing, limiting = _states(console.language, now, console.started_rate_limit)
    limit = now.rate_limit_per_minute
    expire_now = _html(_("Expire them now"))
    cards = [
        _switch(
            console,
            "decline",
            _("Decline checkouts (402)"),
            (bool(now.decline_next_checkouts), declining),
            _count_field(console, "decline", _("Checkouts to decline"), "1", errors),
        ),
        _switch(
            console,
            "fail",
            _("Fail API calls (503)"),
            (bool(now.fail_next_calls), failing),
            _count_field(console, "fail", _("Calls to fail"), "2", errors),
        ),
        _switch(
            console,
            "rate",
            _("Rate limit (429)"),
            (bool(limit), limiting),
            _count_field(console, "rate", _("Calls a minute (0: off)"), str(limit or 5), errors),
        ),
        _switch(
            console,
            "expire",
            _("Expire pending top-ups"),
            (None, _("Cancels every top-up waiting for payment, now.")),
            f'<button type="submit">{expire_now}</button>',
        ),
    ]
    return f'<div class="switches">{"".join(cards)}</div>'


def _live_link(console: Console, live: bool) -> str:
    """Watch live, or (while watching) stop, and how often the page reloads."""
    _, here = console.language.gettext, console.action()
    if not live:
        watch = _html(_("Watch live"))
        return f'<a class="button" href="{here}?live=1">{watch}</a>'
    every = _html(_("Updating every {seconds} s"), seconds=LIVE_SECONDS)
    stop = _html(_("Stop live updates"))
    return f'<a class="button" href="{here}">{stop}</a><span class=muted>{every}</span>'


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
    _ = console.language.gettext
    title = _("Teacher's page")
    errors = errors or {}
    banner = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    if "page" in errors:
        banner += f'<p class="notice error" role="alert">{escape(errors["page"][0])}</p>'
    words = {
        "badge": _html(_("infrai sandbox · no real money")),
        "sign out": _html(_("Sign out")),
        "accounts": _html(_("Accounts ({count})"), count=len(rows)),
        "refresh": _html(_("Refresh")),
        "as of": _html(_("As of {time} UTC."), time=time.strftime("%H:%M:%S", time.gmtime())),
        "scenarios": _html(_("Scenarios")),
        "why": _html(_("Make things go wrong on purpose, to practise error handling.")),
        "reset": _html(_("Reset the class")),
        "deletes": _html(
            _("Deletes every account, key, top-up and ledger entry; you are asked to confirm.")
        ),
        "reset link": _html(_("Reset the class…")),
    }
    body = (
        f'<main><header><div><span class="badge">{words["badge"]}</span>'
        f"<h1>{_html(title)}</h1></div>"
        f'<form method="post" action="{console.action("/sign-out")}">{console.hidden}'
        f'<button type="submit">{words["sign out"]}</button></form></header>'
        f"{banner}"
        '<section aria-labelledby="accounts"><div class="toolbar">'
        f'<h2 id="accounts">{words["accounts"]}</h2>'
        f'<a class="button" href="{console.action()}">{words["refresh"]}</a>'
        f"{_live_link(console, live)}</div>"
        f"<p class=muted>{words['as of']}</p>"
        f"{_accounts_table(console, rows, errors)}</section>"
        f'<section aria-labelledby="scenarios"><h2 id="scenarios">{words["scenarios"]}</h2>'
        f"<p class=muted>{words['why']}</p>"
        f"{_scenarios(console, scenarios, errors)}</section>"
        f'<section aria-labelledby="reset"><h2 id="reset">{words["reset"]}</h2>'
        f"<p class=muted>{words['deletes']}</p>"
        f'<a class="button danger" href="{console.action("/reset")}">{words["reset link"]}</a>'
        "</section></main>"
    )
    return page(console.language, title, body, status, live=live)


def reset_page(console: Console, count: int) -> HTMLResponse:
    """The confirmation step: what a reset deletes, and the one button that does it."""
    _ = console.language.gettext
    consequences = _(
        "Accounts to delete: {count}. With them go their keys, top-ups and ledger entries, "
        "and every scenario is switched off. Students' old keys stop working: they activate "
        "again. This cannot be undone."
    )
    badge, heading = _html(_("infrai sandbox · teacher")), _html(_("Empty the class?"))
    confirm, cancel = _html(_("Yes, empty the class")), _html(_("Cancel"))
    body = (
        f'<main class="narrow"><section><span class="badge">{badge}</span><h1>{heading}</h1>'
        f"<p>{_html(consequences, count=count)}</p>"
        f'<form method="post" action="{console.action("/reset")}" class="row">'
        f'{console.hidden}<button class="danger primary" type="submit">{confirm}</button>'
        f'<a class="button" href="{console.action()}">{cancel}</a></form>'
        "</section></main>"
    )
    return page(console.language, _("Reset the class"), body)


def forbidden(language: PageLanguage) -> HTMLResponse:
    """A POST without this session's form token: 403, and nothing changed."""
    _ = language.gettext
    explanation = _(
        "It did not come from this sandbox's teacher's page in a signed-in browser, so "
        "nothing was changed. Open the teacher's page and sign in."
    )
    heading = _html(_("This form cannot be sent from here"))
    body = (
        f'<main class="narrow"><section><h1>{heading}</h1>'
        f"<p class=muted>{_html(explanation)}</p></section></main>"
    )
    return page(language, _("Not allowed"), body, 403)
