"""The form's messages as HTML: a field's problem, failed calls, short notices, the frame.

A failed call is the same error card the magics show (:func:`~infrai_jupyter.display.error_card`),
with the form's own next step. Every line of a notice is cleaned (keys masked, escapes and
invisible characters neutralised, length capped) and then escaped, so a hostile return URL
or error message shows as text. Colours come from the form's stylesheet
(:data:`~infrai_jupyter.display.theme.FORM_CSS`), so light and dark themes both read well.

Problems and failures carry ``role="alert"``, results ``role="status"``: ipywidgets
replaces an HTML widget's content whole, so each message arrives as a new live element
that screen readers announce.

Every sentence here is translated when the HTML is made, in the session's language.
"""

from __future__ import annotations

from html import escape
from typing import Literal

from .._i18n import gettext
from ..display import clean_text, error_card, not_signed_in_card, origin_of, render_html
from ..display.theme import FORM_CSS
from ..errors import APIConnectionError, InfraiError

NoticeTone = Literal["info", "warning", "error"]

STYLE_HTML = f"<style>{FORM_CSS}</style>"


def header_html() -> str:
    """The form's heading and what to do, in the current language."""
    title = escape(gettext("Add funds"))
    how = escape(
        gettext(
            "Pick an amount, click Top up, then pay on the checkout page; "
            "the new balance appears here."
        )
    )
    return f'<div class="infrai-form-header"><strong>{title}</strong><span>{how}</span></div>'


def notice_html(lines: list[str], tone: NoticeTone = "info") -> str:
    """One short block of sentences; ``role="alert"`` so screen readers announce problems."""
    role = "alert" if tone != "info" else "status"
    body = "".join(f"<div>{escape(clean_text(line))}</div>" for line in lines)
    return f'<div class="infrai-form-notice infrai-form-{tone}" role="{role}">{body}</div>'


def field_error_html(problem: str) -> str:
    """The one line under a field that is wrong; nothing was sent."""
    return (
        f'<div class="infrai-field-error" role="alert">'
        f'<span aria-hidden="true">⚠ </span>{escape(clean_text(problem))}</div>'
    )


def invalid_label(label: str, problem: str) -> str:
    """A field's label carrying its problem for screen readers (visually hidden).

    The label is the input's accessible name (ipywidgets links them with ``for``), and
    no attribute of the input itself can be set from Python: this is how the field
    says it is invalid, and why, when it is focused.
    """
    said = gettext("(invalid: {problem})").format(problem=clean_text(problem))
    return f'{escape(label)}<span class="infrai-sr-only"> {escape(said)}</span>'


def result_html(html: str) -> str:
    """Results (the top-up card, the new balance) as a polite live region."""
    return f'<div role="status" aria-live="polite">{html}</div>'


def not_signed_in_html(base_url: str) -> str:
    """No key yet: say so once, send nothing; after activating, Top up works in this form."""
    card = not_signed_in_card(
        base_url=base_url,
        origin=origin_of(base_url, ""),
        commands=("%infrai_activate", "%infrai_login"),
    )
    return f'<div role="alert">{render_html(card)}</div>'


def error_html(error: InfraiError, base_url: str) -> str:
    """A failed call as the error card, with what to click next."""
    gone = isinstance(error, APIConnectionError)
    card = error_card(
        error,
        base_url=base_url,
        origin=origin_of(base_url, getattr(error, "vendor", "")),
        retry_step=(
            gettext(
                "If the sandbox was stopped or the kernel restarted, this form's server is "
                "gone: run %infrai_topup again for a fresh form."
            )
            if gone
            else gettext(
                "Click Top up to try again: a retry of the same amount never creates a "
                "second top-up."
            )
        ),
        fix_step=gettext("Change what is named above and click Top up again."),
    )
    return f'<div role="alert">{render_html(card)}</div>'
