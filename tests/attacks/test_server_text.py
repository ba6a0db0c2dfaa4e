"""Text a server controls cannot deceive, flood or break a card, an error or a magic.

Every rendered card is parsed with BeautifulSoup (so entity-encoded tricks decode back
and are caught): bidi overrides and other invisible or control characters must not reach
the reader as they are, a 6 MB field must not make a 6 MB card, terminal escapes must not
reach exception text, and a 402 whose details are nonsense must still be a clean card
that never suggests ``%infrai_topup NaN``.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from IPython.core.interactiveshell import InteractiveShell
from IPython.lib.pretty import pretty
from IPython.utils.capture import capture_output
from traitlets.config import Config

from infrai_jupyter import InfraiClient, _default
from infrai_jupyter.contract import parse_amount
from infrai_jupyter.errors import (
    APIStatusError,
    InfraiError,
    InsufficientCreditError,
    MalformedResponseError,
)
from infrai_jupyter.magics.errors import InfraiCellError
from infrai_jupyter.results import ActivateResult, KeyList
from infrai_jupyter.widgets import TopupForm

from .conftest import (
    NONSENSE_AMOUNTS,
    HostileFactory,
    HostileServer,
    Responder,
    error_envelope,
    json_reply,
    ok_envelope,
    raw_json_reply,
)

#: Bidi controls, zero-width and other invisible marks, C0/C1 controls (not \t or \n).
INVISIBLE = (
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    "\u200b\u2060\ufeff\u00ad\x00\x07\x08\x0b\x0c\x1b\x7f\x85\x9b"
)
#: What an attacker writes: "invoice_exe.txt" that reads as "invoice_txt.exe".
DECEPTIVE = "pay \u202etxt.exe\u202c now " + INVISIBLE + " done"
SIX_MB = 6 * 1024 * 1024
#: Below the client's 1 MiB answer limit, so the field reaches the renderers.
BIG_FIELD = 900_000
THIRD_OF_BIG = BIG_FIELD // 3
CARD_LIMIT = 100_000


def html_texts(html: str) -> list[str]:
    """What a browser shows or keeps: the text and every attribute value, entities decoded."""
    soup = BeautifulSoup(html, "html.parser")
    texts = [soup.get_text("\n")]
    for tag in soup.find_all(True):
        for value in tag.attrs.values():
            texts.append(" ".join(value) if isinstance(value, list) else str(value))
    return texts


def assert_no_invisible(texts: list[str], where: str) -> None:
    for text in texts:
        found = sorted({f"U+{ord(c):04X}" for c in text if c in INVISIBLE})
        assert not found, f"{where} shows invisible or control characters as they are: {found}"


def activation_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account_id": "acct_1",
        "project_id": "proj_1",
        "primary_api_key": "ifr_pk_proj_" + "k" * 40,
        "trial_credit_usd": 2,
    }
    data.update(overrides)
    return data


def activate_against(hostile: HostileFactory, data: dict[str, Any], **meta: Any) -> Any:
    server = hostile(lambda request: json_reply(200, ok_envelope(data, **meta)))
    with InfraiClient(base_url=server.url, max_retries=0) as client:
        return client.activate(write_credentials=False)


def keys_against(hostile: HostileFactory, canary: str, label: str, key_id: str = "key_1") -> Any:
    item = {
        "key_id": key_id,
        "label": label,
        "scopes": ["account:read"],
        "created_at": "2026-01-01T00:00Z",
    }
    server = hostile(lambda request: json_reply(200, ok_envelope({"items": [item]})))
    with InfraiClient(api_key=canary, base_url=server.url, max_retries=0) as client:
        return client.account.keys.list()


# ------------------------------------------------------------------ results' cards


@pytest.mark.parametrize("field", ["notice", "account_id", "region", "checkout_url"])
def test_invisible_characters_from_the_server_do_not_reach_an_activation_card(
    hostile: HostileFactory, field: str
) -> None:
    value = DECEPTIVE if field != "checkout_url" else "http://127.0.0.1:9/" + DECEPTIVE
    result = activate_against(hostile, activation_data(**{field: value}), request_id=DECEPTIVE)
    assert_no_invisible(html_texts(result._repr_html_()), f"the HTML card ({field})")
    assert_no_invisible([result._repr_markdown_()], f"the Markdown card ({field})")
    assert_no_invisible([pretty(result)], f"the text card ({field})")


def test_invisible_characters_in_a_key_label_do_not_reach_the_keys_table(
    hostile: HostileFactory, canary: str
) -> None:
    result = keys_against(hostile, canary, DECEPTIVE, key_id=DECEPTIVE)
    assert_no_invisible(html_texts(result._repr_html_()), "the keys card")
    assert_no_invisible([result._repr_markdown_(), pretty(result)], "the keys card as text")


def assert_small_cards(result: Any, what: str) -> None:
    for name, text in [
        ("HTML", result._repr_html_()),
        ("Markdown", result._repr_markdown_()),
        ("text", pretty(result)),
    ]:
        assert len(text) < CARD_LIMIT, f"the {name} card of {what} is {len(text)} chars"


def huge(field: str, size: int) -> str:
    return "https://example.com/" + "a" * size if field == "checkout_url" else "A" * size


@pytest.mark.parametrize("size", [BIG_FIELD, SIX_MB], ids=["900 KB", "6 MB"])
@pytest.mark.parametrize("field", ["notice", "account_id", "checkout_url"])
def test_a_huge_field_from_the_server_is_refused_or_makes_a_small_card(
    hostile: HostileFactory, field: str, size: int
) -> None:
    try:
        result = activate_against(hostile, activation_data(**{field: huge(field, size)}))
    except MalformedResponseError:
        return  # the client refused an oversized answer: nothing to draw
    assert_small_cards(result, f"a {size:,}-character {field}")


@pytest.mark.parametrize("field", ["checkout_url"])  # links are not cut, only redacted
def test_a_six_megabyte_field_makes_a_small_card(field: str) -> None:
    # The display layer on its own: even a result that got past every size limit.
    result = ActivateResult.model_validate(activation_data(**{field: huge(field, SIX_MB)}))
    assert_small_cards(result, f"a 6 MB {field}")


def test_a_six_megabyte_label_makes_a_small_keys_card() -> None:
    item = {"key_id": "key_1", "label": "L" * SIX_MB, "created_at": "2026-01-01T00:00Z"}
    result = KeyList.model_validate({"items": [item]})
    assert_small_cards(result, "a 6 MB key label")


def test_a_huge_key_label_from_the_server_makes_a_small_keys_card(
    hostile: HostileFactory, canary: str
) -> None:
    result = keys_against(hostile, canary, "L" * BIG_FIELD)
    assert_small_cards(result, "a 900 KB key label")


# ------------------------------------------------------------------ exceptions


ANSI = "\x1b[2J\x1b[31mURGENT\x1b[0m \x1b]8;;http://evil.example\x07click\x1b]8;;\x07 \x9b31m"


def test_terminal_escapes_from_the_server_never_reach_exception_text(
    hostile: HostileFactory, canary: str
) -> None:
    envelope = error_envelope(f"BAD{ANSI}", f"Denied {ANSI}", request_id=f"req{ANSI}")
    server = hostile(lambda request: json_reply(403, envelope))
    client = InfraiClient(api_key=canary, base_url=server.url, max_retries=0)
    with client, pytest.raises(APIStatusError) as raised:
        client.account.balance()
    error = raised.value
    for text in (
        str(error),
        repr(error),
        error.message,
        "".join(traceback.format_exception(error)),
    ):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text, repr(text)


@pytest.mark.parametrize("size", [THIRD_OF_BIG, SIX_MB], ids=["300 KB", "6 MB"])
def test_a_huge_error_message_makes_a_short_exception(
    hostile: HostileFactory, canary: str, size: int
) -> None:
    envelope = error_envelope("E" * size, "M" * size, request_id="r" * size)
    server = hostile(lambda request: json_reply(400, envelope))
    client = InfraiClient(api_key=canary, base_url=server.url, max_retries=0)
    with client, pytest.raises(InfraiError) as raised:
        client.account.balance()
    assert len(str(raised.value)) < CARD_LIMIT
    assert len(repr(raised.value)) < CARD_LIMIT


# ------------------------------------------------------------------ the magics' error card


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, home: Path) -> Iterator[InteractiveShell]:
    """IPython (in process, a terminal: no widgets) with the extension loaded."""
    shell = InteractiveShell.instance(config=Config({"HistoryManager": {"enabled": False}}))
    shell.extension_manager.load_extension("infrai_jupyter")
    yield shell
    shell.extension_manager.unload_extension("infrai_jupyter")
    _default.reset()


def run_failing_magic(
    shell: InteractiveShell,
    monkeypatch: pytest.MonkeyPatch,
    server: HostileServer,
    canary: str,
    magic: str,
    line: str,
) -> tuple[InfraiCellError, list[dict[str, Any]]]:
    """Run a magic that must fail the cell; return its one-line error and displayed bundles."""
    monkeypatch.setenv("INFRAI_API_KEY", canary)
    monkeypatch.setenv("INFRAI_BASE_URL", server.url)
    _default.reset()
    with capture_output() as captured, pytest.raises(InfraiCellError) as raised:
        shell.run_line_magic(magic, line)
    return raised.value, [dict(output.data) for output in captured.outputs]


def serve(hostile: HostileFactory, status: int, envelope: dict[str, Any]) -> HostileServer:
    respond: Responder = lambda request: json_reply(status, envelope)  # noqa: E731
    return hostile(respond)


@pytest.mark.parametrize("missing", NONSENSE_AMOUNTS)
def test_a_402_with_nonsense_missing_usd_shows_a_clean_card_and_a_sane_suggestion(
    hostile: HostileFactory,
    shell: InteractiveShell,
    monkeypatch: pytest.MonkeyPatch,
    canary: str,
    missing: str,
) -> None:
    envelope = error_envelope("INSUFFICIENT_CREDIT", "Not enough credit.", {"missing_usd": "@"})
    server = hostile(lambda request: raw_json_reply(402, envelope, {"@": missing}))
    _, bundles = run_failing_magic(shell, monkeypatch, server, canary, "infrai_upgrade", "pro")
    cards = [bundle["text/html"] for bundle in bundles if "text/html" in bundle]
    assert cards, "no error card was shown"
    text = "\n".join("\n".join(html_texts(card)) for card in cards)
    text += "\n".join(bundle.get("text/plain", "") for bundle in bundles)
    assert "Not enough credit" in text
    suggestions = re.findall(r"%infrai_topup[ \t]+([^\s]+)", text)
    for amount in suggestions:
        assert parse_amount(amount.rstrip(".,;")) > Decimal(0), amount
    for bad in ("NaN", "Infinity", "abc", "{}", "-5", "1E+27", "1e27", "rm -rf"):
        assert f"%infrai_topup {bad}" not in text, f"the card suggests %infrai_topup {bad}"


def test_a_402_in_plain_python_keeps_the_raw_details_typed(
    hostile: HostileFactory, canary: str
) -> None:
    envelope = error_envelope("INSUFFICIENT_CREDIT", "Short.", {"missing_usd": "NaN"})
    server = serve(hostile, 402, envelope)
    client = InfraiClient(api_key=canary, base_url=server.url, max_retries=0)
    with client, pytest.raises(InsufficientCreditError):
        client.account.tier.upgrade(target_tier="pro")


def test_an_error_card_hides_invisible_characters_and_escapes(
    hostile: HostileFactory, shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch, canary: str
) -> None:
    envelope = error_envelope(f"DENIED{DECEPTIVE}", f"{DECEPTIVE} {ANSI}", request_id=DECEPTIVE)
    server = serve(hostile, 403, envelope)
    error, bundles = run_failing_magic(shell, monkeypatch, server, canary, "infrai_balance", "")
    cards = [bundle["text/html"] for bundle in bundles if "text/html" in bundle]
    assert cards, "no error card was shown"
    for card in cards:
        assert_no_invisible(html_texts(card), "the error card")
    plain = [bundle.get("text/plain", "") for bundle in bundles] + [str(error)]
    assert_no_invisible(plain, "the error card's text and the one-line failure")


@pytest.mark.parametrize("size", [THIRD_OF_BIG, SIX_MB], ids=["300 KB", "6 MB"])
def test_a_huge_error_makes_a_small_error_card(
    hostile: HostileFactory,
    shell: InteractiveShell,
    monkeypatch: pytest.MonkeyPatch,
    canary: str,
    size: int,
) -> None:
    envelope = error_envelope("E" * size, "M" * size, {"x": "d" * size}, request_id="r" * 99)
    server = serve(hostile, 400, envelope)
    error, bundles = run_failing_magic(shell, monkeypatch, server, canary, "infrai_balance", "")
    for bundle in bundles:
        for mime, text in bundle.items():
            assert len(str(text)) < CARD_LIMIT, f"{mime} of the error card is {len(str(text))}"
    assert len(str(error)) < CARD_LIMIT


# ------------------------------------------------------------------ markup and links

MARKUP = (
    '<script>alert(1)</script><img src=x onerror="alert(2)">'
    '<a href="javascript:alert(3)">x</a><style>*{display:none}</style>"\'><svg onload=alert(4)>'
)
HOSTILE_LINKS = [
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/checkout",
    "http://evil.example\u202e/moc.elgoog",
    "https://user:pass@evil.example/",
]


def assert_inert(html: str, where: str) -> None:
    """No script, no event handler, no element the renderer did not write itself."""
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all(["script", "img", "svg", "iframe", "object", "embed"]), where
    for tag in soup.find_all(True):
        handlers = [name for name in tag.attrs if name.lower().startswith("on")]
        assert not handlers, f"{where}: <{tag.name}> has {handlers}"
    for anchor in soup.find_all("a"):
        href = str(anchor.get("href", ""))
        assert re.match(r"https?://[^/\s@]+(/|$)", href), f"{where}: clickable {href!r}"
        assert all(char.isprintable() and not char.isspace() for char in href), where
    assert len(soup.find_all("style")) <= 1, f"{where}: a second stylesheet"  # the card's own


def test_server_markup_cannot_enter_a_card(hostile: HostileFactory, canary: str) -> None:
    data = activation_data(account_id=MARKUP, notice=MARKUP, region=MARKUP)
    result = activate_against(hostile, data, request_id=MARKUP)
    assert_inert(result._repr_html_(), "the activation card")
    assert_inert(keys_against(hostile, canary, MARKUP, key_id=MARKUP)._repr_html_(), "keys card")


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_a_hostile_checkout_link_is_never_clickable(
    hostile: HostileFactory, canary: str, link: str
) -> None:
    record = {"topup_id": "tu_1", "amount_usd": 5, "state": "requires_payment"}
    record.update(checkout_url=link, next_action_url=link)
    server = hostile(lambda request: json_reply(200, ok_envelope(record)))
    with InfraiClient(api_key=canary, base_url=server.url, max_retries=0) as client:
        result = client.account.topup(amount_usd=5)
        form = TopupForm(client, watch_interval=60)
        try:
            form.amount.value = "5"
            form.submit.click()
            outputs = [form.output.value, form.message.value]
        finally:
            form.close()
    assert_inert(result._repr_html_(), f"the top-up card for {link!r}")
    for html in outputs:
        assert_inert(html, f"the form for {link!r}")
    markdown = result._repr_markdown_()
    assert not re.search(r"\]\(\s*(javascript|data|vbscript):", markdown, re.IGNORECASE), markdown


# ------------------------------------------------------------------ every card at once

EVIL = DECEPTIVE + MARKUP + ANSI


def every_result(hostile: HostileFactory, canary: str) -> list[tuple[str, Any]]:
    """One result of each kind, every free-text field of which the server filled with EVIL."""
    record = {"topup_id": EVIL, "amount_usd": 5, "state": "requires_payment", "currency": EVIL}
    key = {"key_id": EVIL, "label": EVIL, "scopes": [EVIL], "created_at": "2026-01-01T00:00Z"}
    summary = {"account_id": EVIL, "kind": EVIL, "status": EVIL, "tier": EVIL, "balance_usd": 1}
    answers = {
        "/v1/account/balance": {"balance_usd": 1, "currency": EVIL},
        "/v1/account/topup": record,
        "/v1/account/topups": {"items": [record, record]},
        "/v1/account/keys": {"items": [key, key]},
        "/v1/account/tier/upgrade": summary,
    }
    server = hostile(
        lambda request: json_reply(
            200, ok_envelope(answers[request.path], request_id=EVIL, vendor=EVIL)
        )
    )
    with InfraiClient(api_key=canary, base_url=server.url, max_retries=0) as client:
        return [
            ("balance", client.account.balance()),
            ("top-up", client.account.topup(amount_usd=5)),
            ("top-ups", client.account.topups.list()),
            ("keys", client.account.keys.list()),
            ("account", client.account.tier.upgrade(target_tier="pro")),
        ]


def test_every_result_card_parses_clean(hostile: HostileFactory, canary: str) -> None:
    for kind, result in every_result(hostile, canary):
        html = result._repr_html_()
        assert_inert(html, f"the {kind} card")
        assert_no_invisible(html_texts(html), f"the {kind} card")
        assert "\x1b" not in html and "\x1b" not in pretty(result), f"the {kind} card"
        cards = BeautifulSoup(html, "html.parser").select("div.infrai-card")
        assert len(cards) == 1, f"the {kind} card is {len(cards)} cards"
