"""A kernel the browser cannot reach directly: JupyterLab under a hub's path, with
jupyter-server-proxy, and a browser allowed to talk to JupyterLab's port only.

The kernel sees ``JUPYTERHUB_SERVICE_PREFIX=/user/alice/`` as under JupyterHub, so the
embedded sandbox's links go through ``/user/alice/proxy/{port}/``; the whole top-up
round trip (form, checkout page, Pay, the live balance) must work without the browser
ever contacting the sandbox's own port. Every test runs under the jupyter-server-proxy
the dev extra installs and under each older release of ``scripts/proxy-releases.txt``,
since each passes the sandbox's redirects on its own way.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Route, expect

from infrai_jupyter.sandbox import SandboxServer, SandboxSettings

from .lab import JupyterLabServer, LabNotebook

pytestmark = pytest.mark.browser

HUB_PREFIX = "/user/alice/"


@pytest.fixture(scope="module")
def jupyter_lab_base_url() -> str:
    return HUB_PREFIX


ROOT = Path(__file__).resolve().parents[2]
OLDER_PROXIES = [
    line.split("==")[1]
    for line in (ROOT / "scripts" / "proxy-releases.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.fixture(scope="module", params=["installed", *OLDER_PROXIES])
def jupyter_lab_extra_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The hub's prefix, and for an older jupyter-server-proxy its folder first on the
    server's path (each release rewrites redirects its own way, see the releases file)."""
    env = {"JUPYTERHUB_SERVICE_PREFIX": HUB_PREFIX}
    if request.param == "installed":
        return env
    folder = ROOT / ".venv" / "proxy-releases" / request.param
    env["PYTHONPATH"] = str(folder)
    loaded = _proxy_version(env)
    if loaded != request.param:
        pytest.fail(
            f"jupyter-server-proxy {request.param} is not in {folder} (found {loaded}): "
            "run scripts/ensure-proxy-releases"
        )
    return env


def _proxy_version(env: dict[str, str]) -> str:
    """The jupyter-server-proxy a Python with ``env`` imports, as the JupyterLab will."""
    found = subprocess.run(
        [sys.executable, "-c", "import jupyter_server_proxy as p; print(p.__version__)"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


def test_a_top_up_round_trip_goes_through_the_jupyter_servers_proxy_only(
    lab: LabNotebook, jupyter_lab: JupyterLabServer, artifacts_dir: Path
) -> None:
    lab_origin = _origin(jupyter_lab.url)
    elsewhere: list[str] = []

    def only_jupyter_lab(route: Route) -> None:
        if _origin(route.request.url) == lab_origin:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    lab.page.context.route("**/*", only_jupyter_lab)
    nb = lab.open_new("remote-kernel")
    nb.run_cell("%load_ext infrai_jupyter")
    card = nb.run_cell("%infrai_sandbox start")
    expect(card).to_contain_text("through the Jupyter server's proxy at /user/alice/proxy/")
    match = re.search(r"/user/alice/proxy/(\d+)", card.inner_text())
    assert match, card.inner_text()
    public = match[0]
    nb.run_cell("%infrai_activate --no-write")
    form = nb.run_cell("%infrai_topup")

    form.get_by_role("button", name="$25", exact=True).click()
    form.get_by_role("button", name="Top up", exact=True).click()
    link = form.locator("a.infrai-button", has_text="Open checkout")
    expect(link).to_have_attribute("href", re.compile(rf"^{public}/checkout/tu_"))
    checkout = nb.follow_link_to_new_page(link)
    expect(checkout).to_have_url(re.compile(rf"^{jupyter_lab.url.rstrip('/')}/proxy/\d+/checkout/"))
    assert checkout.url.startswith(f"http://{lab_origin}{public}/checkout/tu_")
    expect(checkout.locator(".amount")).to_have_text("$25.00")
    page_url = checkout.url
    checkout.get_by_role("button", name="Pay $25.00").click()
    # Back on the same page (the redirect names the host: no proxy rewrites it), now paid.
    expect(checkout.locator("h1")).to_have_text("Payment received")
    assert checkout.url == page_url
    checkout.screenshot(path=artifacts_dir / "remote-kernel-paid-through-proxy.png")
    nb.come_back(checkout)

    expect(form.locator(".infrai-card-balance .infrai-hero")).to_have_text("$27.00")
    assert elsewhere == [], f"the browser tried to reach another server: {elsewhere}"


def _sandbox_behind_the_proxy(tmp_path: Path, route: str) -> SandboxServer:
    """A sandbox whose pages the Jupyter server serves at ``{prefix}{route}/{port}``."""
    return SandboxServer(
        SandboxSettings(db_path=tmp_path / "sandbox.sqlite3"),
        public_url_for=lambda port: f"{HUB_PREFIX}{route}/{port}",
    )


@pytest.fixture
def sandbox_behind_absolute_proxy(tmp_path: Path) -> Iterator[SandboxServer]:
    """Served through ``proxy/absolute/{port}``: the prefix is kept."""
    with _sandbox_behind_the_proxy(tmp_path, "proxy/absolute") as server:
        yield server


@pytest.fixture
def hub(jupyter_lab: JupyterLabServer) -> Iterator[httpx.Client]:
    """A browser signed in to the Jupyter server, which looks at each redirect itself."""
    with httpx.Client(
        headers={"Authorization": f"token {jupyter_lab.token}"}, timeout=30, follow_redirects=False
    ) as client:
        yield client


def test_a_proxy_that_keeps_the_prefix_serves_every_page_and_redirect(
    jupyter_lab: JupyterLabServer, hub: httpx.Client, sandbox_behind_absolute_proxy: SandboxServer
) -> None:
    sandbox = sandbox_behind_absolute_proxy
    origin = jupyter_lab.url.removesuffix(HUB_PREFIX)
    with httpx.Client(base_url=sandbox.url, timeout=30) as api:
        activation = api.post("/v1/activate", json={"device_fingerprint": "ab" * 16}).json()
        add_funds = urljoin(origin, activation["data"]["checkout_url"])
        assert add_funds.startswith(f"{origin}{sandbox.public_url}/add-funds/")
        page = hub.get(add_funds)
        assert page.status_code == 200 and "Add funds" in page.text
        started = hub.post(
            add_funds, data={"form_token": _form_token(page.text), "amount_usd": "5"}
        )
        assert started.status_code == 303
        checkout = urljoin(add_funds, started.headers["Location"])
        assert checkout.startswith(f"{origin}{sandbox.public_url}/checkout/tu_")
        paid = hub.post(f"{checkout}/pay", data={"form_token": _form_token(hub.get(checkout).text)})
        assert paid.status_code == 303
        assert urljoin(f"{checkout}/pay", paid.headers["Location"]) == checkout
        assert "Payment received" in hub.get(checkout).text


def _form_token(page: str) -> str:
    found = re.search(r'name="form_token" value="([0-9a-f]+)"', page)
    assert found, page[:500]
    return found[1]


@pytest.fixture
def sandbox_behind_stripping_proxy(tmp_path: Path) -> Iterator[SandboxServer]:
    """Served through ``proxy/{port}``: the prefix is stripped."""
    with _sandbox_behind_the_proxy(tmp_path, "proxy") as server:
        yield server


def test_the_teachers_page_lands_on_itself_through_a_stripping_proxy(
    jupyter_lab: JupyterLabServer, hub: httpx.Client, sandbox_behind_stripping_proxy: SandboxServer
) -> None:
    """Signing in and granting answer 303s that each release passes on its own way."""
    sandbox = sandbox_behind_stripping_proxy
    admin = urljoin(jupyter_lab.url.removesuffix(HUB_PREFIX), sandbox.admin_url)

    def press(page: httpx.Response, action: str, **values: str) -> str:
        """Submit the page's form posting to ``…/admin/{action}``; where the browser lands."""
        form = next(
            form
            for form in BeautifulSoup(page.text, "html.parser").find_all("form", method="post")
            if str(form["action"]).endswith(f"/admin/{action}")
        )
        fields = {str(i["name"]): str(i.get("value", "")) for i in form.find_all("input")}
        posted = urljoin(admin, str(form["action"]))
        answer = hub.post(posted, data=fields | values)
        assert answer.status_code == 303, answer.text[:500]
        return urljoin(posted, answer.headers["Location"])

    with httpx.Client(base_url=sandbox.url, timeout=30) as api:
        student = api.post("/v1/activate", json={"device_fingerprint": "cd" * 16}).json()
        account_id = student["data"]["account_id"]
        signed_out = hub.get(admin)
        assert signed_out.status_code == 401
        assert press(signed_out, "sign-in", token=sandbox.admin_token) == admin
        page = hub.get(admin)
        assert page.status_code == 200 and account_id in page.text
        granted = press(page, "grant", account_id=account_id, amount_usd="1")
        assert granted == f"{admin}?done=granted#account-{account_id}"
        assert "Credit granted" in hub.get(granted).text
