"""The form's messages as HTML: input problems, failed calls and short notices.

Everything the user or the server supplied is escaped here (or by ``render_html``), so
a hostile return URL or error message shows as text; error cards go through ``CardView``,
so a key the server quoted (in a code or request id) shows masked, as in the magics.
Colours come from JupyterLab's CSS variables, with fallbacks for other front ends, so
light and dark themes both read well.
"""

from __future__ import annotations

from html import escape
from typing import Literal

from .._wire import is_retryable
from ..display import Card, CardField, CardView
from ..errors import APIStatusError, InfraiError

NoticeTone = Literal["info", "warning", "error"]

_TONE_COLOURS: dict[NoticeTone, str] = {
    "info": "var(--jp-ui-font-color1, inherit)",
    "warning": "var(--jp-warn-color0, #b35900)",
    "error": "var(--jp-error-color1, #c62828)",
}


def notice_html(lines: list[str], tone: NoticeTone = "info") -> str:
    """One short block of sentences; ``role="alert"`` so screen readers announce problems."""
    role = ' role="alert"' if tone != "info" else ' role="status"'
    body = "".join(f"<div>{escape(line)}</div>" for line in lines)
    return (
        f'<div class="infrai-form-notice infrai-form-{tone}"{role} '
        f'style="color: {_TONE_COLOURS[tone]}; margin: 4px 0;">{body}</div>'
    )


def problems_html(problems: list[str]) -> str:
    """What is wrong with the input; nothing was sent."""
    return notice_html([*problems, "Nothing was sent: fix the input and click Top up."], "error")


def error_html(error: InfraiError) -> str:
    """A failed call as an error card: what happened, its code and request id, what next."""
    fields: tuple[CardField, ...] = ()
    if isinstance(error, APIStatusError):
        fields = (CardField("Code", f"{error.code} (HTTP {error.status_code})", "code"),)
        if error.request_id:
            fields += (CardField("Request id", error.request_id, "code"),)
    notes = [error.message]
    if isinstance(error, APIStatusError) and error.hint:
        notes.append(error.hint)
    notes.append(
        "Click Top up to try again: a retry of the same amount never creates a second top-up."
        if is_retryable(error)
        else "Change what is named above and click Top up again."
    )
    card = Card(
        kind="topup-error",
        title="The top-up did not go through",
        fields=fields,
        notes=tuple(notes),
        tone="error",
    )
    return CardView(card)._repr_html_()
