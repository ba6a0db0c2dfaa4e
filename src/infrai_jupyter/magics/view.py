"""``CardView``: a card that is not a result (errors, the session summary) made displayable."""

from __future__ import annotations

from typing import Any

from ..display import Card, render_markdown, render_text


class CardView:
    """Shows a :class:`~infrai_jupyter.display.Card` as HTML, Markdown or text."""

    def __init__(self, card: Card) -> None:
        from ..results import redact

        self.card = redact(card)  # server text (an error message) may quote a key

    def __repr__(self) -> str:
        return render_text(self.card)

    def _repr_html_(self) -> str:
        from ..results import card_html

        return card_html(self.card)

    def _repr_markdown_(self) -> str:
        return render_markdown(self.card)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(render_text(self.card))
