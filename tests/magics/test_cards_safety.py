"""Every card a magic can show, built from hostile data, parsed as a browser would parse it.

Results are built with ``Result.from_response`` exactly as the client builds them,
with markup, quotes, ``javascript:`` URLs and a full project key in every string
the server controls. The HTML is parsed with BeautifulSoup, never grepped: the
proof is that no element or attribute was injected and the hostile text survives
as text.
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
from infrai_jupyter.credentials import ResolvedConfig
from infrai_jupyter.display import Card, is_safe_link
from infrai_jupyter.errors import (
    APIConnectionError,
    AuthenticationError,
    InfraiError,
    InsufficientCreditError,
    MalformedResponseError,
)
from infrai_jupyter.magics.errors import error_card, one_line
from infrai_jupyter.magics.session import sandbox_card, session_card
from infrai_jupyter.results import (
    RESULT_MIME_TYPE,
    AccountSummary,
    ActivateResult,
    Balance,
    CardView,
    KeyList,
    Result,
    TopupList,
    TopupRecord,
)

INJECTION = '<script>alert(1)</script><img src=x onerror="alert(2)">"\'><b onclick=x>'
JAVASCRIPT_URL = "javascript:alert(document.cookie)"
FULL_KEY = "ifr_pk_proj_SECRETsecretSECRETsecret1234"
SECRET_PART = "SECRETsecretSECRETsecret"
BASE_URL = 'http://127.0.0.1:9/"><script>alert(3)</script>'
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
        "notice": f"{INJECTION} {FULL_KEY}",
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
        "label": INJECTION,
        "scopes": [INJECTION, "account:read"],
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
        "code": f"CODE{INJECTION}",
        "details": {"missing_usd": "18"},
        "request_id": f"req-{INJECTION}",
        "method": "GET",
        "url": BASE_URL,
    }
    return {
        "401": AuthenticationError(f"{INJECTION} key {FULL_KEY}", status_code=401, **status),
        "402": InsufficientCreditError(INJECTION, status_code=402, **status),
        "refused": APIConnectionError(INJECTION, method="GET", url=BASE_URL),
        "malformed": MalformedResponseError(
            INJECTION, status_code=502, content_type=INJECTION, method="GET", url=BASE_URL
        ),
    }


def _error_card(error: InfraiError) -> Card:
    return error_card(error, BASE_URL, origin=INJECTION, topup_command=f"%infrai_topup {INJECTION}")


def _all_cards() -> dict[str, tuple[str, str, str]]:
    """Name -> (HTML, Markdown, text) of every card a magic can show."""
    shown: dict[str, tuple[str, str, str]] = {}
    for name, build in RESULTS.items():
        result = build()
        shown[name] = (result._repr_html_(), result._repr_markdown_(), pretty(result))
    views = {f"error-{name}": CardView(_error_card(e)) for name, e in _errors().items()}
    config = ResolvedConfig(FULL_KEY, INJECTION, BASE_URL, INJECTION)
    views["session"] = CardView(session_card(config, BASE_URL))
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
    assert parts[0] == f"request {METADATA.request_id}"
    assert parts[1] == "sandbox"  # not the hosted API, and the vendor says sandbox
    hosted = type(result).from_response(result.model_dump(), METADATA, "https://api.infrai.cc")
    assert (
        _parse(hosted._repr_html_()).select_one("div.infrai-footer").get_text().split(" · ")[1]
        == "hosted"
    )


def test_the_error_line_under_a_card_masks_keys_and_stays_one_line() -> None:
    line = one_line(_errors()["401"])
    assert SECRET_PART not in line and "\n" not in line
