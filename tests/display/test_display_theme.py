"""The card stylesheet, applied the way a browser applies it (a small cascade, no browser).

Each test puts a rendered card into a page like JupyterLab's, VS Code's, Colab's or a
plain viewer's, collects the declarations whose selectors match an element (in source order,
``@media`` blocks when the page asks for them) and resolves ``var()`` against the
host's variables: what colour does the user get, and what is hidden. The browser tests
check the pixels.
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup, Tag

from infrai_jupyter.display import Card, CardField, render_html
from infrai_jupyter.display.theme import CARD_CSS, FORM_CSS

LIGHT_BG, DARK_BG, DARK_FG = "#ffffff", "#0d1117", "#e6edf3"
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_MEDIA = re.compile(r"@media\s*\(([^)]*)\)\s*\{((?:[^{}]*\{[^{}]*\})*)\}")


def page(body_attributes: str = "", html_attributes: str = "") -> BeautifulSoup:
    card = render_html(Card(kind="balance", title="Balance", fields=(CardField("A", "b"),)))
    return BeautifulSoup(
        f"<html {html_attributes}><body {body_attributes}>{card}</body></html>", "html.parser"
    )


def rules(prefers_dark: bool) -> list[tuple[str, str]]:
    """``(selector list, declarations)`` in source order; media blocks the page matches."""
    found: list[tuple[int, str, str]] = []
    for media in _MEDIA.finditer(CARD_CSS):
        if media[1].replace(" ", "") == "prefers-color-scheme:dark" and prefers_dark:
            found += [(media.start(), m[1], m[2]) for m in _RULE.finditer(media[2])]
    outside = _MEDIA.sub(lambda m: " " * len(m[0]), CARD_CSS)
    found += [(m.start(), m[1], m[2]) for m in _RULE.finditer(outside)]
    return [(selectors, declarations) for _, selectors, declarations in sorted(found)]


def computed(soup: BeautifulSoup, element: Tag, prefers_dark: bool = False) -> dict[str, str]:
    """The declarations that apply to ``element``, later rules winning (as they do here)."""
    values: dict[str, str] = {}
    for selectors, declarations in rules(prefers_dark):
        if any(element in soup.select(selector.strip()) for selector in selectors.split(",")):
            for declaration in declarations.split(";"):
                name, _, value = declaration.partition(":")
                if name.strip():
                    values[name.strip()] = value.strip()
    return values


def resolve(value: str, properties: dict[str, str], host: dict[str, str]) -> str:
    """Resolve ``var(--name, fallback)`` against the card's own properties and the host's."""
    match = re.search(r"var\((--[\w-]+)", value)
    if match is None:
        return value
    start, depth, index = match.start(), 0, match.start() + 3
    while True:  # find the var()'s closing parenthesis
        depth += {"(": 1, ")": -1}.get(value[index], 0)
        if depth == 0:
            break
        index += 1
    name, _, fallback = value[match.end() : index].partition(",")
    name = match[1]
    chosen = host.get(name) or properties.get(name) or fallback.strip()
    resolved = resolve(chosen, properties, host)
    return resolve(value[:start] + resolved + value[index + 1 :], properties, host)


def card_colour(
    body_attributes: str = "",
    host: dict[str, str] | None = None,
    prefers_dark: bool = False,
    prop: str = "background",
    html_attributes: str = "",
) -> str:
    soup = page(body_attributes, html_attributes)
    card = soup.select_one("div.infrai-card")
    assert card is not None
    properties = computed(soup, card, prefers_dark)
    return resolve(properties[prop], properties, host or {})


def test_the_plain_text_copy_is_hidden_and_the_fields_are_not() -> None:
    soup = page()
    plain, fields = soup.select_one("pre.infrai-plain"), soup.select_one("dl.infrai-fields")
    assert plain is not None and fields is not None
    assert computed(soup, plain)["display"] == "none"
    assert computed(soup, fields).get("display") != "none"


@pytest.mark.parametrize(
    "body",
    [
        'data-jp-theme-light="false"',
        'class="vscode-dark"',
        'class="vscode-high-contrast"',
    ],
)
def test_a_dark_host_gets_the_dark_palette(body: str) -> None:
    assert card_colour(body) == DARK_BG


@pytest.mark.parametrize(
    "body",
    ['data-jp-theme-light="true"', 'class="vscode-light"', 'class="vscode-high-contrast-light"'],
)
def test_a_light_host_stays_light_even_if_the_browser_prefers_dark(body: str) -> None:
    assert card_colour(body, prefers_dark=True) == LIGHT_BG


def test_colab_s_dark_theme_gets_the_dark_palette() -> None:
    # Colab marks its theme on <html>, in the notebook and in each output frame.
    assert card_colour(html_attributes='theme="dark"') == DARK_BG
    assert card_colour(html_attributes='theme="dark"', prop="color") == DARK_FG


def test_colab_s_light_theme_stays_light_even_if_the_browser_prefers_dark() -> None:
    assert card_colour(html_attributes='theme="light"', prefers_dark=True) == LIGHT_BG


def test_the_top_up_form_turns_dark_on_the_same_hosts_as_the_cards() -> None:
    def dark_hosts(css: str, scope: str) -> set[str]:
        dark_rules = re.finditer(r"([^{}]+)\{--infrai-base-fg:" + DARK_FG, css)
        return {
            selector.replace(scope, "").strip()
            for rule in dark_rules
            for selector in rule[1].split(",")
        }

    card_hosts = dark_hosts(CARD_CSS, ".infrai-card")
    assert "html[theme=dark]" in card_hosts
    assert dark_hosts(FORM_CSS, ".infrai-form") == card_hosts


def test_without_a_host_theme_the_browser_preference_decides() -> None:
    assert card_colour() == LIGHT_BG
    assert card_colour(prefers_dark=True) == DARK_BG


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ({"--jp-layout-color0": "#111111", "--vscode-editor-background": "#222222"}, "#111111"),
        ({"--vscode-editor-background": "#222222"}, "#222222"),
    ],
    ids=["jupyterlab", "vscode"],
)
def test_the_host_s_own_colours_win(host: dict[str, str], expected: str) -> None:
    assert card_colour(host=host) == expected


def test_text_follows_the_host_s_font_colour() -> None:
    host = {"--jp-ui-font-color1": "#abcdef"}
    assert card_colour(host=host, prop="color") == "#abcdef"


def test_every_rule_applies_inside_a_card_only() -> None:
    selectors = [s.strip() for selector_list, _ in rules(True) for s in selector_list.split(",")]
    assert len(selectors) > 20
    for selector in selectors:
        assert re.search(r"\.infrai-card(?![\w-])", selector), selector


def test_the_stylesheet_fetches_nothing() -> None:
    assert "url(" not in CARD_CSS and "@import" not in CARD_CSS and "expression(" not in CARD_CSS
