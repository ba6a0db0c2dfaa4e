"""The form's messages as HTML: input problems, failed calls and short notices.

A failed call is the same error card the magics show (:func:`~infrai_jupyter.display.error_card`),
with the form's own next step. Every line of a notice is cleaned (keys masked, escapes and
invisible characters neutralised, length capped) and then escaped, so a hostile return URL
or error message shows as text. Colours come from JupyterLab's CSS variables, with
fallbacks for other front ends, so light and dark themes both read well.
"""

from __future__ import annotations

from html import escape
from typing import Literal

from ..display import clean_text, error_card, origin_of, render_html
from ..errors import InfraiError

NoticeTone = Literal["info", "warning", "error"]

_TONE_COLOURS: dict[NoticeTone, str] = {
    "info": "var(--jp-ui-font-color1, inherit)",
    "warning": "var(--jp-warn-color0, #b35900)",
    "error": "var(--jp-error-color1, #c62828)",
}


def notice_html(lines: list[str], tone: NoticeTone = "info") -> str:
    """One short block of sentences; ``role="alert"`` so screen readers announce problems."""
    role = ' role="alert"' if tone != "info" else ' role="status"'
    body = "".join(f"<div>{escape(clean_text(line))}</div>" for line in lines)
    return (
        f'<div class="infrai-form-notice infrai-form-{tone}"{role} '
        f'style="color: {_TONE_COLOURS[tone]}; margin: 4px 0;">{body}</div>'
    )


def problems_html(problems: list[str]) -> str:
    """What is wrong with the input; nothing was sent."""
    return notice_html([*problems, "Nothing was sent: fix the input and click Top up."], "error")


def error_html(error: InfraiError, base_url: str) -> str:
    """A failed call as the error card, with what to click next."""
    card = error_card(
        error,
        base_url=base_url,
        origin=origin_of(base_url, getattr(error, "vendor", "")),
        retry_step=(
            "Click Top up to try again: a retry of the same amount never creates a second top-up."
        ),
        fix_step="Change what is named above and click Top up again.",
    )
    return render_html(card)
