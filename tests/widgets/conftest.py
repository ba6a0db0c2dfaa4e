"""Fixtures for the form tests: an activated client on a real sandbox, and page helpers.

Each test gets its own ``HOME`` and no ``INFRAI_*`` variables, so no stored key leaks in,
and a device fingerprint of its own, so every test gets a fresh account with trial credit.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal
from unittest import mock
from urllib.parse import urljoin

import httpx
import pytest
from bs4 import BeautifulSoup, Tag
from ipywidgets import Widget

try:
    from ipywidgets.widgets.widget import _instances
except ImportError:  # ipywidgets 7 (Colab's) keeps the live widgets on the class
    _instances = Widget.widgets

from infrai_jupyter._client import InfraiClient
from infrai_jupyter.contract import PROJECT_KEY_PREFIX
from infrai_jupyter.sandbox import SandboxServer
from infrai_jupyter.widgets import TopupForm

#: Generous bound for a background watch to see a payment; it normally takes milliseconds.
WATCH_WAIT_S = 30.0


def displayed_bundle(widget: Widget) -> dict[str, Any]:
    """What ``display(widget)`` sends the front end, on ipywidgets 8 and on 7 (Colab's).

    ipywidgets 8 returns the bundle from ``_repr_mimebundle_``; 7 has no such method and
    publishes it from ``_ipython_display_`` instead, so that call's argument is the bundle.
    """
    if hasattr(widget, "_repr_mimebundle_"):
        return dict(widget._repr_mimebundle_())
    with mock.patch("ipywidgets.widgets.widget.display") as display:
        widget._ipython_display_()
    return dict(display.call_args.args[0])


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``HOME`` and no ``INFRAI_*`` variables: no credentials from outside the test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("INFRAI_API_KEY", raising=False)
    monkeypatch.delenv("INFRAI_BASE_URL", raising=False)
    return home


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[InfraiClient]:
    """A client activated on the sandbox as a brand-new device ($2.00 trial credit)."""
    with InfraiClient(base_url=sandbox.url) as client:
        client.activate(write_credentials=False, device_fingerprint=uuid.uuid4().hex)
        yield client


@pytest.fixture
def make_form(client: InfraiClient) -> Iterator[Callable[..., TopupForm]]:
    """Build forms on ``client`` (fast polling by default); their watches stop at teardown."""
    forms: list[TopupForm] = []

    def make(**options: Any) -> TopupForm:
        options.setdefault("watch_interval", 0.05)
        form = TopupForm(options.pop("client", client), **options)
        forms.append(form)
        return form

    yield make
    for form in forms:
        form.close()


def topup_count(client: InfraiClient) -> int:
    """How many top-ups the server holds for the client's account."""
    return len(client.account.topups.list().items)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def checkout_anchor(form: TopupForm) -> Tag:
    """The one checkout link in the form's output."""
    anchors = soup(form.output.value).select("a.infrai-button")
    assert len(anchors) == 1, form.output.value
    return anchors[0]


def checkout_href(form: TopupForm) -> str:
    """Where the form's checkout link points."""
    return str(checkout_anchor(form)["href"])


def text_at(html: str, selector: str) -> str:
    """The text of the one element ``selector`` finds in ``html``."""
    found = soup(html).select_one(selector)
    assert found is not None, f"{selector} not in {html}"
    return found.get_text()


def settle_checkout(checkout_url: str, action: Literal["pay", "cancel"]) -> httpx.Response:
    """Do what the user does on the checkout page: submit its Pay (or Cancel) form."""
    page = httpx.get(checkout_url, timeout=30)
    page.raise_for_status()
    forms = [
        form
        for form in soup(page.text).find_all("form", method="post")
        if str(form.get("action", "")).endswith(f"/{action}")
    ]
    assert len(forms) == 1, page.text
    fields = {
        str(field["name"]): str(field.get("value", ""))
        for field in forms[0].find_all("input")
        if field.get("name")
    }
    response = httpx.post(urljoin(checkout_url, str(forms[0]["action"])), data=fields, timeout=30)
    assert response.status_code == 303, response.text
    return response


def all_widget_states(root: Widget) -> list[dict[str, Any]]:
    """The synced state of ``root`` and every widget it references (children, layout, style)."""
    states: list[dict[str, Any]] = []
    seen: set[str] = set()
    pending = [root]
    while pending:
        widget = pending.pop()
        if widget.model_id in seen:
            continue
        seen.add(widget.model_id)
        state = widget.get_state()
        states.append(state)
        for model_id in re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state, default=str)):
            pending.append(_instances[model_id])
    return states


def assert_no_secret(form: TopupForm, client: InfraiClient) -> None:
    """No widget of the form holds the key, nor its secret part, anywhere in its state."""
    key = client.config.api_key
    assert key and key.startswith(PROJECT_KEY_PREFIX)
    secret = key.removeprefix(PROJECT_KEY_PREFIX)
    states = all_widget_states(form)
    assert len(states) > 10  # the walk reached children, layouts and styles
    dumped = json.dumps(states, default=str)
    assert secret not in dumped
    assert "Bearer" not in dumped and "Authorization" not in dumped
