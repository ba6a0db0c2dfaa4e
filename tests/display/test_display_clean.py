"""What a server string looks like once it reaches a card: one honest, bounded line."""

from __future__ import annotations

import pytest

from infrai_jupyter.display import Card, CardField, CardFooter, CardTable, render_text
from infrai_jupyter.display.clean import ID_LIMIT, INVISIBLE_MARK, MESSAGE_LIMIT, clean_text

KEY = "ifr_pk_proj_" + "S3cr3t" * 6 + "a1b2"
SECRET = KEY.removeprefix("ifr_pk_proj_")[:-4]

BIDI_AND_INVISIBLE = [
    *(chr(code) for code in range(0x202A, 0x202F)),  # LRE RLE PDF LRO RLO
    *(chr(code) for code in range(0x2066, 0x206A)),  # LRI RLI FSI PDI
    "\u200b",  # zero-width space
    "\u200e",  # left-to-right mark
    "\ufeff",  # byte order mark
    "\x00",
    "\x07",  # bell
    "\x7f",
    "\ud800",  # a lone surrogate, as a JSON "\ud800" escape decodes
]


@pytest.mark.parametrize("char", BIDI_AND_INVISIBLE, ids=lambda char: f"U+{ord(char):04X}")
def test_an_invisible_character_is_shown_as_a_visible_mark(char: str) -> None:
    assert clean_text(f"invoice{char}exe.txt") == f"invoice{INVISIBLE_MARK}exe.txt"


@pytest.mark.parametrize(
    "escaped",
    [
        "\x1b[31mred\x1b[0m",  # colour
        "\x1b[2J\x1b[Hred",  # clear the screen, cursor home
        "\x1b]0;pwned\x07red",  # set the terminal title (OSC ... BEL)
        "\x1b]8;;https://evil.example\x1b\\red\x1b]8;;\x1b\\",  # a hidden hyperlink
        "\x9b31mred",  # the 8-bit CSI
    ],
)
def test_terminal_escape_sequences_are_removed_whole(escaped: str) -> None:
    assert clean_text(escaped) == "red"


def test_line_breaks_and_tabs_become_spaces() -> None:
    assert clean_text("one\ntwo\r\nthree\tfour\u00a0five") == "one two  three four five"


def test_long_text_is_capped_with_an_ellipsis() -> None:
    shown = clean_text("x" * 6_000_000)
    assert len(shown) == MESSAGE_LIMIT and shown.endswith("…")
    assert clean_text("y" * 1000, ID_LIMIT) == "y" * (ID_LIMIT - 1) + "…"
    assert clean_text("short") == "short"


def test_a_key_is_masked_before_the_cut_so_no_part_of_it_survives() -> None:
    for padding in range(0, 90, 7):  # the cut falls before, inside and after the key
        shown = clean_text("p" * padding + KEY + " and more", ID_LIMIT)
        assert SECRET[:4] not in shown


def test_a_key_split_by_escape_codes_is_still_masked() -> None:
    split = KEY[:20] + "\x1b[0m" + KEY[20:]
    assert clean_text(split) == "ifr_pk_proj_…a1b2"


def test_cleaning_twice_changes_nothing() -> None:
    once = clean_text("\x1b[1m" + "z\u202e" * 400 + KEY)
    assert clean_text(once) == once


def test_every_slot_of_a_card_is_cleaned_by_the_renderer() -> None:
    dirty = "\x1b[31m" + "\u202e" + KEY + "w" * 1000
    card = Card(
        kind="x",
        title=dirty,
        hero=dirty,
        hero_caption=dirty,
        fields=(CardField(dirty, dirty), CardField(dirty, dirty, "code")),
        table=CardTable((dirty,), ((dirty,),), dirty),
        notes=(dirty,),
        commands=(dirty,),
        footer=CardFooter(dirty, dirty, dirty),
    )
    text = render_text(card)
    assert "\x1b" not in text and "\u202e" not in text and SECRET not in text
    longest_line = max(text.splitlines(), key=len)
    assert len(longest_line) < 4 * MESSAGE_LIMIT  # the footer joins three capped parts


def test_a_huge_table_shows_its_first_rows_and_says_how_many_there_are() -> None:
    rows = tuple((f"key_{index}", "label") for index in range(100_000))
    card = Card(kind="keys", title="Keys", table=CardTable(("Key id", "Label"), rows))
    text = render_text(card)
    listed = [line.split()[0] for line in text.splitlines() if line.startswith("key_")]
    assert listed == [f"key_{index}" for index in range(100)]
    assert text.endswith("Showing the first 100 of 100000 rows.")
    assert len(text) < 10_000


@pytest.mark.parametrize(("latency", "shown"), [(12, " · 12 ms"), (-5, ""), (10**30, "")])
def test_only_a_sensible_latency_is_shown(latency: int, shown: str) -> None:
    card = Card(
        kind="x", title="T", footer=CardFooter("sandbox", "http://127.0.0.1:1", "", latency)
    )
    assert render_text(card) == "T\n\nsandbox · http://127.0.0.1:1" + shown


@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\x00"], ids=lambda c: f"U+{ord(c):04X}")
def test_a_key_split_by_an_invisible_character_is_still_masked_whole(char: str) -> None:
    split = KEY[:20] + char + KEY[20:]
    shown = render_text(Card(kind="error", title="Oops", notes=(f"your key: {split}",)))
    assert SECRET[8:] not in shown and SECRET[:8] not in shown
    assert "ifr_pk_proj_…a1b2" in shown
