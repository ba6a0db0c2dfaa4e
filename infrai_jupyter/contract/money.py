"""Money on the wire: exact ``Decimal`` in Python, a plain JSON number on the wire.

Dollars never pass through binary floats inside the package. JSON has no decimal
type, so a serialized amount is the float whose shortest repr is the two-decimal
value (``19.99`` stays ``19.99``); readers parse it back with ``parse_float=Decimal``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer

CENT = Decimal("0.01")


def dollars(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as an exact dollar amount rounded to whole cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def _as_json_number(value: Decimal) -> float:
    # A two-decimal amount below 2**53 cents survives the float repr exactly.
    return float(value)


Money = Annotated[
    Decimal,
    AfterValidator(dollars),
    PlainSerializer(_as_json_number, return_type=float, when_used="json"),
]
"""A dollar amount: ``Decimal`` in Python, a JSON number with at most two decimals."""
