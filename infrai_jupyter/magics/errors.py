"""How a failing magic fails the cell: one line under the error card, not a stack of frames.

A failing magic shows the error card (:func:`~infrai_jupyter.display.error_card`) and
then raises :class:`InfraiCellError`: the cell still fails (so "Run All" stops), but the
user reads a card and one clean line (:func:`~infrai_jupyter.display.error_line`).
"""

from __future__ import annotations


class InfraiCellError(Exception):
    """Fails the cell with one line; the error card above it says the rest."""

    def _render_traceback_(self) -> list[str]:
        return [f"InfraiCellError: {self}"]
