from __future__ import annotations

import mistune
import pytest
from bs4 import BeautifulSoup, Tag

from infrai_jupyter.display import (
    Card,
    CardField,
    CardFooter,
    CardLink,
    CardTable,
    render_markdown,
    render_text,
)
from infrai_jupyter.display.links import UNSAFE_LINK_WARNING

FOOTER = CardFooter("sandbox", "http://127.0.0.1:8765", "req_123", 12)


def markdown_to_soup(card: Card) -> BeautifulSoup:
    """Render the card's Markdown the way nbconvert does (mistune, raw HTML allowed)."""
    html = mistune.html(render_markdown(card))
    assert isinstance(html, str)
    return BeautifulSoup(html, "html.parser")


def first(soup: BeautifulSoup, selector: str) -> Tag:
    found = soup.select_one(selector)
    assert found is not None, selector
    return found


# --- plain text -------------------------------------------------------------------------


def test_text_aligns_values_after_the_longest_label() -> None:
    card = Card(
        kind="activation",
        title="Activated",
        fields=(
            CardField("Account", "acct_1"),
            CardField("Trial credit", "5.00 USD"),
            CardField("Key", "ifr_pk_proj_…a1b2", "code"),
        ),
    )
    assert render_text(card).split("\n\n")[1].splitlines() == [
        "Account:      acct_1",
        "Trial credit: 5.00 USD",
        "Key:          ifr_pk_proj_…a1b2",
    ]


def test_text_reads_top_to_bottom() -> None:
    card = Card(
        kind="error",
        title="Insufficient credit",
        tone="error",
        hero="0.40 USD",
        hero_caption="Available credit",
        fields=(CardField("Code", "INSUFFICIENT_CREDIT"),),
        links=(CardLink("Add funds", "https://pay.example.com/x"),),
        notes=("Top up, then run the cell again.",),
        commands=("%infrai_topup 10", "%infrai_balance"),
        footer=FOOTER,
    )
    assert render_text(card) == (
        "✖ Insufficient credit\n0.40 USD\nAvailable credit\n\n"
        "Code: INSUFFICIENT_CREDIT\n\n"
        "Add funds: https://pay.example.com/x\n\n"
        "Top up, then run the cell again.\n\n"
        "    %infrai_topup 10\n    %infrai_balance\n\n"
        "request req_123 · sandbox · http://127.0.0.1:8765 · 12 ms"
    )


def test_text_tables_line_up_their_columns() -> None:
    table = CardTable(("ID", "Label"), (("key_1", "laptop"), ("key_22", "ci")))
    assert render_text(Card(kind="keys", title="Keys", table=table)) == (
        "Keys\n\nID      Label\n------  ------\nkey_1   laptop\nkey_22  ci"
    )


def test_text_shows_the_empty_message_for_an_empty_table() -> None:
    table = CardTable(("ID",), (), "No keys yet.")
    assert render_text(Card(kind="keys", title="Keys", table=table)) == "Keys\n\nNo keys yet."


@pytest.mark.parametrize("url", ["javascript:alert(1)", " https://example.com"])
def test_text_flags_unsafe_urls(url: str) -> None:
    card = Card(
        kind="topup",
        title="Top-up",
        fields=(CardField("Checkout", url, "link"),),
        links=(CardLink("Pay", url),),
    )
    text = render_text(card)
    assert text.count(f"({UNSAFE_LINK_WARNING})") == 2


def test_text_prints_safe_urls_bare() -> None:
    card = Card(kind="topup", title="Top-up", links=(CardLink("Pay", "https://pay.example.com"),))
    assert render_text(card) == "Top-up\n\nPay: https://pay.example.com"


def test_text_neutralises_terminal_control_sequences() -> None:
    card = Card(kind="x", title="\x1b[2JBalance\u202e", fields=(CardField("A", "b\rc"),))
    text = render_text(card)
    assert "\x1b" not in text
    assert "\r" not in text
    assert "\u202e" not in text
    assert text.startswith("Balance\N{REPLACEMENT CHARACTER}\n")
    assert "A: b c" in text


# --- Markdown ---------------------------------------------------------------------------

INJECTIONS = (
    "[click me](javascript:alert(1))",
    "[phish](https://evil.example)",
    "![x](https://evil.example/x.png)",
    "<img src=x onerror=alert(1)>",
    "<https://evil.example>",
    "<script>alert(1)</script>",
    "&lt;b&gt; *emph* _emph_ `code` ~~strike~~",
    "# heading",
    "| a | b |",
)


@pytest.mark.parametrize("text", INJECTIONS)
def test_markdown_values_cannot_inject_links_html_or_markup(text: str) -> None:
    card = Card(
        kind="x",
        title=text,
        hero=text,
        hero_caption=text,
        fields=(CardField(text, text),),
        table=CardTable((text,), ((text,),)),
        links=(CardLink(text, "https://example.com/safe"),),
        notes=(text,),
        footer=CardFooter(text, text, text),
    )
    soup = markdown_to_soup(card)
    assert [anchor["href"] for anchor in soup.find_all("a")] == ["https://example.com/safe"]
    assert soup.find(["img", "script", "h1", "del"]) is None
    assert len(soup.find_all("td")) == 1
    assert [em.get_text() for em in soup.find_all("em")] == [f"request {text} · {text} · {text}"]
    assert [code.get_text() for code in soup.find_all("code")] == []
    assert first(soup, "strong").get_text() == text
    assert first(soup, "td").get_text() == text
    assert first(soup, "a").get_text() == text


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:,x"])
def test_markdown_never_links_unsafe_urls(url: str) -> None:
    card = Card(
        kind="topup",
        title="Top-up",
        fields=(CardField("Checkout", url, "link"),),
        links=(CardLink("Pay", url),),
    )
    soup = markdown_to_soup(card)
    assert soup.find("a") is None
    assert soup.get_text().count(UNSAFE_LINK_WARNING) == 2
    assert [code.get_text() for code in soup.find_all("code")] == [url, url]


def test_markdown_links_safe_urls_with_their_label() -> None:
    url = "https://pay.example.com/checkout/(cs_1)"
    card = Card(
        kind="topup",
        title="Top-up",
        fields=(CardField("Checkout", url, "link"),),
        links=(CardLink("Open checkout", url),),
    )
    anchors = markdown_to_soup(card).find_all("a")
    assert [anchor.get_text() for anchor in anchors] == [url, "Open checkout"]
    encoded = "https://pay.example.com/checkout/%28cs_1%29"
    assert [anchor["href"] for anchor in anchors] == [encoded, encoded]


def test_markdown_code_survives_backticks() -> None:
    card = Card(
        kind="x",
        title="T",
        fields=(CardField("Key", "a`b``c", "code"),),
        commands=("echo ```", "%infrai_balance"),
    )
    soup = markdown_to_soup(card)
    assert first(soup, "li code").get_text() == "a`b``c"
    assert first(soup, "pre").get_text() == "echo ```\n%infrai_balance\n"


def test_markdown_has_a_bold_title_field_list_table_and_footer() -> None:
    card = Card(
        kind="keys",
        title="Project keys",
        fields=(CardField("Project", "proj_1"),),
        table=CardTable(("ID", "Label"), (("key_1", "laptop"),)),
        footer=FOOTER,
    )
    soup = markdown_to_soup(card)
    assert first(soup, "strong").get_text() == "Project keys"
    assert first(soup, "li").get_text() == "Project: proj_1"
    assert [cell.get_text() for cell in soup.find_all(["th", "td"])] == [
        "ID",
        "Label",
        "key_1",
        "laptop",
    ]
    assert soup.find_all("em")[-1].get_text() == (
        "request req_123 · sandbox · http://127.0.0.1:8765 · 12 ms"
    )
