"""Every card of the magics in a real JupyterLab, in the light and the dark theme.

A notebook runs the magics a new user runs, against the sandbox started inside the
kernel. Each card must be visible, its computed text colour must change with the
theme (theme-awareness measured in the browser, not assumed from the CSS), and no
full project key may reach the page. Each output is saved in both themes to
``artifacts/browser/card-<name>-<theme>.png``; ``docs/screenshots/`` keeps copies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, expect

from .lab import LabNotebook

pytestmark = pytest.mark.browser

#: White space kept around a card in its screenshot, in CSS pixels.
SCREENSHOT_MARGIN = 12
KEY_PREFIX = "ifr_pk_proj_"


@dataclass
class Shown:
    """One cell's output: what to call it, and what to photograph."""

    name: str
    output: Locator
    card: Locator
    whole_output: bool = False  # the error case: card, form and the one-line failure


def _card(output: Locator, kind: str) -> Locator:
    card = output.locator(f"div.infrai-card.infrai-card-{kind}")
    expect(card).to_have_count(1)
    expect(card).to_be_visible()
    expect(card.locator("mjx-container, .MathJax")).to_have_count(0)  # "$20 ... $2" stays text
    return card


def _text_colour(card: Locator) -> str:
    return str(card.evaluate("element => getComputedStyle(element).color"))


def _background(card: Locator) -> str:
    return str(card.evaluate("element => getComputedStyle(element).backgroundColor"))


#: While a screenshot is taken, everything in the notebook but its subject is hidden
#: (layout kept), so the margin around a card shows the theme's background only, not
#: the "Out[n]:" prompt or the neighbouring cells' borders.
ISOLATE_CSS = (
    ".jp-NotebookPanel * { visibility: hidden !important; }"
    " [data-screenshot-subject], [data-screenshot-subject] * { visibility: visible !important; }"
)


def _screenshot(nb: LabNotebook, shown: Shown, theme: str) -> Path:
    """Save the card (or the whole output) with a small margin of background around it."""
    target = shown.output if shown.whole_output else shown.card
    # Centred, so the clip's margin stays clear of the toolbar and the status bar.
    target.evaluate(
        "element => { element.scrollIntoView({block: 'center'});"
        " element.setAttribute('data-screenshot-subject', ''); }"
    )
    style = nb.page.add_style_tag(content=ISOLATE_CSS)
    try:
        nb.settle()
        box = target.bounding_box()
        assert box is not None, f"{shown.name} has no box"
        path = nb.artifacts_dir / f"card-{shown.name}-{theme}.png"
        nb.page.screenshot(
            path=path,
            animations="disabled",
            caret="hide",
            clip={
                "x": max(0.0, box["x"] - SCREENSHOT_MARGIN),
                "y": max(0.0, box["y"] - SCREENSHOT_MARGIN),
                "width": box["width"] + 2 * SCREENSHOT_MARGIN,
                "height": box["height"] + 2 * SCREENSHOT_MARGIN,
            },
        )
    finally:
        style.evaluate("element => element.remove()")
        target.evaluate("element => element.removeAttribute('data-screenshot-subject')")
    return path


def test_cards_in_light_and_dark(lab: LabNotebook) -> None:
    nb = lab.open_new("cards")
    nb.run_cell("%load_ext infrai_jupyter")
    shown: list[Shown] = []

    def run(name: str, code: str, kind: str, *, fails: bool = False) -> Locator:
        output = nb.run_cell(code, allow_errors=fails)
        shown.append(Shown(name, output, _card(output, kind), whole_output=fails))
        return output

    run("sandbox", "%infrai_sandbox start", "sandbox")
    run("activate", "%infrai_activate --no-write", "activation")
    # The kernel hands the real key to the test through a file, never through an output.
    nb.run_cell(
        "from infrai_jupyter._default import default_client\n"
        "with open('key.txt', 'w') as f:\n"
        "    f.write(default_client().config.api_key)"
    )
    key = (nb.server.root_dir / "key.txt").read_text()
    assert key.startswith(KEY_PREFIX)
    run("session", "%infrai", "session")
    run("balance", "%infrai_balance", "balance")
    topup = run("topup", "topup = %infrai_topup 25\ntopup", "topup")
    expect(topup.locator("a.infrai-button")).to_have_attribute("target", "_blank")
    keys = run("keys", "%infrai_keys", "keys")
    # The masked key sits next to its id, in view even where a narrow window scrolls the table.
    masked_cell = keys.locator("td").nth(1)
    expect(masked_cell).to_have_text(re.compile(r"^ifr_pk_proj_….{4}$"))
    cell_box, card_box = masked_cell.bounding_box(), shown[-1].card.bounding_box()
    assert cell_box is not None and card_box is not None
    assert cell_box["x"] + cell_box["width"] <= card_box["x"] + card_box["width"]

    failed = run("upgrade-402", "%infrai_upgrade pro", "error", fails=True)
    last_run = nb.cell_count() - 2  # running the last cell appended an empty one
    error = [o for o in nb.cell_outputs(last_run) if o.get("output_type") == "error"]
    assert len(error) == 1 and len(error[0]["traceback"]) == 1  # one line, no frames
    expect(failed).to_contain_text("InfraiCellError: INSUFFICIENT_CREDIT")
    expect(failed.locator("div.infrai-card")).to_contain_text(
        "costs $20.00 but the balance is $2.00"
    )
    expect(failed.locator(".widget-button, button").first).to_be_visible()  # the top-up form

    nb.run_cell(
        "from infrai_jupyter.sandbox.teaching import pay_checkout\npay_checkout(topup.checkout_url)"
    )
    upgraded = run("upgrade", "%infrai_upgrade pro", "account")
    expect(upgraded.locator("strong.infrai-title")).to_have_text("Tier: pro")

    colours: dict[str, dict[str, tuple[str, str]]] = {}
    for theme in ("light", "dark"):
        nb.set_theme(theme)  # type: ignore[arg-type]
        colours[theme] = {}
        for item in shown:
            expect(item.card).to_be_visible()
            colours[theme][item.name] = (_text_colour(item.card), _background(item.card))
            _screenshot(nb, item, theme)

    for item in shown:
        light, dark = colours["light"][item.name], colours["dark"][item.name]
        assert light[0] != dark[0], f"{item.name}: text colour {light[0]} in both themes"
        assert light[1] != dark[1], f"{item.name}: background {light[1]} in both themes"

    secret = key[len(KEY_PREFIX) : -4]  # the part a masked key never shows
    page_text = nb.page.locator("body").inner_text()
    assert f"{KEY_PREFIX}…{key[-4:]}" in page_text  # the masked key is there...
    assert secret not in page_text  # ...the full one is not,
    assert secret not in nb.page.content()  # not even in hidden markup
    outputs = [nb.cell_outputs(i) for i in range(nb.cell_count())]
    assert secret not in re.sub(r"\s+", "", str(outputs))  # nor in what the notebook saves
    nb.set_theme("light")
