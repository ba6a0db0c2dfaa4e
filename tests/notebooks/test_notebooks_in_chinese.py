"""The teaching notebooks, executed in a kernel whose locale is Chinese, read Chinese.

Every notebook runs as ``scripts/demo`` runs it, but with ``LANG=zh_CN.UTF-8`` (as a
Chinese JupyterHub image sets it): each card the package draws, and each error the
package raises, must leave no English phrase (``i18n.chinese.english_runs``). The
sandbox answers in the language the client asks for, so even the server's messages
inside the cards (a 402's "add at least …") are Chinese. The notebooks' own prose and
``print`` lines are the teacher's words and are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup

from i18n.chinese import english_runs, visible_text

from .conftest import NOTEBOOKS, NOTEBOOKS_DIR, load_runner

runner = load_runner()

pytestmark = [pytest.mark.notebook]

MONEY = re.compile(r"\S*\$[\d,.]*")
DOLLARS = re.compile(r"-?\$\d{1,3}(?:,\d{3})*\.\d{2}")
CHINESE_LOCALE = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"}


@pytest.fixture(scope="module", params=sorted(NOTEBOOKS))
def executed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    with pytest.MonkeyPatch.context() as patch:  # the kernel inherits this environment
        for name, value in CHINESE_LOCALE.items():
            patch.setenv(name, value)
        yield runner.run_notebook(NOTEBOOKS_DIR / request.param, tmp_path_factory.mktemp("zh"))


def _outputs(run: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    for cell in run.notebook.cells:
        for output in cell.get("outputs", []):
            yield cell.get("id", ""), output


def _cards(run: Any) -> list[tuple[str, str]]:
    """Every card the package drew, as (cell id, visible text)."""
    found = []
    for cell_id, output in _outputs(run):
        html = (output.get("data") or {}).get("text/html", "")
        for card in BeautifulSoup(html, "html.parser").select("div.infrai-card"):
            found.append((cell_id, visible_text(str(card))))
    return found


def test_every_card_reads_chinese(executed: Any) -> None:
    cards = _cards(executed)
    assert cards, "the notebook drew no card"
    leftovers = {cell: runs for cell, text in cards if (runs := english_runs(text))}
    assert leftovers == {}


def test_every_error_the_package_raises_reads_chinese(executed: Any) -> None:
    errors = [
        (cell_id, output["evalue"])
        for cell_id, output in _outputs(executed)
        if output.get("output_type") == "error"
    ]
    leftovers = {cell: runs for cell, text in errors if (runs := english_runs(text))}
    assert leftovers == {}


def test_money_keeps_one_format_in_chinese(executed: Any) -> None:
    """``$1,234.50`` in Chinese as in English: no ``US$``, no ``¥``, no other decimals."""
    amounts = [amount for _, text in _cards(executed) for amount in MONEY.findall(text)]
    assert amounts, "no card showed an amount"
    assert all(DOLLARS.fullmatch(amount) for amount in amounts), amounts
