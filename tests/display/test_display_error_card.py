"""The one error card (magics and form alike), read as a user reads it: parsed HTML and text."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag

from infrai_jupyter.display import error_card, error_line, missing_credit, render_html, render_text
from infrai_jupyter.errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    InfraiError,
    InsufficientCreditError,
    InvalidRequestError,
    MalformedResponseError,
    RateLimitError,
    ServerError,
)

KEY = "ifr_pk_proj_" + "EchoedEchoed" * 3 + "a1b2"
SECRET = KEY.removeprefix("ifr_pk_proj_")[:-4]
BASE_URL = "http://127.0.0.1:8765"
RETRY = "Click Top up to try again."
FIX = "Change what is named above."


def status_error(cls: type[APIStatusError], status: int, **overrides: Any) -> APIStatusError:
    arguments: dict[str, Any] = {
        "status_code": status,
        "code": "SOME_CODE",
        "details": {},
        "request_id": "req-1",
        "vendor": "sandbox",
    }
    arguments.update(overrides)
    message = arguments.pop("message", "The server said no.")
    return cls(message, **arguments)


def parse(error: InfraiError, **options: Any) -> Tag:
    options.setdefault("base_url", BASE_URL)
    options.setdefault("origin", "sandbox")
    html = render_html(error_card(error, **options))
    card = BeautifulSoup(html, "html.parser").select_one("div.infrai-card")
    assert card is not None
    return card


def fields(card: Tag) -> dict[str, str]:
    return {
        dt.get_text(): dd.get_text()
        for dt, dd in zip(card.select("dl dt"), card.select("dl dd"), strict=True)
    }


def notes(card: Tag) -> list[str]:
    return [p.get_text() for p in card.select("div.infrai-notes p")]


def title(card: Tag) -> str:
    found = card.select_one("strong.infrai-title")
    assert found is not None
    return found.get_text()


def test_a_status_error_shows_message_code_and_request_id() -> None:
    card = parse(status_error(InvalidRequestError, 422, code="VALIDATION_ERROR"))
    assert title(card) == "Invalid request"
    assert fields(card) == {"Message": "The server said no.", "Code": "VALIDATION_ERROR (HTTP 422)"}
    footer = card.select_one("div.infrai-footer")
    assert footer is not None
    assert footer.get_text() == f"request req-1 · sandbox · {BASE_URL}"
    assert "infrai-tone-error" in card["class"]


def test_the_error_s_own_hint_is_the_next_step() -> None:
    error = status_error(AuthenticationError, 401)
    assert error.hint and notes(parse(error)) == [error.hint]


def test_the_caller_s_commands_are_shown_as_code() -> None:
    card = parse(status_error(AuthenticationError, 401), commands=["%infrai_activate", "%infrai"])
    commands = card.select_one("pre.infrai-commands")
    assert commands is not None and commands.get_text() == "%infrai_activate\n%infrai"


@pytest.mark.parametrize(
    ("error", "step"),
    [
        (status_error(ServerError, 503), RETRY),
        (status_error(RateLimitError, 429), RETRY),
        (APIConnectionError("Could not reach it."), RETRY),
        (status_error(InvalidRequestError, 422), FIX),
        (status_error(InsufficientCreditError, 402), FIX),
    ],
    ids=["503", "429", "refused", "422", "402"],
)
def test_the_step_depends_on_whether_trying_again_can_help(error: InfraiError, step: str) -> None:
    assert notes(parse(error, retry_step=RETRY, fix_step=FIX))[-1] == step


def test_a_malformed_answer_names_its_status_and_content_type() -> None:
    error = MalformedResponseError(
        "not JSON", status_code=502, content_type="text/html", method="GET", url=BASE_URL
    )
    card = parse(error)
    assert title(card) == "That server is not the infrai API"
    assert fields(card)["Answer"] == "HTTP 502 text/html"


def test_rate_limit_says_how_long_to_wait() -> None:
    card = parse(status_error(RateLimitError, 429, retry_after=12.4))
    assert "Wait about 13 s" in notes(card)[0]


# --- 402 details are untrusted ------------------------------------------------------------


def test_402_shows_the_amounts_it_was_given() -> None:
    details = {"missing_usd": "18", "required_usd": 20, "balance_usd": "2.00"}
    error = status_error(InsufficientCreditError, 402, details=details)
    assert missing_credit(error) == Decimal("18.00")
    shown = fields(parse(error))
    assert (shown["Missing"], shown["Required"], shown["Balance"]) == ("$18.00", "$20.00", "$2.00")


@pytest.mark.parametrize(
    "bad",
    ["abc", {}, [], None, True, math.nan, math.inf, "NaN", "1e999", 1e999, -5, "-5", "9.999"],
    ids=repr,
)
def test_402_ignores_a_detail_that_is_not_an_amount(bad: Any) -> None:
    details = {"missing_usd": bad, "required_usd": bad, "balance_usd": bad}
    error = status_error(InsufficientCreditError, 402, details=details)
    assert missing_credit(error) is None
    card = parse(error, commands=["%infrai_topup 25"])
    assert set(fields(card)) == {"Message", "Code"}
    assert not re.search(r"\b(nan|inf|infinity)\b|\$-", card.get_text(), re.IGNORECASE)


def test_402_with_nothing_missing_suggests_no_amount_but_shows_a_zero_balance() -> None:
    details = {"missing_usd": "0", "balance_usd": "0"}
    error = status_error(InsufficientCreditError, 402, details=details)
    assert missing_credit(error) is None
    assert fields(parse(error))["Balance"] == "$0.00"


def test_402_details_that_are_not_a_mapping_are_ignored() -> None:
    error = status_error(InsufficientCreditError, 402)
    error.details = ["missing_usd", "18"]  # type: ignore[assignment]
    assert missing_credit(error) is None
    assert set(fields(parse(error))) == {"Message", "Code"}


# --- what the server controls --------------------------------------------------------------


def test_a_key_echoed_in_any_field_is_masked_everywhere() -> None:
    error = status_error(
        AuthenticationError,
        401,
        message=f"Key {KEY} is revoked",
        code=f"BAD_KEY_{KEY}",
        request_id=KEY,
        details={"key": KEY},
    )
    html = render_html(error_card(error, base_url=BASE_URL, origin="custom"))
    text = render_text(error_card(error, base_url=BASE_URL, origin="custom"))
    for shown in (html, text, error_line(error)):
        assert SECRET not in shown
        assert "ifr_pk_proj_…a1b2" in shown


def test_a_huge_message_and_code_make_a_small_card() -> None:
    error = status_error(ServerError, 500, message="m" * 6_000_000, code="C" * 100_000)
    html = render_html(error_card(error, base_url=BASE_URL, origin="custom"))
    assert len(html) < 20_000
    shown = fields(BeautifulSoup(html, "html.parser"))
    assert shown["Message"].endswith("…") and len(shown["Message"]) == 300
    assert shown["Code"] == "C" * 79 + "… (HTTP 500)"


def test_bidi_overrides_and_escapes_in_the_message_are_neutralised() -> None:
    error = status_error(ServerError, 500, message="\x1b[2JPay \u202eexe.txt", code="X\u2066Y")
    card = parse(error)
    visible = card.get_text()
    assert "\x1b" not in visible and "\u202e" not in visible and "\u2066" not in visible
    # Marked or dropped (the error may clean it first): either way it reads in order.
    assert fields(card)["Message"].replace("\N{REPLACEMENT CHARACTER}", "") == "Pay exe.txt"


def test_the_one_line_is_one_short_clean_line() -> None:
    error = status_error(
        ServerError, 500, message="line one\nline two \x1b[31m" + "x" * 5000, code=f"E_{KEY}"
    )
    line = error_line(error)
    assert "\n" not in line and "\x1b" not in line and SECRET not in line
    # It names the failure and points at the card; the message is said once, in the card.
    assert line == "E_ifr_pk_proj_…a1b2: The server failed (the card above says what to do)"
