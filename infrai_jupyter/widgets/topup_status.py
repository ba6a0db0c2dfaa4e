"""How the form learns that a top-up was paid, on servers with or without its route.

``GET /v1/account/topups/{id}`` is not on the seed's API page: a server that answers
it with 404 or 405 is watched through the balance instead. The balance seen when the
top-up was made is the baseline; once the balance has grown by the top-up's amount,
the top-up is shown as paid. Any other change (a charge meanwhile) only delays that.
"""

from __future__ import annotations

import contextlib
import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from ..errors import APIStatusError, InfraiError
from ..results import TopupRecord

if TYPE_CHECKING:
    from .._client import InfraiClient

logger = logging.getLogger("infrai_jupyter")

_NO_ROUTE = (404, 405)


class TopupStatus:
    """A ``fetch`` for :class:`~.payment_watch.PaymentWatch`: the latest state of one top-up.

    Made right after the top-up is created (before anyone can pay), so the balance it
    reads then is the baseline a server without the top-up route is watched against.
    """

    def __init__(self, client: InfraiClient, record: TopupRecord) -> None:
        self._client = client
        self._record = record
        self._by_balance = False
        self._baseline: Decimal | None = None
        with contextlib.suppress(InfraiError):  # if it fails, the first balance check reads it
            self._baseline = client.account.balance().balance_usd

    @property
    def by_balance(self) -> bool:
        """Whether the server lacks the top-up route, so the balance is watched instead."""
        return self._by_balance

    def __call__(self) -> TopupRecord:
        if not self._by_balance:
            try:
                return self._client.account.topups.retrieve(self._record.topup_id)
            except APIStatusError as error:
                if error.status_code not in _NO_ROUTE:
                    raise
                self._by_balance = True
                logger.info(
                    "The server answered HTTP %d for the top-up's own route; watching the "
                    "balance instead.",
                    error.status_code,
                )
        return self._from_balance()

    def _from_balance(self) -> TopupRecord:
        balance = self._client.account.balance().balance_usd
        if self._baseline is None:
            self._baseline = balance
        if balance - self._baseline >= self._record.amount_usd:
            return self._record.model_copy(update={"state": "succeeded"})
        return self._record
