"""Cards shared by the display tests: everyday ones and one full of hostile strings."""

from __future__ import annotations

import pytest

from infrai_jupyter.display import Card, CardField, CardFooter, CardLink, CardTable

HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "Tom & Jerry &amp; &lt;b&gt;",
    "[click](javascript:alert(1))",
    "`code` **bold** | pipe",
)


def _card_full_of(text: str) -> Card:
    """Put ``text`` in every slot a builder can fill (spaces kept out of the URLs)."""
    url = "https://example.com/?q=" + text.replace(" ", "+")
    return Card(
        kind=text,
        title=text,
        hero=text,
        hero_caption=text,
        fields=(
            CardField(text, text),
            CardField(text, text, "code"),
            CardField(text, url, "link"),
        ),
        table=CardTable(columns=(text, text), rows=((text, text),), empty_message=text),
        links=(CardLink(text, url),),
        notes=(text,),
        commands=(text,),
        tone="error",
        footer=CardFooter(origin=text, base_url=text, request_id=text),
        language=text,
    )


SAMPLE_CARDS = (
    Card(
        kind="balance",
        title="Balance",
        hero="12.50 USD",
        hero_caption="Available credit",
        fields=(CardField("Account", "acct_01J9", "code"), CardField("Tier", "starter")),
        links=(CardLink("Add funds", "https://pay.example.com/checkout/cs_1"),),
        footer=CardFooter("sandbox", "http://127.0.0.1:8765", "req_123", 12),
    ),
    Card(
        kind="keys",
        title="Project keys",
        table=CardTable(
            ("ID", "Label", "Created"),
            (("key_1", "laptop", "2024-10-01"), ("key_22", "ci", "2024-10-03")),
        ),
        footer=CardFooter("hosted", "https://api.example.com"),
    ),
    Card(
        kind="error",
        title="Insufficient credit",
        tone="error",
        fields=(CardField("Code", "INSUFFICIENT_CREDIT", "code"),),
        notes=("Top up, then run the cell again.",),
        commands=("%infrai_topup 10",),
    ),
    Card(kind="keys", title="Project keys", table=CardTable(("ID",), ())),
)


@pytest.fixture(params=HOSTILE, ids=range(len(HOSTILE)))
def hostile(request: pytest.FixtureRequest) -> str:
    text: str = request.param
    return text


@pytest.fixture(params=SAMPLE_CARDS, ids=[card.kind for card in SAMPLE_CARDS])
def sample_card(request: pytest.FixtureRequest) -> Card:
    card: Card = request.param
    return card


@pytest.fixture
def hostile_card(hostile: str) -> Card:
    return _card_full_of(hostile)
