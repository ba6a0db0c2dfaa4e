"""What a teacher in front of a class notices: said once, in plain words, lined up, readable."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal

from bs4 import BeautifulSoup

from infrai_jupyter.contract import Metadata
from infrai_jupyter.display import (
    Card,
    CardTable,
    not_signed_in_card,
    render_html,
    render_markdown,
    render_text,
    sandbox_card,
    session_card,
    topup_command,
)
from infrai_jupyter.display.theme import CARD_CSS, CARD_WIDTH, FORM_CSS
from infrai_jupyter.results import Balance, KeyList, TopupRecord

URL = "http://127.0.0.1:8765"


def _html(card: Card) -> BeautifulSoup:
    return BeautifulSoup(render_html(card), "html.parser")


def _topup(state: str) -> TopupRecord:
    return TopupRecord.from_response(
        {
            "topup_id": "tu_01J9",
            "amount_usd": 25,
            "state": state,
            "checkout_url": f"{URL}/checkout/tu_01J9",
        },
        Metadata(request_id="req_1", vendor="sandbox"),
        URL,
    )


def test_a_topup_says_its_status_once_as_a_pill_in_plain_words() -> None:
    for state, pill, tone in (
        ("requires_payment", "Awaiting payment", "warning"),
        ("succeeded", "Paid", "success"),
        ("canceled", "Canceled", "normal"),
    ):
        card = _topup(state).card()
        page = _html(card)
        assert page.select_one(".infrai-badge").get_text() == pill
        assert f"infrai-tone-{tone}" in page.div["class"]
        shown = " ".join(page.select_one(".infrai-body").stripped_strings)
        for raw in ("requires_payment", "requires payment", "succeeded", "State", "checkout_url"):
            assert raw not in shown and raw not in render_text(card), (state, raw)
        assert f"Top-up · {pill}" in render_text(card)


def test_the_balance_has_no_usd_caption() -> None:
    balance = Balance.from_response({"balance_usd": 2, "currency": "USD"}, Metadata(), URL)
    assert _html(balance.card()).select(".infrai-hero-caption") == []
    assert render_text(balance.card()).splitlines()[:2] == ["Balance", "$2.00"]


def test_key_ids_are_monospace_and_times_local_with_their_zone_named() -> None:
    created = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)
    keys = KeyList.from_response(
        {
            "items": [
                {
                    "key_id": "key_01J9",
                    "label": "default",
                    "scopes": ["account:read"],
                    "created_at": created.isoformat(),
                }
            ]
        },
        Metadata(),
        URL,
    )
    page = _html(keys.card())
    assert next(code.get_text() for code in page.select("td code.infrai-code")) == "key_01J9"
    zone = datetime.now().astimezone().strftime("%Z")
    assert f"Created ({zone})" in [th.get_text() for th in page.select("th")]
    assert created.astimezone().strftime("%Y-%m-%d %H:%M") in page.get_text()
    assert "`key_01J9`" in render_markdown(keys.card())


def test_a_table_scrolls_in_a_labelled_focusable_region_with_edge_shadows() -> None:
    card = Card(kind="keys", title="Keys", table=CardTable(("A",), (("x",),)))
    region = _html(card).select_one("div.infrai-table-scroll")
    assert region["role"] == "region" and region["tabindex"] == "0" and region["aria-label"]
    rule = re.search(r"div\.infrai-table-scroll\{([^}]*)\}", CARD_CSS)
    assert rule and "overflow-x:auto" in rule[1] and rule[1].count("gradient(") == 4


def test_cards_and_the_form_share_one_width_and_left_edge() -> None:
    for css, selector in ((CARD_CSS, ".infrai-card{"), (FORM_CSS, ".infrai-form{")):
        rule = css[css.index(selector) : css.index("}", css.index(selector))]
        assert f"width:{CARD_WIDTH}" in rule and "margin:4px 0" in rule
    assert "max-width" not in CARD_CSS.split("}")[0]


def test_light_labels_and_footers_are_dark_enough_and_not_tiny() -> None:
    # Labels mix 84% of the text colour into the background: ~9:1 on white, not 4.5:1.
    assert "--infrai-label:color-mix(in srgb,var(--infrai-fg) 84%,var(--infrai-bg))" in CARD_CSS
    for selector in ("dl.infrai-fields dt{", "table.infrai-table th{", "div.infrai-footer{"):
        rule = CARD_CSS[CARD_CSS.index(selector) :].split("}")[0]
        assert "color:var(--infrai-label)" in rule, selector
    sizes = [float(size) for size in re.findall(r"font-size:([\d.]+)px", CARD_CSS)]
    assert min(sizes) >= 12


def test_the_sandbox_card_separates_next_from_when_you_are_done() -> None:
    card = sandbox_card(URL)
    assert card.commands == ("%infrai_activate",)  # pasting the block only activates
    page = _html(card)
    assert "%infrai_sandbox stop" not in page.select_one("pre.infrai-commands").get_text()
    done = {dt.get_text(): dd.get_text() for dt, dd in zip(page("dt"), page("dd"), strict=True)}
    assert done["When you are done"] == "%infrai_sandbox stop"


def test_stopping_twice_says_nothing_was_running() -> None:
    assert sandbox_card(None, "stopped").title == "Sandbox stopped"
    again = sandbox_card(None, "nothing to stop")
    assert again.title == "No sandbox was running"
    assert "Nothing was stopped" in render_text(again)


def test_not_signed_in_says_it_once_in_the_user_s_terms() -> None:
    card = not_signed_in_card(base_url=URL, origin="sandbox", commands=("%infrai_activate",))
    text = render_text(card)
    assert "no project key yet" in text and "Bearer" not in text and "DNS" not in text
    assert text.lower().count("no project key") == 1


def test_magic_names_are_monospace_in_cards_and_in_the_magics_list() -> None:
    card = session_card(
        base_url=URL,
        api_key=None,
        key_source="none",
        region="auto",
        embedded_sandbox=True,
        commands=(("%infrai_keys", "the project keys"),),
    )
    page = _html(card)
    assert page.select_one("td code.infrai-code").get_text() == "%infrai_keys"
    assert "%infrai_activate" in [code.get_text() for code in page.select(".infrai-notes code")]


def test_one_way_to_write_a_topup_command() -> None:
    assert topup_command(Decimal("18")) == "%infrai_topup 18.00"
    assert topup_command(Decimal("18.5")) == "%infrai_topup 18.50"
