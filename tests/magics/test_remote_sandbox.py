"""Links the browser can open when the kernel is remote: JupyterHub/Binder, Colab, a setting.

A real sandbox in the test process, the session's real client, and the cards as the
browser would get them; Colab is a stand-in ``google.colab`` package put on ``sys.path``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from traitlets import TraitError

from infrai_jupyter import _default
from infrai_jupyter.display import render_html, render_text
from infrai_jupyter.magics.core import InfraiMagics
from infrai_jupyter.magics.remote import HUB_PREFIX_VARIABLE, check_template, public_address
from infrai_jupyter.magics.session import Session
from infrai_jupyter.results import TopupRecord

COLAB_OUTPUT = '''
import re

mode = "answer"
scripts = []


def eval_js(script, ignore_result=False, timeout_sec=None):
    """What Colab's front end answers to google.colab.kernel.proxyPort(PORT)."""
    scripts.append((script, timeout_sec))
    if mode == "timeout":
        raise TimeoutError("no answer from the front end")
    port = re.fullmatch(r"google\\.colab\\.kernel\\.proxyPort\\((\\d+)\\)", script)[1]
    return f"https://abc-{port}-colab.googleusercontent.com/"
'''


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A private HOME, no hub and no INFRAI_* variables, a default client made afresh."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("INFRAI_API_KEY", "INFRAI_BASE_URL", HUB_PREFIX_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    _default.reset()
    yield
    _default.reset()


@pytest.fixture
def session() -> Iterator[Session]:
    session = Session(timeout=10.0, max_retries=0)
    yield session
    session.stop_sandbox()


@pytest.fixture
def colab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """A stand-in ``google.colab`` whose ``output.eval_js`` answers as Colab's front end does."""
    package = tmp_path / "colab-stand-in" / "google" / "colab"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "output.py").write_text(COLAB_OUTPUT)
    monkeypatch.syspath_prepend(str(tmp_path / "colab-stand-in"))
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name == "google"}
    import google.colab.output as output  # type: ignore[import-not-found, unused-ignore]

    yield output
    for name in [name for name in sys.modules if name.split(".")[0] == "google"]:
        del sys.modules[name]
    sys.modules.update(saved)


def _top_up(session: Session) -> TopupRecord:
    client = session.client()
    if client.config.api_key is None:
        client.activate(write_credentials=False)
    return client.account.topup(amount_usd=5)


def _hrefs(html: str) -> list[str]:
    return [str(anchor["href"]) for anchor in BeautifulSoup(html, "html.parser").find_all("a")]


def _port(session: Session) -> int:
    port = urlsplit(session.sandbox_url).port
    assert port is not None
    return port


def test_under_jupyterhub_checkout_goes_through_the_servers_proxy(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HUB_PREFIX_VARIABLE, "/user/alice/")
    card = render_text(session.start_sandbox())
    public = f"/user/alice/proxy/{_port(session)}"
    assert f"through the Jupyter server's proxy at {public}" in card

    topup = _top_up(session)
    assert topup.checkout_url is not None
    assert topup.checkout_url.startswith(f"{public}/checkout/tu_")
    # The link lies under the sandbox's own public path: clickable, in the card and the form.
    assert topup.checkout_url in _hrefs(render_html(topup.card()))

    session.stop_sandbox()
    # The sandbox is gone: the same path could now be anything on the hub, so it is text.
    html = render_html(topup.card())
    assert _hrefs(html) == [] and "not clickable" in html


def test_a_root_relative_link_elsewhere_on_the_origin_is_never_clickable(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HUB_PREFIX_VARIABLE, "/user/alice/")
    session.start_sandbox()
    public = f"/user/alice/proxy/{_port(session)}"
    hostile = [
        "/hub/logout",
        f"{public}/../../../hub/logout",
        f"{public}/%2e%2e/%2e%2e/hub/logout",
        f"{public}0/checkout/tu_1",
        f"/{public}/checkout/tu_1",
        f"{public}/checkout/tu_1#x",
    ]
    for url in hostile:
        record = TopupRecord.model_validate(
            {
                "topup_id": "tu_1",
                "amount_usd": "5.00",
                "state": "requires_payment",
                "checkout_url": url,
            }
        )
        assert _hrefs(render_html(record.card())) == [], url


def test_on_colab_checkout_opens_at_the_ports_public_address(
    session: Session, colab: ModuleType
) -> None:
    card = render_text(session.start_sandbox())
    port = _port(session)
    origin = f"https://abc-{port}-colab.googleusercontent.com"
    assert colab.scripts == [(f"google.colab.kernel.proxyPort({port})", 10.0)]
    assert origin in card and "public address Colab gives" in card
    topup = _top_up(session)
    assert topup.checkout_url == f"{origin}/checkout/{topup.topup_id}"
    assert topup.checkout_url in _hrefs(render_html(topup.card()))


def test_when_colab_does_not_answer_checkout_stays_on_loopback_and_the_card_says_so(
    session: Session, colab: ModuleType
) -> None:
    colab.mode = "timeout"
    card = session.start_sandbox()
    assert card.tone == "warning"
    assert "Colab did not name a public address" in render_text(card)
    topup = _top_up(session)
    assert topup.checkout_url == f"{session.sandbox_url}/checkout/{topup.topup_id}"


def test_the_setting_wins_and_a_change_applies_from_the_next_start(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HUB_PREFIX_VARIABLE, "/user/alice/")
    magics = InfraiMagics(shell=None)
    magics._session = session
    magics.sandbox_public_url = "https://lab.example.org/proxy/{port}/"
    session.start_sandbox()
    origin = f"https://lab.example.org/proxy/{_port(session)}"
    assert _top_up(session).checkout_url.startswith(f"{origin}/checkout/")  # type: ignore[union-attr]

    magics.sandbox_public_url = "/proxy/{port}"
    assert "applies from the next start" in render_text(session.sandbox_card())
    assert _top_up(session).checkout_url.startswith(f"{origin}/checkout/")  # type: ignore[union-attr]
    session.stop_sandbox()
    session.start_sandbox()
    assert "applies from the next start" not in render_text(session.sandbox_card())
    assert _top_up(session).checkout_url.startswith(f"/proxy/{_port(session)}/checkout/")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("/proxy/8765", "needs {port}"),
        ("https://lab.example.org/proxy/{port}/{user}", "only {port}"),
        ("proxy/{port}", "an http(s) URL or a path starting with /"),
        ("//evil.example/{port}", "an http(s) URL or a path starting with /"),
        ("javascript:alert({port})", "an http(s) URL or a path starting with /"),
        ("https://user@lab.example.org/{port}", "an http(s) URL or a path starting with /"),
        ("/user/alice/../../hub/{port}", "an http(s) URL or a path starting with /"),
        ("/proxy/{port}?next=x", "an http(s) URL or a path starting with /"),
    ],
)
def test_a_setting_that_cannot_work_is_refused_with_what_to_write(value: str, problem: str) -> None:
    magics = InfraiMagics(shell=None)
    with pytest.raises(TraitError, match="sandbox_public_url") as refused:
        magics.sandbox_public_url = value
    assert problem in str(refused.value) and '"/proxy/{port}"' in str(refused.value)
    assert magics.sandbox_public_url == ""


def test_accepted_settings_and_what_each_finds() -> None:
    assert check_template("") == ""
    assert check_template("/proxy/{port}/") == "/proxy/{port}"
    assert check_template("http://127.0.0.1:{port}") == "http://127.0.0.1:{port}"
    hub = {HUB_PREFIX_VARIABLE: "/user/alice%40example.org/"}
    assert public_address("", 8765, hub).url == "/user/alice%40example.org/proxy/8765"
    assert public_address("", 8765, {}).route == "loopback"
    assert public_address("", 8765, {HUB_PREFIX_VARIABLE: "not a path"}).route == "loopback"
