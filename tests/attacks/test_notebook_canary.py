"""In a real kernel, an echoing server never gets your key into the notebook you save.

One ipykernel runs a session the way a user would (magics, the Python API, the top-up
form, DEBUG logging switched on, every warning shown) against a server that writes the
caller's key into everything it answers. Then two things are scanned for the key: every
message the kernel sent (outputs, errors, widget comm traffic, replies), and the
``.ipynb`` file written from those outputs, as a user's "Save" would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from traitlets.config import Config

from magics.kernel import CellRun, Kernel, kernel_env, start_kernel

from .conftest import (
    HostileServer,
    echo_everywhere,
    masked,
    new_canary,
    secret_part,
)

CANARY = new_canary()

#: The session, cell by cell: every surface a notebook user meets.
CELLS = [
    "import logging, sys, warnings\n"
    "logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, force=True)\n"
    "warnings.simplefilter('always')",
    "%load_ext infrai_jupyter",
    "%infrai",
    "%infrai_balance",
    "%infrai_keys",
    "%infrai_topup 5",
    "%infrai_upgrade pro",
    "from infrai_jupyter import account, infra\naccount.balance()",
    "try:\n"
    "    account.tier.upgrade(target_tier='pro')\n"
    "except Exception as error:\n"
    "    import traceback\n"
    "    print(repr(error), error.code, error.message, error.details, error.request_id)\n"
    "    traceback.print_exc()",
    "account.keys.list()",
    "t = account.topup(amount_usd=5)\nt",
    "print(t, repr(t))",
    "form = %infrai_topup\nform",
    "form.amount.value = '5'\nform.submit.click()\nform.check.click()",
    # What the front end sends when a user pastes the key into the amount field.
    "import os\nform.amount.set_state({'value': os.environ['INFRAI_API_KEY']})  # pasted",
    "import json\n"
    "from ipywidgets.widgets.widget import _instances\n"
    "print(json.dumps([w.get_state() for w in list(_instances.values())], default=str))",
    "act = %infrai_activate --new --no-write\nact",
    "print(act, repr(act), act.primary_api_key)",
    "%infrai",
    "%infrai_balance",
]


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    server = HostileServer(echo_everywhere(CANARY))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def session(server: HostileServer) -> Iterator[Kernel]:
    env = {"INFRAI_API_KEY": CANARY, "INFRAI_BASE_URL": server.url}
    with start_kernel(env) as kernel:
        for cell in CELLS:
            kernel.run(cell)
        yield kernel


def test_the_session_really_met_the_echoing_server(session: Kernel, server: HostileServer) -> None:
    assert len(server.requests) >= 8
    paths = {request.path for request in server.requests}
    every_route = {
        "/v1/activate",
        "/v1/account/balance",
        "/v1/account/keys",
        "/v1/account/topup",
        "/v1/account/topups/tu_1",
        "/v1/account/tier/upgrade",
    }
    assert every_route <= paths, f"the session never called {every_route - paths}"
    assert any(CANARY in request.headers.get("authorization", "") for request in server.requests)
    everything = "".join(run.everything() for run in session.runs)
    # The key is shown, masked (JSON-escaped here), so the scans below are meaningful.
    assert json.dumps(masked(CANARY))[1:-1] in everything
    assert "infrai-card" in everything


def sent_by_the_kernel(run: CellRun) -> str:
    """Everything the cell sent, except ipywidgets' ``echo_update``: that is the value the
    front end itself just sent (the user's paste), returned to it before the form clears it."""
    kept = [
        message["content"]
        for message in run.messages
        if message["content"].get("data", {}).get("method") != "echo_update"
    ]
    return json.dumps([run.reply, kept])


def test_no_kernel_message_holds_the_key(session: Kernel) -> None:
    leaking = [run.code for run in session.runs if secret_part(CANARY) in sent_by_the_kernel(run)]
    assert leaking == [], f"cells whose output holds the full key: {leaking}"


def test_the_saved_notebook_holds_no_key(session: Kernel, tmp_path: Path) -> None:
    path = tmp_path / "attacked.ipynb"
    nbformat.write(session.notebook(), path)
    text = path.read_text(encoding="utf-8")
    assert len(text) > 10_000  # cards, errors and the form were saved
    assert secret_part(CANARY) not in text
    # JSON escapes could hide it from a plain search: decode and look again.
    assert secret_part(CANARY) not in json.dumps(json.loads(text), ensure_ascii=False)


def test_a_pasted_key_is_cleared_from_the_form(session: Kernel) -> None:
    (run,) = [run for run in session.runs if "# pasted" in run.code]
    assert not run.failed, run.reply
    states = next(run for run in session.runs if "get_state()" in run.code)
    assert secret_part(CANARY) not in states.stdout


def test_a_notebook_executed_with_nbclient_and_saved_holds_no_key(
    server: HostileServer, tmp_path: Path, home: Path
) -> None:
    # The other way a notebook gets saved: executed headless, widget state included.
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=60,
        startup_timeout=60,
        allow_errors=True,
        store_widget_state=True,
        resources={"metadata": {"path": str(home)}},
        config=Config({"KernelManager": {"transport": "ipc", "ip": str(home / "kernel-ipc")}}),
    )
    env = {"INFRAI_API_KEY": CANARY, "INFRAI_BASE_URL": server.url}
    client.execute(env=kernel_env(home, env))
    path = tmp_path / "executed.ipynb"
    nbformat.write(notebook, path)
    text = path.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" in text  # the form's state was saved
    assert "infrai-card" in text
    assert secret_part(CANARY) not in text
    assert secret_part(CANARY) not in json.dumps(json.loads(text), ensure_ascii=False)
