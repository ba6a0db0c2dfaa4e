"""The teacher's page, ``/admin``: the class live, grants, reset and scenario switches.

Routes over the functions of ``admin``, drawn by ``admin_views``; signing in and the
form tokens are ``admin_session``'s. Wrong tokens count as failed authentications of
the address, so a guesser is stopped with 429 like one guessing project keys. Every
accepted POST answers 303 to the page (a reload never repeats a grant); a refused one
shows the page again with its error (422), and one without this session's form token
gets 403 and changes nothing. "Live" is opt-in (``?live=1``), so a form being typed
into is never wiped by a refresh.

Actions start with the path of ``public_url``, where the session cookie lives too.
Redirects (``context.page_location``) name the browser's own host behind a Jupyter
server's proxy and are relative to the page posted elsewhere, so the browser stays
where its cookie is and lands under the same prefix whether a proxy strips it, keeps
it, or rewrites redirects itself (jupyter-server-proxy 4.5 and 4.6, differently).

Every page, notice and refusal speaks the language the browser's ``Accept-Language``
prefers, as checkout does (``i18n``): messages are marked here and in ``admin_views``
and rendered per request.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from infrai_jupyter.contract import AmountError, parse_amount

from . import admin, admin_views
from .admin_session import (
    COOKIE,
    SESSION_SECONDS,
    csrf_token,
    new_session,
    session_of,
    token_matches,
)
from .admin_views import HEADERS, Console, Refusals
from .context import (
    Sandbox,
    base_url_of,
    client_address,
    page_location,
    path_prefix,
    sandbox_of,
)
from .i18n import N_, PageLanguage, amount_problem, language_of, render
from .store import Store

MAX_COUNT = 1_000_000
SWITCHES = ("decline", "fail", "rate", "expire")

_NOTICES = {
    "granted": N_("Credit granted: the account's new balance is highlighted below."),
    "reset": N_(
        "The class is empty: every account, key and top-up is gone; old keys no longer work."
    ),
    "scenario": N_("Scenario saved; it holds for every worker from the next call on."),
    "expired": N_("Pending top-ups expired: {count}."),
}
_TOO_MANY_TOKENS = N_("Too many wrong tokens; try again in {seconds} s.")
_WRONG_TOKEN = N_("That is not this sandbox's admin token.")
_NOT_GRANTED = N_("Nothing granted. {problem}")
_UNKNOWN_ACCOUNT = N_("Nothing granted: no account '{account}' in this class.")
_NOT_A_COUNT = N_("Enter a whole number from 0 to {maximum}.")


def _admin_path(sandbox: Sandbox) -> str:
    """Where the page lives in the browser: its forms post there, its cookie is kept for it."""
    return f"{path_prefix(sandbox.settings)}/admin"


def _admin_token(sandbox: Sandbox) -> str:
    token = sandbox.settings.admin_token
    assert token, "the admin router is mounted only with an admin token"
    return token


def _session(request: Request) -> str | None:
    sandbox = sandbox_of(request)
    cookie = request.cookies.get(COOKIE)
    return session_of(cookie, sandbox.secret, _admin_token(sandbox), time.time())


def _console(sandbox: Sandbox, session: str, language: PageLanguage) -> Console:
    return Console(
        language,
        _admin_path(sandbox),
        csrf_token(sandbox.secret, _admin_token(sandbox), session),
        sandbox.settings.rate_limit_per_minute,
    )


def _dashboard(
    sandbox: Sandbox,
    session: str,
    language: PageLanguage,
    *,
    notice: str | None = None,
    errors: Refusals | None = None,
    live: bool = False,
    status: int = 200,
) -> HTMLResponse:
    """The page as the database has it now (blocking: call it in the thread pool)."""
    rows, now = admin.list_accounts(sandbox.store), admin.scenarios(sandbox.store)
    return admin_views.dashboard(
        _console(sandbox, session, language),
        rows,
        now,
        notice=notice,
        errors=errors,
        live=live,
        status=status,
    )


def _reset_page(sandbox: Sandbox, session: str, language: PageLanguage) -> HTMLResponse:
    count = len(admin.list_accounts(sandbox.store))
    return admin_views.reset_page(_console(sandbox, session, language), count)


def _back(request: Request, anchor: str = "", **query: str) -> RedirectResponse:
    """303 to the page on the browser's host and prefix (see ``context.page_location``)."""
    route = f"/admin?{urlencode(query)}" if query else "/admin"
    location = page_location(request, f"{route}{anchor}")
    return RedirectResponse(location, status_code=303, headers=HEADERS)


def _count(text: str) -> int:
    """The whole number typed; ValueError unless it is one from 0 to ``MAX_COUNT``."""
    if not (text.strip().isascii() and text.strip().isdigit()) or int(text) > MAX_COUNT:
        raise ValueError(text)
    return int(text)


def _apply_switch(store: Store, switch: str, count: int) -> dict[str, str]:
    """Throw ``switch``; the query that names the notice to show after it."""
    if switch == "expire":
        return {"done": "expired", "count": str(admin.expire_pending_topups(store))}
    if switch == "decline":
        admin.decline_next_checkouts(store, count)
    elif switch == "fail":
        admin.fail_next_calls(store, count)
    else:
        admin.limit_rate(store, count or None)
    return {"done": "scenario"}


def _notice(language: PageLanguage, done: str, count: str) -> str | None:
    template = _NOTICES.get(done)
    if template is None:
        return None
    return render(language, template, {"count": int(count) if count.isdigit() else 0})


def build_router() -> APIRouter:
    """The teacher's pages; mounted only when the settings have an admin token."""
    router = APIRouter(include_in_schema=False)

    @router.get("/admin")
    async def show(request: Request, done: str = "", count: str = "", live: str = "") -> Response:
        sandbox, session, language = sandbox_of(request), _session(request), language_of(request)
        if session is None:
            return admin_views.sign_in_page(language, _admin_path(sandbox))
        notice = _notice(language, done, count[:9])
        return await run_in_threadpool(
            lambda: _dashboard(sandbox, session, language, notice=notice, live=live == "1")
        )

    @router.post("/admin/sign-in")
    async def sign_in(request: Request) -> Response:
        sandbox, address = sandbox_of(request), client_address(request)
        language = language_of(request)
        wait = sandbox.auth_failures.blocked_for(address)
        if wait is not None:
            refusal = render(language, _TOO_MANY_TOKENS, {"seconds": wait})
            page = admin_views.sign_in_page(language, _admin_path(sandbox), refusal, 429)
            page.headers["Retry-After"] = str(wait)
            return page
        given = parse_qs((await request.body()).decode(errors="replace")).get("token", [""])[0]
        if not token_matches(given.strip(), _admin_token(sandbox)):
            sandbox.auth_failures.count(address)
            refusal = language.gettext(_WRONG_TOKEN)
            return admin_views.sign_in_page(language, _admin_path(sandbox), refusal)
        response = _back(request)
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

    async def signed_form(request: Request) -> tuple[str, dict[str, list[str]]] | None:
        """The session and the POSTed fields, if they come from our page in its browser."""
        sandbox, session = sandbox_of(request), _session(request)
        form = parse_qs((await request.body()).decode(errors="replace"))
        if session is None:
            return None
        expected = csrf_token(sandbox.secret, _admin_token(sandbox), session)
        sent = form.get("form_token", [""])[0]
        return (session, form) if token_matches(sent, expected) else None

    @router.post("/admin/sign-out")
    async def sign_out(request: Request) -> Response:
        if await signed_form(request) is None:
            return admin_views.forbidden(language_of(request))
        response = _back(request)
        response.delete_cookie(COOKIE, path=_admin_path(sandbox_of(request)))
        return response

    @router.post("/admin/grant")
    async def grant(request: Request) -> Response:
        sandbox, signed = sandbox_of(request), await signed_form(request)
        language = language_of(request)
        if signed is None:
            return admin_views.forbidden(language)
        session, form = signed
        account_id = form.get("account_id", [""])[0]
        raw_amount = form.get("amount_usd", [""])[0].strip()

        def refused(errors: Refusals) -> Response:
            return _dashboard(sandbox, session, language, errors=errors, status=422)

        def run() -> Response:
            try:
                row = admin.grant(sandbox.store, account_id, parse_amount(raw_amount))
            except AmountError as error:
                problem = amount_problem(language, error)
                message = render(language, _NOT_GRANTED, {"problem": problem})
                return refused({f"grant:{account_id}": (message, raw_amount[:32])})
            except admin.UnknownAccountError:
                message = render(language, _UNKNOWN_ACCOUNT, {"account": account_id})
                return refused({"page": (message, "")})
            return _back(request, f"#account-{quote(row.account_id, safe='')}", done="granted")

        return await run_in_threadpool(run)

    @router.post("/admin/scenario")
    async def scenario(request: Request) -> Response:
        sandbox, signed = sandbox_of(request), await signed_form(request)
        language = language_of(request)
        if signed is None:
            return admin_views.forbidden(language)
        session, form = signed
        switch = form.get("switch", [""])[0]
        if switch not in SWITCHES:
            return admin_views.forbidden(language)
        typed = form.get("count", ["0"])[0]
        try:
            count = _count(typed) if switch != "expire" else 0
        except ValueError:  # int() itself refuses a number thousands of digits long
            refusal = render(language, _NOT_A_COUNT, {"maximum": f"{MAX_COUNT:,}"})
            errors = {switch: (refusal, typed[:32])}
            return await run_in_threadpool(
                lambda: _dashboard(sandbox, session, language, errors=errors, status=422)
            )
        query = await run_in_threadpool(_apply_switch, sandbox.store, switch, count)
        return _back(request, **query)

    @router.get("/admin/reset")
    async def confirm_reset(request: Request) -> Response:
        sandbox, session, language = sandbox_of(request), _session(request), language_of(request)
        if session is None:
            return admin_views.sign_in_page(language, _admin_path(sandbox))
        return await run_in_threadpool(_reset_page, sandbox, session, language)

    @router.post("/admin/reset")
    async def reset(request: Request) -> Response:
        if await signed_form(request) is None:
            return admin_views.forbidden(language_of(request))
        await run_in_threadpool(admin.reset, sandbox_of(request).store)
        return _back(request, done="reset")

    return router
