"""Execute every notebook in a fresh kernel, as ``scripts/demo`` does, and read the outputs.

Each notebook runs once per module (a few seconds each) through
``run_notebook.run_notebook``: the same kernel set-up, ``raises-exception`` handling,
key check and HTML export as the demo.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup

from .conftest import NOTEBOOKS, NOTEBOOKS_DIR, load_runner

runner = load_runner()

pytestmark = [
    pytest.mark.notebook,
]

#: Generous: a loaded CI machine is slow. On a laptop each notebook takes a few seconds.


@pytest.fixture(scope="module", params=sorted(NOTEBOOKS))
def executed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return runner.run_notebook(NOTEBOOKS_DIR / request.param, tmp_path_factory.mktemp("out"))


def _cell(notebook: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    return next(cell for cell in notebook.cells if cell.id == cell_id)


def _html(notebook: nbformat.NotebookNode, cell_id: str) -> str:
    return "".join(
        output.data.get("text/html", "")
        for output in _cell(notebook, cell_id).outputs
        if output.output_type in ("display_data", "execute_result")
    )


def _text(notebook: nbformat.NotebookNode, cell_id: str) -> str:
    return "".join(
        output.get("text", "") or output.get("data", {}).get("text/plain", "")
        for output in _cell(notebook, cell_id).outputs
    )


def _error(notebook: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    errors = [o for o in _cell(notebook, cell_id).outputs if o.output_type == "error"]
    assert len(errors) == 1, f"cell {cell_id} should fail once"
    return errors[0]


def test_runs_and_only_the_tagged_cells_fail(executed: Any) -> None:
    name = executed.ipynb_path.name
    failed = {executed.notebook.cells[index].id for index in runner.failed_cells(executed.notebook)}
    # nbclient already stopped on any untagged failure; a tagged cell that no longer
    # fails means the lesson around it has changed.
    assert failed == NOTEBOOKS[name]
    assert executed.html_path.is_file() and executed.ipynb_path.is_file()
    print(f"{name}: {executed.seconds:.1f} s")


def test_writes_html_with_the_cards_readable_offline(executed: Any) -> None:
    html = executed.html_path.read_text(encoding="utf-8")
    assert "infrai-card" in html
    assert runner.find_full_keys(html) == []
    # Widgets would need their manager from a CDN: offline, the page shows their text.
    assert runner.WIDGET_VIEW not in html and "@jupyter-widgets" not in html
    if executed.ipynb_path.name == "01_quickstart.ipynb":
        assert "infrai top-up form — open in JupyterLab to use it" in html


def check_quickstart(notebook: nbformat.NotebookNode) -> None:
    """Activation, the 402 card, the form, paying, and the upgrade to pro."""
    assert "ifr_pk_proj_…" in _html(notebook, "activate")
    assert "$2.00" in _html(notebook, "balance-card")
    # `bal = %infrai_balance` shows nothing by itself; `bal` on the last line shows the card.
    assert "As data: 2.00 USD" in _text(notebook, "balance")
    assert "$2.00" in _html(notebook, "balance")

    card = _html(notebook, "upgrade-402")
    assert "Not enough credit" in card and "INSUFFICIENT_CREDIT" in card
    error = _error(notebook, "upgrade-402")
    assert error.ename == "InfraiCellError"
    assert len(error.traceback) == 1, "the card explains; the traceback is one line"

    form = _cell(notebook, "topup-form").outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in form)
    assert "Pay clicked; checkout answered 303" in _text(notebook, "pay")
    assert '<span class="infrai-badge">Paid</span>' in _html(notebook, "topup-state")
    assert "$27.00" in _html(notebook, "balance-after")
    assert "Tier: pro" in _html(notebook, "upgrade-pro")
    assert "$7.00" in _html(notebook, "upgrade-pro")
    # Run All leaves the sandbox up, so the form of step 6a still works afterwards.
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert not any("%infrai_sandbox stop" in source for source in code)


def check_python_and_async(notebook: nbformat.NotebookNode) -> None:
    """The seed examples, typed errors, idempotency (replay, lost answer, triple click)."""
    assert "activated: True | trial: $2.00" in _text(notebook, "seed-activate")
    assert "permissions 600" in _text(notebook, "key")
    unhandled = _error(notebook, "error-unhandled")
    assert unhandled.ename == "InvalidRequestError"
    # "%xmode Minimal": the error's own text, not forty frames of the SDK's internals.
    assert len(unhandled.traceback) <= 2 and "unknown tier" in unhandled.traceback[-1]
    handled = _text(notebook, "error-handler")
    assert "upgrade to pro: add $18.00" in handled
    assert "balance from nowhere: could not reach the API" in handled
    assert "tier: pro" in _text(notebook, "seed-upgrade")

    same_key = _text(notebook, "idempotency-same-key")
    assert "same top-up: True" in same_key and "top-ups created: 1" in same_key
    assert "top-ups created: 2" in _text(notebook, "idempotency-no-key")
    assert "IDEMPOTENCY_KEY_REUSED" in _text(notebook, "idempotency-reuse")
    retried = _text(notebook, "idempotency-retry")
    assert "Retrying POST /v1/account/topup" in retried
    assert "answers lost: 1 | answer replayed: True" in retried
    assert "top-ups created: 1" in retried

    double_click = _text(notebook, "async-double-click")
    assert "distinct top-ups: 1" in double_click and "top-ups created: 1" in double_click
    assert "InsufficientCreditError | balance $7.00" in double_click


def check_classroom(notebook: nbformat.NotebookNode) -> None:
    """A student's view, one trial per device, and the reset."""
    assert "custom server" in _html(notebook, "student-connect")
    assert "Activated" in _html(notebook, "student-activate")
    assert "no trial" in _html(notebook, "trial-again")
    assert "trial granted: True" in _text(notebook, "trial-other")
    assert "Same address as before the reset: True" in _text(notebook, "reset")
    assert "Not signed in" in _html(notebook, "after-reset")
    assert "$2.00" in _html(notebook, "reactivate")
    assert "Stopped: True" in _text(notebook, "stop")


def check_zh_quickstart(notebook: nbformat.NotebookNode) -> None:
    """The quickstart in Chinese: top up and pay, the 402 card for team, and a clean stop."""
    assert "沙盒正在运行" in _html(notebook, "sandbox-start")
    activated = _html(notebook, "activate")
    assert "已激活" in activated and "ifr_pk_proj_…" in activated
    assert "$2.00" in _html(notebook, "balance-card")
    assert "待支付" in _html(notebook, "topup-amount")
    assert "已点击“支付”。支付页面返回状态码 303" in _text(notebook, "pay")
    assert "$27.00" in _html(notebook, "balance-after")

    card = _html(notebook, "upgrade-402")
    assert "余额不足" in card and "INSUFFICIENT_CREDIT" in card and "$72.00" in card
    error = _error(notebook, "upgrade-402")
    assert error.ename == "InfraiCellError"
    assert len(error.traceback) == 1, "the card explains; the traceback is one line"

    form = _cell(notebook, "topup-form").outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in form)
    assert "项目密钥" in _html(notebook, "keys")
    assert "account.tier.upgrade" in _html(notebook, "usage")
    assert "balance: $27.00 USD" in _text(notebook, "python-balance")
    assert "类型是 Decimal" in _text(notebook, "python-balance")
    assert "没有再新建一个" in _text(notebook, "python-activate")
    assert "沙盒已停止" in _html(notebook, "sandbox-stop")


LESSONS: dict[str, Callable[[nbformat.NotebookNode], None]] = {
    "01_quickstart.ipynb": check_quickstart,
    "02_python_and_async.ipynb": check_python_and_async,
    "03_classroom.ipynb": check_classroom,
    "04_zh_quickstart.ipynb": check_zh_quickstart,
}


def test_shows_what_the_lesson_promises(executed: Any) -> None:
    LESSONS[executed.ipynb_path.name](executed.notebook)


def test_after_run_all_the_quickstart_form_still_tops_up(tmp_path: Path) -> None:
    """Run All, then use the form of step 6a: its server must still be there."""
    notebook = nbformat.read(NOTEBOOKS_DIR / "01_quickstart.ipynb", as_version=4)
    use_the_form = (
        "from infrai_jupyter.widgets import TopupForm\n"
        "form = next(value for value in Out.values() if isinstance(value, TopupForm))\n"
        "form.amount.value = '5'\n"
        "form.submit.click()\n"
        "print('checkout link:', 'Open checkout' in form.output.value)\n"
        "print('error:', 'infrai-card-error' in form.message.value)"
    )
    notebook.cells.append(nbformat.v4.new_code_cell(use_the_form))
    path = tmp_path / "run_all_then_form.ipynb"
    nbformat.write(notebook, path)
    executed = runner.execute_notebook(path)
    printed = "".join(output.get("text", "") for output in executed.cells[-1].outputs)
    assert printed == "checkout link: True\nerror: False\n"


# ------------------------------------------------------------------ the runner itself


def _notebook_of(tmp_path: Path, *sources: str) -> Path:
    path = tmp_path / "probe.ipynb"
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_kernel_is_this_environments_python_with_a_private_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFRAI_API_KEY", "ifr_pk_proj_x")
    probe = _notebook_of(
        tmp_path,
        "import json, os, sys\nfrom pathlib import Path\n"
        "print(json.dumps({'python': sys.executable, 'prefix': sys.prefix,"
        " 'home': str(Path.home()), 'key': os.environ.get('INFRAI_API_KEY')}))",
    )
    notebook = runner.execute_notebook(probe, timeout=60)
    seen = json.loads(notebook.cells[0].outputs[0].text)
    assert os.path.realpath(seen["prefix"]) == os.path.realpath(sys.prefix)
    assert os.path.realpath(seen["python"]) == os.path.realpath(sys.executable)
    assert seen["home"] != str(Path.home()) and "infrai-notebook-home-" in seen["home"]
    assert not Path(seen["home"]).exists(), "the temporary home is removed afterwards"
    assert seen["key"] is None


def test_refuses_to_write_a_notebook_that_shows_a_full_key(tmp_path: Path) -> None:
    probe = _notebook_of(tmp_path, "print('ifr_pk_proj_' + 'A1b2' * 8)")
    out = tmp_path / "out"
    with pytest.raises(runner.LeakedKeyError, match="full project key") as caught:
        runner.run_notebook(probe, out)
    assert "A1b2A1b2A1b2" not in str(caught.value)
    assert not out.exists()


def test_an_untagged_failing_cell_fails_the_run(tmp_path: Path) -> None:
    from nbclient.exceptions import CellExecutionError

    probe = _notebook_of(tmp_path, "1 / 0", "print('never runs')")
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        runner.execute_notebook(probe, timeout=60)


#: Elements whose ``src``/``href`` the browser fetches as the page loads.
CHINESE_LINK_NOTE = "这个链接指向运行本笔记本的内核里的沙盒"
LOADING = {"script": "src", "iframe": "src", "img": "src", "link": "href", "embed": "src"}


def network_loads(page: BeautifulSoup) -> list[str]:
    """Every URL on a non-loopback host that opening ``page`` would fetch."""
    return [
        f"<{name} {attribute}={tag[attribute]}>"
        for name, attribute in LOADING.items()
        for tag in page.find_all(name, attrs={attribute: True})
        if urlsplit(tag[attribute]).scheme in ("http", "https") or tag[attribute].startswith("//")
        if not runner.is_loopback(tag[attribute])
    ]


def loopback_anchors(page: BeautifulSoup) -> list[str]:
    """Every clickable link to this machine (127.0.0.1, localhost, [::1])."""
    return [
        anchor["href"]
        for anchor in page.find_all("a", href=True)
        if urlsplit(anchor["href"]).hostname in ("127.0.0.1", "localhost", "::1")
    ]


def test_the_exported_page_loads_nothing_and_keeps_no_dead_sandbox_links(executed: Any) -> None:
    page = BeautifulSoup(executed.html_path.read_text(encoding="utf-8"), "html.parser")
    assert network_loads(page) == []
    scripts = [script.get_text() for script in page.find_all("script")]
    assert [text for text in scripts if "http://" in text or "https://" in text] == []
    assert loopback_anchors(page) == []
    assert page.select("style"), "the page keeps its inline styles"
    in_outputs = [
        href
        for cell in executed.notebook.cells
        for output in cell.get("outputs", [])
        for href in loopback_anchors(
            BeautifulSoup(output.get("data", {}).get("text/html", ""), "html.parser")
        )
    ]
    if executed.ipynb_path.name in ("01_quickstart.ipynb", "04_zh_quickstart.ipynb"):
        assert in_outputs, "the quickstart's top-up card links to the sandbox's checkout"
    # Every sandbox link in the outputs is still there as text, with the note beside it.
    notes = page.select("span.infrai-offline-link + small.infrai-offline-note")
    assert len(notes) == len(in_outputs)
    # ... in the card's language: the Chinese quickstart's cards are Chinese.
    chinese = executed.ipynb_path.name.startswith("04_zh")
    expected = CHINESE_LINK_NOTE if chinese else runner.SANDBOX_LINK_NOTE
    assert all(expected in note.get_text() for note in notes)
