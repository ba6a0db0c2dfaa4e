"""The cards and the form at a projector's width and in half a screen, in a real JupyterLab.

At 1024x768 with the file browser open, and in a window about 500 px wide: the preset
buttons wrap instead of shrinking to "$…", the keys table scrolls sideways behind a
visible cue (edge shadows), and every card and the
form line up on one left edge at one width. Screenshots of both windows go to
``artifacts/browser/narrow-*.png``; ``docs/screenshots/`` keeps copies.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from .lab import LabNotebook

pytestmark = pytest.mark.browser

WINDOWS = {"1024x768": (1024, 768, True), "500": (500, 900, False)}


def _left_and_width(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return round(box["x"]), round(box["width"])


@pytest.mark.parametrize("window", sorted(WINDOWS))
def test_cards_and_form_at_narrow_widths(lab: LabNotebook, window: str) -> None:
    width, height, file_browser = WINDOWS[window]
    lab.page.set_viewport_size({"width": width, "height": height})
    nb = lab.open_new(f"narrow-{window}")
    command = "filebrowser:activate" if file_browser else "application:toggle-left-area"
    if file_browser or lab.page.locator("#filebrowser").is_visible():
        nb._app_eval("(app, nb, command) => app.commands.execute(command)", command)
    expect(lab.page.locator("#filebrowser")).to_be_visible(visible=file_browser)
    nb.run_cell("%load_ext infrai_jupyter")
    nb.run_cell("%infrai_sandbox start")
    nb.run_cell("%infrai_activate --no-write")
    balance = nb.run_cell("%infrai_balance").locator("div.infrai-card")
    keys = nb.run_cell("%infrai_keys").locator("div.infrai-card")
    form_output = nb.run_cell("%infrai_topup")
    form = form_output.locator(".infrai-form")
    expect(form).to_be_visible()

    # Presets wrap: every one shows its whole amount, none is cut to "$…".
    presets = form.locator(".infrai-presets .jupyter-button")
    expect(presets).to_have_count(4)
    for index in range(4):
        button = presets.nth(index)
        expect(button).to_be_visible()
        clipped = button.evaluate("element => element.scrollWidth > element.clientWidth")
        assert not clipped, f"preset {button.inner_text()!r} is cut off at {window}"
    assert [presets.nth(i).inner_text() for i in range(4)] == ["$5", "$10", "$25", "$50"]
    form_box = form.bounding_box()
    last = presets.nth(3).bounding_box()
    assert form_box is not None and last is not None
    assert last["x"] + last["width"] <= form_box["x"] + form_box["width"]  # inside the frame

    # The keys table scrolls, says so with edge shadows, and takes the keyboard.
    region = keys.locator("div.infrai-table-scroll")
    overflow = region.evaluate("element => element.scrollWidth - element.clientWidth")
    assert overflow > 0, f"the keys table fits at {window}; this test needs it to scroll"
    shadows = region.evaluate("element => getComputedStyle(element).backgroundImage")
    assert shadows.count("gradient(") == 4
    region.hover()
    lab.page.mouse.wheel(300, 0)  # a sideways swipe on a trackpad
    expect(region).not_to_have_js_property("scrollLeft", 0)
    region.evaluate("element => { element.scrollLeft = 0; }")

    # One left edge, one width: cards and the form line up.
    edges = {_left_and_width(card) for card in (balance, keys, form)}
    assert len(edges) == 1, edges
    nb.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    form_output.scroll_into_view_if_needed()
    nb.settle()
    nb.page.screenshot(path=nb.artifacts_dir / f"narrow-{window}.png", animations="disabled")
