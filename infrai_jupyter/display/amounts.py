"""A refused amount, said in the user's language.

The contract's :func:`~infrai_jupyter.contract.parse_amount` speaks English only (the
sandbox shares it and must not reach the catalogues); its ``AmountError`` carries a
stable ``reason`` and the ``params`` its sentence quotes, and this is where that
becomes a sentence the user reads: in the magic's card, the client's
``InvalidAmountError`` and the form's field error alike.
"""

from __future__ import annotations

from .._i18n import N_, gettext
from ..contract.money import AmountError, AmountReason

_MESSAGES: dict[AmountReason, str] = {
    "not_a_number_type": N_("An amount must be a number of dollars such as 25, not {value}."),
    "empty": N_("Enter an amount in dollars, such as 25."),
    "not_a_number": N_("{value} is not a number of dollars; enter one such as 25 or 9.99."),
    "not_finite": N_("{value} is not an amount of dollars; enter a number such as 25."),
    "below_minimum": N_("The amount must be at least {minimum}."),
    "above_maximum": N_("The amount can be at most {maximum}."),
    "too_large": N_("{value} is too large an amount of dollars."),
    "fraction_of_cent": N_("Use at most 2 decimals (whole cents), such as 9.99."),
}


def amount_message(error: AmountError) -> str:
    """Why the amount was refused and what to type instead, in the current language."""
    template = _MESSAGES.get(error.reason)
    if template is None:  # a reason this version does not know: the contract's own words
        return str(error)
    try:
        return gettext(template).format(**error.params)
    except (KeyError, IndexError):
        return str(error)
