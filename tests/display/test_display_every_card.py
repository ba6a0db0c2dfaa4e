"""Every card a user can see, built from hostile data, parsed as a browser would parse it.

Results are built with ``Result.from_response`` exactly as the client builds them,
with markup, quotes, ``javascript:`` URLs, Markdown links, terminal escapes, bidi
overrides, megabytes of text and a full project key in every string the server
controls. The HTML is parsed with BeautifulSoup, never grepped: the proof is that no
element or attribute was injected, the hostile text survives as (bounded) text, and
nothing invisible or secret reaches any form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import mistune
import pytest
from bs4 import BeautifulSoup, Tag
from IPython.lib.pretty import pretty

from infrai_jupyter.contract import Metadata
from infrai_jupyter.display import (
    CardView,
    clean_text,
    error_card,
    error_line,
    is_safe_link,
    sandbox_card,
    session_card,
)
from infrai_jupyter.display.clean import ID_LIMIT
from infrai_jupyter.errors import (
    APIConnectionError,
    AuthenticationError,
    InfraiError,
    InsufficientCreditError,
    MalformedResponseError,
    RateLimitError,
    ServerError,
)
from infrai_jupyter.results import (
    RESULT_MIME_TYPE,
    AccountSummary,
    ActivateResult,
    Balance,
    KeyList,
    Result,
    TopupList,
    TopupRecord,
)

INJECTION = (
    '<script>alert(1)</script><img src=x onerror="alert(2)">"\'><b onclick=x>'
    "[click](javascript:alert(5)) \x1b[2J\x1b]0;pwned\x07 \u202egnp.exe \u2066x\u2069"
)
INVISIBLE = ("\x1b", "\x07", "\u202e", "\u2066", "\u2069")
HUGE = "A" * 1_000_000
JAVASCRIPT_URL = "javascript:alert(document.cookie)"
FULL_KEY = "ifr_pk_proj_SECRETsecretSECRETsecret1234"
SECRET_PART = "SECRETsecretSECRETsecret"
BASE_URL = 'http://127.0.0.1:9/"><script>alert(3)</script>](javascript:alert(6))'
METADATA = Metadata(request_id=f"req-{INJECTION}", vendor="sandbox", latency_ms=3)
CREATED = "2024-05-01T12:00:00Z"
MARKDOWN_TO_HTML = mistune.create_markdown(escape=False)


def _activate() -> Result:
    data = {
        "account_id": INJECTION,
        "project_id": INJECTION,
        "primary_api_key": FULL_KEY,
        "trial_credit_usd": "2.00",
        "region": INJECTION,
        "checkout_url": JAVASCRIPT_URL,
        "notice": f"{INJECTION} {FULL_KEY} {HUGE}",
    }
    return ActivateResult.from_response(data, METADATA, BASE_URL)


def _balance() -> Result:
    return Balance.from_response({"balance_usd": "1.5", "currency": INJECTION}, METADATA, BASE_URL)


def _topup() -> Result:
    data = {
        "topup_id": INJECTION,
        "amount_usd": "25",
        "state": "requires_payment",
        "checkout_url": JAVASCRIPT_URL,
        "next_action_url": "data:text/html,<script>alert(4)</script>",
        "return_url": JAVASCRIPT_URL,
    }
    return TopupRecord.from_response(data, METADATA, BASE_URL)


def _topups() -> Result:
    item = {"topup_id": INJECTION, "amount_usd": "3", "state": "succeeded", "created_at": CREATED}
    return TopupList.from_response({"items": [item]}, METADATA, BASE_URL)


def _keys() -> Result:
    item = {
        "key_id": INJECTION,
        "label": INJECTION + HUGE,
        "scopes": [INJECTION, "account:read", HUGE],
        "created_at": CREATED,
        "masked_key": INJECTION,
    }
    return KeyList.from_response({"items": [item]}, METADATA, BASE_URL)


def _account() -> Result:
    data = {
        "account_id": INJECTION,
        "kind": INJECTION,
        "status": INJECTION,
        "tier": INJECTION,
        "balance_usd": "7",
    }
    return AccountSummary.from_response(data, METADATA, BASE_URL)


RESULTS: dict[str, Callable[[], Result]] = {
    "activate": _activate,
    "balance": _balance,
    "topup": _topup,
    "topups": _topups,
    "keys": _keys,
    "account": _account,
}


def _errors() -> dict[str, InfraiError]:
    status = {
        "code": f"CODE{INJECTION}{FULL_KEY}{HUGE}",
        "details": {"missing_usd": f"{INJECTION}", "required_usd": HUGE, "balance_usd": {}},
        "request_id": f"req-{INJECTION}{FULL_KEY}",
        "method": "GET",
        "url": BASE_URL,
        "vendor": INJECTION,
    }
    message = f"{INJECTION} key {FULL_KEY} {HUGE}"
    return {
        "401": AuthenticationError(message, status_code=401, **status),
        "402": InsufficientCreditError(message, status_code=402, **status),
        "429": RateLimitError(message, status_code=429, retry_after=1e300, **status),
        "500": ServerError(message, status_code=500, **status),
        "refused": APIConnectionError(message, method="GET", url=BASE_URL),
        "malformed": MalformedResponseError(
            message, status_code=502, content_type=INJECTION + HUGE, method="GET", url=BASE_URL
        ),
    }


def _error_view(error: InfraiError) -> CardView:
    card = error_card(
        error,
        base_url=BASE_URL,
        origin=INJECTION,
        commands=[f"%infrai_topup {INJECTION}"],
        retry_step=INJECTION,
        fix_step=INJECTION,
    )
    return CardView(card)


def _all_cards() -> dict[str, tuple[str, str, str]]:
    """Name -> (HTML, Markdown, text) of every card a user can see."""
    shown: dict[str, tuple[str, str, str]] = {}
    for name, build in RESULTS.items():
        result = build()
        shown[name] = (result._repr_html_(), result._repr_markdown_(), pretty(result))
    views = {f"error-{name}": _error_view(error) for name, error in _errors().items()}
    session = session_card(
        base_url=BASE_URL,
        api_key=FULL_KEY,
        key_source=INJECTION,
        region=INJECTION,
        embedded_sandbox=False,
        commands=[(INJECTION, INJECTION)],
    )
    views["session"] = CardView(session)
    views["sandbox"] = CardView(sandbox_card(BASE_URL))
    for name, view in views.items():
        shown[name] = (view._repr_html_(), view._repr_markdown_(), repr(view))
    return shown


CARDS = _all_cards()


def _parse(html: str) -> Tag:
    (card,) = BeautifulSoup(html, "html.parser").find_all(True, recursive=False)
    assert "infrai-card" in card["class"]
    return card


@pytest.mark.parametrize("name", sorted(CARDS))
def test_math_typesetters_leave_the_card_alone(name: str) -> None:
    # "$20.00 ... $2.00" must not become TeX in JupyterLab (MathJax 3) or nbviewer (MathJax 2).
    assert {"mathjax_ignore", "tex2jax_ignore"} <= set(_parse(CARDS[name][0])["class"])


@pytest.mark.parametrize("name", sorted(CARDS))
def test_no_injected_elements_or_attributes(name: str) -> None:
    card = _parse(CARDS[name][0])
    tags = card.find_all(True)
    assert {tag.name for tag in tags} <= {
        "style", "div", "strong", "span", "dl", "dt", "dd", "code", "a", "pre", "p",
        "table", "thead", "tbody", "tr", "th", "td",
    }  # fmt: skip
    assert [tag.name for tag in card.find_all(["script", "img", "b", "iframe"])] == []
    assert card.find_all("style") == [card.contents[0]]  # only the card's own stylesheet
    for tag in [card, *tags]:
        assert not [attribute for attribute in tag.attrs if attribute.startswith("on")]


@pytest.mark.parametrize("name", sorted(CARDS))
def test_hostile_text_is_shown_as_text(name: str) -> None:
    card = _parse(CARDS[name][0])
    visible = "".join(
        str(node) for node in card.find_all(string=True) if node.parent.name not in ("style", "pre")
    )
    plain = card.select_one("pre.infrai-plain")
    assert plain is not None
    assert "<script>alert(" in visible or "<script>alert(" in plain.get_text()
    assert plain.get_text() == CARDS[name][2]  # the plain-text copy is the text form


@pytest.mark.parametrize("name", sorted(CARDS))
def test_only_http_links_are_clickable(name: str) -> None:
    card = _parse(CARDS[name][0])
    for link in card.find_all("a"):
        assert is_safe_link(link["href"]) and link["href"].startswith(("http://", "https://"))
        assert link["target"] == "_blank"
        assert link["rel"] == ["noopener", "noreferrer"]
    assert not card.find_all(href=lambda href: href and not href.startswith("http"))


@pytest.mark.parametrize("name", sorted(CARDS))
def test_markdown_renders_no_markup_and_no_unsafe_link(name: str) -> None:
    # Raw HTML allowed, as JupyterLab and GitHub allow it in Markdown.
    rendered = BeautifulSoup(str(MARKDOWN_TO_HTML(CARDS[name][1])), "html.parser")
    assert rendered.find_all(["script", "img", "b", "iframe", "style"]) == []
    for tag in rendered.find_all(True):
        assert not [attribute for attribute in tag.attrs if attribute.startswith("on")]
    for link in rendered.find_all("a"):
        assert is_safe_link(link["href"]), link
    assert "<script>alert(" in rendered.get_text()  # shown, as text


@pytest.mark.parametrize("name", ["activate", "topup"])
def test_javascript_checkout_url_is_text_with_a_warning(name: str) -> None:
    card = _parse(CARDS[name][0])
    assert card.find_all("a") == []
    assert JAVASCRIPT_URL in card.get_text()
    assert (
        "not an http(s) link, so not clickable" in card.select_one("div.infrai-actions").get_text()
    )


@pytest.mark.parametrize("name", sorted(CARDS))
def test_no_form_shows_the_full_key(name: str) -> None:
    for form in CARDS[name]:
        assert SECRET_PART not in form


@pytest.mark.parametrize("build", RESULTS.values(), ids=RESULTS.keys())
def test_the_data_mime_type_carries_the_data_with_keys_masked(build: Callable[[], Any]) -> None:
    result = build()
    (mime,) = result._repr_mimebundle_()
    assert mime == RESULT_MIME_TYPE
    data = result._repr_mimebundle_()[RESULT_MIME_TYPE]
    assert data["_metadata"]["request_id"] == METADATA.request_id
    # All the data, with the one full key a server put into free text (a notice) masked.
    expected = json.dumps(result.model_dump(mode="json")).replace(FULL_KEY, "ifr_pk_proj_…1234")
    assert {k: v for k, v in data.items() if k != "_metadata"} == json.loads(expected)
    assert SECRET_PART not in repr(data) and SECRET_PART not in repr(result)


@pytest.mark.parametrize("build", RESULTS.values(), ids=RESULTS.keys())
def test_every_result_card_names_request_id_and_origin(build: Callable[[], Result]) -> None:
    result = build()
    footer = _parse(result._repr_html_()).select_one("div.infrai-footer")
    assert footer is not None
    parts = footer.get_text().split(" · ")
    assert parts[0] == f"request {clean_text(METADATA.request_id, ID_LIMIT)}"
    assert parts[1] == "sandbox"  # not the hosted API, and the vendor says sandbox
    hosted = type(result).from_response(result.model_dump(), METADATA, "https://api.infrai.cc")
    assert (
        _parse(hosted._repr_html_()).select_one("div.infrai-footer").get_text().split(" · ")[1]
        == "hosted"
    )


@pytest.mark.parametrize("name", sorted(CARDS))
def test_no_form_holds_an_escape_or_an_invisible_character(name: str) -> None:
    for form in CARDS[name]:
        assert [char for char in INVISIBLE if char in form] == []


@pytest.mark.parametrize("name", sorted(CARDS))
def test_megabytes_of_server_text_make_a_small_card(name: str) -> None:
    html, markdown, text = CARDS[name]
    assert len(html) < 30_000 and len(markdown) < 15_000 and len(text) < 15_000
    card = _parse(html)
    for node in card.find_all(["dd", "td", "p", "strong", "code"]):
        assert len(node.get_text()) <= 300, node.get_text()[:100]


@pytest.mark.parametrize("name", sorted(_errors()))
def test_the_error_line_under_a_card_is_one_short_clean_line(name: str) -> None:
    line = error_line(_errors()[name])
    assert SECRET_PART not in line and "\n" not in line and len(line) <= 400
    assert [char for char in INVISIBLE if char in line] == []
