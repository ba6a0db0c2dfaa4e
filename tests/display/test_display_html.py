from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup, Tag

from infrai_jupyter.display import (
    Card,
    CardField,
    CardFooter,
    CardLink,
    CardTable,
    render_html,
    render_text,
)
from infrai_jupyter.display.links import UNSAFE_LINK_WARNING
from infrai_jupyter.display.theme import CARD_CSS

ALLOWED_ATTRIBUTES = {"class", "href", "target", "rel", "scope", "aria-hidden"} | {
    "role", "tabindex", "aria-label",  # the scrolling table region, with a fixed label
    "lang",  # the card's language: "en" or "zh-CN", whatever the builder put in
}  # fmt: skip
UNSAFE_URLS = (
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " javascript:alert(1)",
    "\nhttps://example.com",
    "/relative",
)


def parse(card: Card) -> Tag:
    """Parse the card and return its single root element."""
    soup = BeautifulSoup(render_html(card), "html.parser")
    roots = [node for node in soup.contents if isinstance(node, Tag)]
    assert len(roots) == 1
    return roots[0]


def visible(root: Tag) -> Tag:
    """The card without its hidden plain-text copy and stylesheet."""
    copy = BeautifulSoup(str(root), "html.parser")
    for node in copy.select("pre.infrai-plain, style"):
        node.decompose()
    card = copy.find("div")
    assert isinstance(card, Tag)
    return card


def one(root: Tag, selector: str) -> Tag:
    found = root.select(selector)
    assert len(found) == 1, selector
    return found[0]


# --- escaping ---------------------------------------------------------------------------


MATH_TYPESETTER_OPT_OUTS = {"mathjax_ignore", "tex2jax_ignore"}


def test_math_typesetters_leave_the_card_alone() -> None:
    # "$20.00 ... $2.00" must not become TeX in JupyterLab (MathJax 3) or nbviewer (MathJax 2).
    card = BeautifulSoup(render_html(Card(kind="x", title="$1 and $2")), "html.parser").div
    assert card is not None and set(card["class"]) >= MATH_TYPESETTER_OPT_OUTS


def test_hostile_strings_create_no_elements_and_no_attributes(hostile_card: Card) -> None:
    root = parse(hostile_card)
    assert root.find(["script", "img"]) is None
    assert {tag.name for tag in root.find_all(True)} == {
        *("div", "style", "strong", "span", "p", "pre", "code", "a"),
        *("dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td"),
    }
    for tag in [root, *root.find_all(True)]:
        assert set(tag.attrs) <= ALLOWED_ATTRIBUTES, tag.attrs
        for css_class in set(tag.get("class") or []) - MATH_TYPESETTER_OPT_OUTS:
            assert re.fullmatch(r"[a-z0-9-]+", css_class), css_class
    assert root["lang"] == "en"  # a language the package does not speak is said as English


def test_hostile_strings_show_as_text_in_every_slot(hostile: str, hostile_card: Card) -> None:
    card = visible(parse(hostile_card))
    slots = [
        ".infrai-title",
        ".infrai-hero",
        ".infrai-hero-caption",
        "dl.infrai-fields dt",
        "table.infrai-table th",
        "table.infrai-table td",
        ".infrai-notes p",
        "pre.infrai-commands code",
    ]
    for selector in slots:
        for node in card.select(selector):
            assert node.get_text() == hostile, selector
    url = "https://example.com/?q=" + hostile.replace(" ", "+")
    values = [value.get_text() for value in card.select("dl.infrai-fields dd")]
    assert values == [hostile, hostile, url]
    assert one(card, "a.infrai-button").get_text() == hostile + " ↗"
    assert one(card, ".infrai-footer").get_text() == " · ".join(
        [f"request {hostile}", hostile, hostile]
    )


def test_hostile_strings_stay_inside_link_attributes(hostile: str, hostile_card: Card) -> None:
    url = "https://example.com/?q=" + hostile.replace(" ", "+")
    anchors = visible(parse(hostile_card)).find_all("a")
    assert [anchor["href"] for anchor in anchors] == [url, url]


# --- links ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_unsafe_urls_are_never_anchors_and_carry_a_warning(url: str) -> None:
    card = Card(
        kind="topup",
        title="Top-up",
        fields=(CardField("Checkout", url, "link"),),
        links=(CardLink("Open checkout", url),),
    )
    root = visible(parse(card))
    assert root.find("a") is None
    assert root.find(href=True) is None
    warnings = root.select(".infrai-warning")
    assert len(warnings) == 2
    assert all(UNSAFE_LINK_WARNING in warning.get_text() for warning in warnings)
    shown = url.replace("\n", " ")  # one line, as every server string in a card
    assert [code.get_text() for code in root.select("code")] == [shown, shown]


def test_safe_links_open_in_a_new_tab_without_an_opener() -> None:
    url = "https://pay.example.com/checkout/cs_1?a=1&b=2"
    card = Card(
        kind="topup",
        title="Top-up",
        fields=(CardField("Checkout", url, "link"),),
        links=(CardLink("Open checkout", url), CardLink("Docs", "http://docs.example.com")),
    )
    anchors = visible(parse(card)).find_all("a")
    assert len(anchors) == 3
    for anchor in anchors:
        assert anchor["target"] == "_blank"
        assert anchor["rel"] == ["noopener", "noreferrer"]
    assert [anchor["href"] for anchor in anchors] == [url, url, "http://docs.example.com"]


# --- structure --------------------------------------------------------------------------


def test_a_card_is_one_scoped_element_carrying_its_own_stylesheet(sample_card: Card) -> None:
    root = parse(sample_card)
    assert root.name == "div"
    assert "infrai-card" in root["class"]
    assert one(root, "style").get_text() == CARD_CSS
    assert root.find(["script", "link", "iframe", "img", "object", "embed"]) is None


def test_the_plain_text_copy_equals_render_text(sample_card: Card) -> None:
    plain = one(parse(sample_card), "pre.infrai-plain")
    assert plain.get_text() == render_text(sample_card)


def test_the_plain_text_copy_of_a_hostile_card_is_escaped(hostile_card: Card) -> None:
    plain = one(parse(hostile_card), "pre.infrai-plain")
    assert plain.find(True) is None
    assert plain.get_text() == render_text(hostile_card)


def test_error_cards_carry_the_error_tone_and_say_so_in_words() -> None:
    root = parse(Card(kind="error", title="Insufficient credit", tone="error"))
    assert "infrai-tone-error" in root["class"]
    assert one(root, ".infrai-badge").get_text() == "Error"


def test_normal_cards_have_no_badge() -> None:
    root = parse(Card(kind="balance", title="Balance", hero="1.00 USD"))
    assert "infrai-tone-normal" in root["class"]
    assert root.select(".infrai-badge") == []


def test_the_footer_names_request_origin_base_url_and_latency() -> None:
    footer = CardFooter("sandbox", "http://127.0.0.1:8765", "req_123", 12)
    root = parse(Card(kind="balance", title="Balance", footer=footer))
    text = one(root, ".infrai-footer").get_text()
    assert text == "request req_123 · sandbox · http://127.0.0.1:8765 · 12 ms"


def test_without_a_footer_there_is_no_footer_and_no_empty_body() -> None:
    root = parse(Card(kind="session", title="infrai"))
    assert root.select(".infrai-footer, .infrai-body") == []


def test_an_empty_table_shows_its_message_instead_of_a_table() -> None:
    card = Card(kind="keys", title="Keys", table=CardTable(("ID",), (), "No keys yet."))
    root = visible(parse(card))
    assert root.find("table") is None
    assert one(root, ".infrai-empty").get_text() == "No keys yet."


def test_the_kind_becomes_a_css_hook() -> None:
    assert "infrai-card-balance" in parse(Card(kind="balance", title="Balance"))["class"]
