"""A refused amount, said in the user's language.

The contract's :func:`~infrai_jupyter.contract.parse_amount` speaks English only (the
sandbox shares it and must not reach the catalogues); its ``AmountError`` carries a
stable ``reason`` and the ``params`` its sentence quotes, and this is where that
becomes a sentence the user reads: in the magic's card, the client's
``InvalidAmountError`` and the form's field error alike.
"""

from __future__ import annotations

from .._i18n import gettext
from ..contract.money import AMOUNT_MESSAGES, AmountError


def amount_message(error: AmountError) -> str:
    """Why the amount was refused and what to type instead, in the current language."""
    template = AMOUNT_MESSAGES.get(error.reason)
    if template is None:  # a reason this version does not know: the contract's own words
        return str(error)
    try:
        return gettext(template).format(**error.params)
    except (KeyError, IndexError):
        return str(error)
