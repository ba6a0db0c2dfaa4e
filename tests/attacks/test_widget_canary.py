"""The top-up form's widget state (saved with the notebook) never holds the key.

The form talks to a server that echoes the caller's key into its top-up, its checkout
link and its errors; a user pastes the key into the amount and return-URL fields. Then
the synced state of the form and of every widget it references is scanned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from ipywidgets import Widget
from ipywidgets.widgets.widget import _instances

from infrai_jupyter import InfraiClient
from infrai_jupyter.widgets import TopupForm

from .conftest import (
    HostileFactory,
    Reply,
    SeenRequest,
    assert_no_canary,
    caller_key,
    echo_everywhere,
    error_envelope,
    json_reply,
)


def all_states(root: Widget) -> list[dict[str, Any]]:
    """The synced state of ``root`` and of every widget it references, transitively."""
    states, seen, pending = [], set(), [root]
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


@pytest.fixture
def make_form() -> Iterator[Any]:
    forms: list[TopupForm] = []

    def make(client: InfraiClient) -> TopupForm:
        form = TopupForm(client, watch_interval=0.05, watch_timeout=2.0, owns_client=True)
        forms.append(form)
        return form

    yield make
    for form in forms:
        form.close()


def scan(form: TopupForm, canary: str, where: str) -> None:
    states = all_states(form)
    assert len(states) > 5
    assert_no_canary([json.dumps(states, default=str)], canary, where=where)


def test_a_top_up_from_an_echoing_server_leaves_no_key_in_widget_state(
    hostile: HostileFactory, canary: str, make_form: Any
) -> None:
    server = hostile(echo_everywhere(canary))
    form = make_form(InfraiClient(api_key=canary, base_url=server.url, max_retries=0))
    form.amount.value = "5"
    form.submit.click()
    assert form.topup_id == "tu_1", form.message.value
    form.check.click()
    scan(form, canary, "the form after a top-up")


def test_an_error_echoing_the_key_leaves_no_key_in_widget_state(
    hostile: HostileFactory, canary: str, make_form: Any
) -> None:
    def respond(request: SeenRequest) -> Reply:
        key = caller_key(request)
        details = {"key": key, "fields": [{"field": key, "problem": f"bad {key}"}]}
        envelope = error_envelope(f"E_{key}", f"{key} refused", details, request_id=key)
        return json_reply(422, envelope)

    server = hostile(respond)
    form = make_form(InfraiClient(api_key=canary, base_url=server.url, max_retries=0))
    form.amount.value = "5"
    form.submit.click()
    assert server.requests and form.message.value, "the error was not shown"
    scan(form, canary, "the form after an echoed error")


@pytest.mark.parametrize("field", ["amount", "return_url"])
def test_a_key_pasted_into_a_form_field_does_not_stay_in_widget_state(
    hostile: HostileFactory, canary: str, make_form: Any, field: str
) -> None:
    server = hostile(echo_everywhere(canary))
    form = make_form(InfraiClient(api_key=canary, base_url=server.url, max_retries=0))
    getattr(form, field).set_state({"value": f"{canary}\n"})  # as the front end sends it
    scan(form, canary, f"the form after a paste into {field}")
    form.submit.click()
    scan(form, canary, f"the form after submitting a paste into {field}")
