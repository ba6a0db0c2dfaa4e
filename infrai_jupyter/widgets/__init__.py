"""The top-up form (ipywidgets); imported at first use, so ``%load_ext`` stays cheap."""

from __future__ import annotations

from .topup_form import TopupForm

__all__ = ["TopupForm"]
