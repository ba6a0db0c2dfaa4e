"""A sandbox whose public URL is a root path, as a kernel behind JupyterHub's proxy has.

The browser is on the hub's origin (``https://hub.example.org``), which the kernel does
not know; jupyter-server-proxy forwards ``/user/alice/proxy/{port}/…`` to the sandbox on
loopback with the browser's ``Host``, stripping the prefix (``proxy/{port}``, with an
``X-Forwarded-Context``) or keeping it (``proxy/absolute/{port}``). Here a small stand-in
sends what that proxy sends; ``tests/browser/test_remote_kernel.py`` runs the real one.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import pytest

from infrai_jupyter.contract import ErrorCode
from infrai_jupyter.sandbox import SandboxServer

from .conftest import SandboxFactory, activate, balance, data_of, error_of, forms_of

HUB = "https://hub.example.org"


def _rewritten(location: str, prefix: str, release: str) -> str:
    """The ``Location`` a stripping jupyter-server-proxy passes on (see its handlers.py).

    3.x and 4.0-4.4 pass it as it is. 4.5 joins its prefix to every one that names no
    host, relative ones included; 4.6 only to root-absolute ones (its #592).
    """
    parts = urlsplit(location)
    if release == "3.x" or parts.scheme or parts.netloc:
        return location
    if release == "4.6" and not parts.path.startswith("/"):
        return location
    return urlunsplit(parts._replace(path=f"{prefix.rstrip('/')}/{parts.path.lstrip('/')}"))


class HubProxy:
    """What jupyter-server-proxy sends the sandbox for a browser on the hub's origin.

    The proxy passes ``Cookie`` and ``Set-Cookie`` through and keeps none; the browser's
    cookies are kept here, by the hub's URLs, as the browser keeps them. Stripping, it
    rewrites redirects as ``release`` does; keeping the prefix, no release rewrites them.
    """

    def __init__(self, sandbox: SandboxServer, strips: bool, release: str = "4.6") -> None:
        self.prefix = sandbox.settings.public_url or ""
        self.strips = strips
        self.release = release
        self.http = httpx.Client(base_url=sandbox.url, timeout=30)
        self.browser_cookies = httpx.Cookies()

    def request(self, method: str, browser_url: str, **kwargs: object) -> httpx.Response:
        """Forward a request the browser made to ``browser_url`` (on the hub's origin)."""
        parts = urlsplit(browser_url)
        path = parts.path
        assert path.startswith(f"{self.prefix}/"), browser_url
        headers = {"Host": "hub.example.org"}
        if self.strips:
            path = path.removeprefix(self.prefix)
            headers["X-Forwarded-Context"] = self.prefix
        as_sent = httpx.Request(method, browser_url)
        self.browser_cookies.set_cookie_header(as_sent)
        if "Cookie" in as_sent.headers:
            headers["Cookie"] = as_sent.headers["Cookie"]
        target = f"{path}?{parts.query}" if parts.query else path
        response = self.http.request(method, target, headers=headers, **kwargs)  # type: ignore[arg-type]
        self.http.cookies.clear()
        if self.strips and response.is_redirect:
            location = response.headers["Location"]
            response.headers["Location"] = _rewritten(location, self.prefix, self.release)
        self.browser_cookies.extract_cookies(
            httpx.Response(response.status_code, headers=response.headers, request=as_sent)
        )
        return response


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> SandboxServer:
    return sandbox_factory(public_url="/user/alice/proxy/8765")


@pytest.fixture(
    params=[(True, "3.x"), (True, "4.5"), (True, "4.6"), (False, "4.6")],
    ids=["strips as 3.x and 4.0-4.4", "strips as 4.5", "strips as 4.6", "keeps"],
)
def proxy(request: pytest.FixtureRequest, sandbox: SandboxServer) -> Iterator[HubProxy]:
    strips, release = request.param
    hub_proxy = HubProxy(sandbox, strips=strips, release=release)
    yield hub_proxy
    hub_proxy.http.close()


def test_links_are_root_relative_and_each_page_works_through_the_proxy(
    sandbox: SandboxServer, proxy: HubProxy
) -> None:
    with httpx.Client(base_url=sandbox.url, timeout=30) as api:
        account = activate(api)
        add_funds = account.activation["checkout_url"]
        assert add_funds.startswith("/user/alice/proxy/8765/add-funds/")

        page_url = urljoin(HUB, add_funds)
        (amount_form,) = forms_of(proxy.request("GET", page_url))
        assert amount_form.action == urlsplit(page_url).path
        started = proxy.request(
            "POST",
            urljoin(page_url, amount_form.action),
            data=amount_form.fields | {"amount_usd": "5"},
        )
        assert started.status_code == 303
        checkout = urljoin(page_url, started.headers["Location"])
        assert checkout.startswith(f"{HUB}/user/alice/proxy/8765/checkout/tu_")

        pay_button, _ = forms_of(proxy.request("GET", checkout))
        pay_url = urljoin(checkout, pay_button.action)
        paid = proxy.request("POST", pay_url, data=pay_button.fields)
        # On the browser's host, so no proxy release rewrites it (none doubles the prefix,
        # 4.5 does not send it outside it).
        assert paid.status_code == 303
        assert paid.headers["Location"].startswith("//hub.example.org/user/alice/proxy/8765/")
        assert urljoin(pay_url, paid.headers["Location"]) == checkout
        assert "Payment received" in proxy.request("GET", checkout).text
        assert balance(api, account) == Decimal("7.00")


def test_the_api_names_the_public_path_in_every_link(sandbox: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox.url, timeout=30) as api:
        account = activate(api)
        created = api.post("/v1/account/topup", json={"amount_usd": 5}, headers=account.headers)
        assert data_of(created)["checkout_url"].startswith("/user/alice/proxy/8765/checkout/tu_")
        short = api.post(
            "/v1/account/tier/upgrade", json={"target_tier": "team"}, headers=account.headers
        )
        details = error_of(short, 402, ErrorCode.INSUFFICIENT_CREDIT)["details"]
        assert details["checkout_url"].startswith("/user/alice/proxy/8765/")


def test_a_rebinding_page_still_gets_421_whatever_it_claims(sandbox: SandboxServer) -> None:
    """A page of evil.example re-pointed at 127.0.0.1 reaches the sandbox's own port, so its
    ``Host`` names that port: no header or path it adds makes it look proxied."""
    port = urlsplit(sandbox.url).port
    rebound = {"Host": f"evil.example:{port}", "X-Forwarded-Context": "/user/alice/proxy/8765"}
    with httpx.Client(base_url=sandbox.url, timeout=30) as http:
        for path in ("/v1/account/balance", "/user/alice/proxy/8765/v1/account/balance"):
            error_of(http.get(path, headers=rebound), 421, ErrorCode.INVALID_REQUEST)
        # A foreign host that does not say it is for the public path is refused too.
        hub = {"Host": "hub.example.org"}
        error_of(http.get("/v1/account/balance", headers=hub), 421, ErrorCode.INVALID_REQUEST)
        other = {**hub, "X-Forwarded-Context": "/user/bob/proxy/8765"}
        error_of(http.get("/v1/account/balance", headers=other), 421, ErrorCode.INVALID_REQUEST)
        # The kernel's own client, on loopback, is served as before.
        assert http.get("/openapi.json").status_code == 200


def test_the_teachers_page_signs_in_grants_and_signs_out_under_the_prefix(
    sandbox: SandboxServer, proxy: HubProxy
) -> None:
    """Every redirect lands on the page the browser is on, and the cookie is kept for it."""
    page_url = urljoin(HUB, sandbox.admin_url)
    assert page_url == f"{HUB}/user/alice/proxy/8765/admin"

    def post(page: httpx.Response, action: str, **values: str) -> str:
        """Press the form posting to ``…/admin/{action}``; where the browser lands."""
        (sent,) = [each for each in forms_of(page) if each.action.endswith(f"/admin/{action}")]
        posted_url = urljoin(page_url, sent.action)
        done = proxy.request("POST", posted_url, data=sent.fields | values)
        assert done.status_code == 303, done.text
        return urljoin(posted_url, done.headers["Location"])

    with httpx.Client(base_url=sandbox.url, timeout=30) as api:
        student = activate(api)
        signed_out = proxy.request("GET", page_url)
        assert signed_out.status_code == 401
        assert post(signed_out, "sign-in", token=sandbox.admin_token) == page_url
        page = proxy.request("GET", page_url)
        assert page.status_code == 200 and student.account_id in page.text
        granted = post(page, "grant", account_id=student.account_id, amount_usd="1")
        assert granted == f"{page_url}?done=granted#account-{student.account_id}"
        assert "Credit granted" in proxy.request("GET", granted).text
        assert balance(api, student) == Decimal("3.00")

        assert post(proxy.request("GET", page_url), "sign-out") == page_url
        assert proxy.request("GET", page_url).status_code == 401


@pytest.mark.parametrize(
    "host",
    ["", None],
    ids=["no Host (HTTP/1.0)", "the sandbox's own address (a proxy naming its upstream)"],
)
def test_a_redirect_is_relative_when_the_host_is_no_address_for_the_browser(
    sandbox: SandboxServer, host: str | None
) -> None:
    """Only a host another server forwarded (on another port) is the browser's to go to."""
    headers = {} if host is None else {"Host": host}
    with httpx.Client(base_url=sandbox.url, timeout=30) as http:
        account = activate(http)
        page = http.get(account.activation["checkout_url"])  # the add-funds page
        (amount_form,) = forms_of(page)
        started = http.post(
            amount_form.action, data=amount_form.fields | {"amount_usd": "5"}, headers=headers
        )
        assert started.status_code == 303
        assert started.headers["Location"].startswith("../checkout/tu_")
