"""``client.account`` and its parts, as a sync and an async twin per area.

Each method names its route, shapes the body and names the result it returns
(``cast_to``); the client's request loop does the rest. Resources see the client
only through :mod:`~infrai_jupyter._requester`'s protocols.
"""

from __future__ import annotations

from decimal import Decimal

from ._requester import AsyncRequester, Requester
from .contract import AmountError, parse_amount
from .display import amount_message
from .errors import InvalidAmountError
from .results import AccountSummary, Balance, KeyList, TopupList, TopupRecord


class Account:
    """``client.account``: balance, top-ups, keys and tier."""

    def __init__(self, client: Requester) -> None:
        self._client = client
        self.keys = Keys(client)
        self.tier = Tier(client)
        self.topups = Topups(client)

    def balance(self) -> Balance:
        """The wallet balance: ``{balance_usd, currency}``."""
        return self._client._call("account.balance", Balance)

    def topup(
        self,
        *,
        amount_usd: Decimal | float | str,
        return_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> TopupRecord:
        """Start a top-up; open ``checkout_url`` to pay. Retries never create a second one.

        ``amount_usd`` is read exactly (``25``, ``"9.99"``, ``Decimal("25.00")``); an amount
        the API refuses (not a number, fractions of a cent, outside $0.01..$10,000) raises
        :class:`~infrai_jupyter.errors.InvalidAmountError` (an ``InfraiError`` and a
        ``ValueError``) before anything is sent: the check and words of the magic and form.
        """
        body = {"amount_usd": _amount(amount_usd), "return_url": return_url}
        return self._client._call(
            "account.topup", TopupRecord, body, idempotency_key=idempotency_key
        )


def _amount(value: Decimal | float | str) -> Decimal:
    try:
        return parse_amount(value)
    except AmountError as exc:
        raise InvalidAmountError(amount_message(exc), exc.reason, exc.params) from None


class Keys:
    """``client.account.keys``."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    def list(self) -> KeyList:
        """The account's project keys: ``{items: [{key_id, label, scopes, created_at}]}``."""
        return self._client._call("account.keys.list", KeyList)


class Tier:
    """``client.account.tier``."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    def upgrade(self, target_tier: str, *, idempotency_key: str | None = None) -> AccountSummary:
        """Move to ``target_tier``; raises ``InsufficientCreditError`` when funds are short.

        ``upgrade("pro")`` as the TypeScript signature reads, or ``upgrade(target_tier="pro")``.
        """
        body = {"target_tier": target_tier}
        return self._client._call(
            "account.tier.upgrade", AccountSummary, body, idempotency_key=idempotency_key
        )


class Topups:
    """``client.account.topups``: follow a top-up after its checkout link was opened."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    def list(self) -> TopupList:
        """The account's top-ups, newest first."""
        return self._client._call("account.topups.list", TopupList)

    def retrieve(self, topup_id: str) -> TopupRecord:
        """One top-up by its id, e.g. to see whether it was paid."""
        return self._client._call(
            "account.topups.retrieve", TopupRecord, path_params={"topup_id": topup_id}
        )


class AsyncAccount:
    """``client.account`` of :class:`AsyncInfraiClient`."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client
        self.keys = AsyncKeys(client)
        self.tier = AsyncTier(client)
        self.topups = AsyncTopups(client)

    async def balance(self) -> Balance:
        """The wallet balance: ``{balance_usd, currency}``."""
        return await self._client._call("account.balance", Balance)

    async def topup(
        self,
        *,
        amount_usd: Decimal | float | str,
        return_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> TopupRecord:
        """Start a top-up; open ``checkout_url`` to pay. Retries never create a second one.

        ``amount_usd`` is read exactly (``25``, ``"9.99"``, ``Decimal("25.00")``); an amount
        the API refuses (not a number, fractions of a cent, outside $0.01..$10,000) raises
        :class:`~infrai_jupyter.errors.InvalidAmountError` (an ``InfraiError`` and a
        ``ValueError``) before anything is sent: the check and words of the magic and form.
        """
        body = {"amount_usd": _amount(amount_usd), "return_url": return_url}
        return await self._client._call(
            "account.topup", TopupRecord, body, idempotency_key=idempotency_key
        )


class AsyncKeys:
    """``client.account.keys`` of :class:`AsyncInfraiClient`."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client

    async def list(self) -> KeyList:
        """The account's project keys: ``{items: [{key_id, label, scopes, created_at}]}``."""
        return await self._client._call("account.keys.list", KeyList)


class AsyncTier:
    """``client.account.tier`` of :class:`AsyncInfraiClient`."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client

    async def upgrade(
        self, target_tier: str, *, idempotency_key: str | None = None
    ) -> AccountSummary:
        """Move to ``target_tier``; raises ``InsufficientCreditError`` when funds are short."""
        body = {"target_tier": target_tier}
        return await self._client._call(
            "account.tier.upgrade", AccountSummary, body, idempotency_key=idempotency_key
        )


class AsyncTopups:
    """``client.account.topups`` of :class:`AsyncInfraiClient`."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client

    async def list(self) -> TopupList:
        """The account's top-ups, newest first."""
        return await self._client._call("account.topups.list", TopupList)

    async def retrieve(self, topup_id: str) -> TopupRecord:
        """One top-up by its id, e.g. to see whether it was paid."""
        return await self._client._call(
            "account.topups.retrieve", TopupRecord, path_params={"topup_id": topup_id}
        )
