"""What drawing a 100-key table costs: the keys card's HTML against escaped plain rows.

The measured call is what Jupyter calls to show ``client.account.keys.list()`` with 100
keys: ``KeyList._repr_html_()`` (cleaning every cell, local dates, the card's layout
and theme). The baseline is the least any safe HTML table of the same data must do:
``html.escape`` of each of the same cells inside bare ``<table><tr><td>`` markup. The
ratio is what the card costs over that floor; the target is ≤ 25, i.e. a few
milliseconds at most for a table far longer than an account has.
"""

from __future__ import annotations

import html
import statistics
from datetime import datetime, timedelta, timezone

from infrai_jupyter.contract import Metadata
from infrai_jupyter.results import KeyList

from .report import Row, Sizes, ratio_row, seconds_per_call

TARGET = 25.0
KEYS = 100
ROUNDS = 10


def key_list() -> KeyList:
    """A sandbox answer listing ``KEYS`` keys, built as the client builds it."""
    created = datetime(2026, 1, 1, tzinfo=timezone.utc)
    items = [
        {
            "key_id": f"key_{number:04d}",
            "label": f"student <{number}> & notebook",
            "scopes": ["account:read", "account:write"],
            "created_at": (created + timedelta(minutes=number)).isoformat(),
            "masked_key": f"ifr_pk_proj_…{number:04d}",
        }
        for number in range(KEYS)
    ]
    metadata = Metadata(request_id="req_benchmark", vendor="infrai-sandbox")
    return KeyList.from_response({"items": items}, metadata, "http://127.0.0.1:8765")


def plain_table(keys: KeyList) -> str:
    """The baseline: the same cells, escaped, in the barest table."""
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(cell)}</td>"
            for cell in (
                key.key_id,
                key.masked_key or "",
                key.label,
                key.created_at.isoformat(),
                ", ".join(key.scopes),
            )
        )
        + "</tr>"
        for key in keys.items
    )
    return f"<table>{rows}</table>"


def measure(sizes: Sizes) -> Row:
    """One row: card ms per render over baseline ms per render."""
    keys = key_list()
    per_round = max(1, sizes.renders // ROUNDS)
    card, plain = [], []
    for _ in range(ROUNDS):
        card.append(seconds_per_call(keys._repr_html_, per_round))
        plain.append(seconds_per_call(lambda: plain_table(keys), per_round))
    card_ms, plain_ms = statistics.median(card) * 1e3, statistics.median(plain) * 1e3
    return ratio_row(
        card_ms / plain_ms,
        TARGET,
        higher_is_better=False,
        card_ms=round(card_ms, 4),
        plain_escape_ms=round(plain_ms, 4),
        keys=KEYS,
        renders=per_round * ROUNDS,
    )
