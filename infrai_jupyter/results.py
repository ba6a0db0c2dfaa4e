"""Result objects: the contract's models plus data access and rich reprs.

A result reads like the seed's dictionaries (``.get``, ``[name]``, ``in``) and like
an object (attributes), carries the call's ``metadata``, and draws itself as a card
in Jupyter. Keys inside results are :class:`~infrai_jupyter.credentials.ApiKey`,
so no repr can show one in full.

Cards speak the session's language (:mod:`._i18n`): each is built when it is drawn,
so a result made before ``%config InfraiMagics.language`` changed draws in the new one.
Money keeps one format in every language (``$1,234.50``); dates are in the kernel's
local time zone, which the column heading names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, PrivateAttr
from typing_extensions import Self

from . import contract
from ._i18n import N_, gettext, pgettext
from .contract import HOSTED_BASE_URL, PROJECT_KEY_PREFIX, ApiKey, Metadata, mask_key
from .contract.keys import check_key
from .display import (
    Card,
    CardField,
    CardFooter,
    CardLink,
    CardTable,
    CardView,
    Tone,
    format_usd,
    origin_of,
    redact,
)

__all__ = [
    "AccountSummary",
    "ActivateResult",
    "Balance",
    "KeyInfo",
    "KeyList",
    "Record",
    "Result",
    "TopupItem",
    "TopupList",
    "TopupRecord",
]


RESULT_MIME_TYPE = "application/vnd.infrai.result+json"
"""The MIME type that carries a result's data (keys masked) in notebook outputs."""


def _checked_key(value: object) -> object:
    """A well-formed key, or a masked one (a replay withholds the key): nothing else."""
    if not isinstance(value, str) or is_withheld_key(value):
        return value
    return check_key(value)


def is_withheld_key(key: str) -> bool:
    """Whether ``key`` is a masked stand-in (``ifr_pk_proj_…a1b2``), not a usable key."""
    return key.startswith(PROJECT_KEY_PREFIX) and mask_key(key) == key


class Record(BaseModel):
    """Read like the seed's dictionaries: ``.get(name)``, ``[name]`` and ``in``."""

    def __repr__(self) -> str:
        return redact(super().__repr__())

    def __str__(self) -> str:
        return redact(super().__str__())

    def to_dict(self) -> dict[str, Any]:
        """The data as plain Python values (money as ``Decimal``, keys as ``ApiKey``)."""
        return self.model_dump()

    def get(self, name: str, default: Any = None) -> Any:
        """``result.get("balance_usd")``, as the seed examples read results."""
        try:
            return self[name]
        except KeyError:
            return default

    def __getitem__(self, name: str) -> Any:
        if name in self.__class__.model_fields:
            return getattr(self, name)
        extra = self.__pydantic_extra__ or {}
        if name in extra:
            return extra[name]
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return name in self.__class__.model_fields or name in (self.__pydantic_extra__ or {})


class Result(Record):
    """A call's result: a record plus its ``metadata``, ``ok`` and rich reprs."""

    _metadata: Metadata = PrivateAttr(default_factory=Metadata)
    _base_url: str = PrivateAttr(default=HOSTED_BASE_URL)

    @classmethod
    def from_response(cls, data: dict[str, Any], metadata: Metadata, base_url: str) -> Self:
        """Build the result of one call from the envelope's ``data`` and ``metadata``."""
        result = cls.model_validate(data)
        result._metadata = metadata
        result._base_url = base_url
        return result

    @property
    def ok(self) -> bool:
        """Always true: a failed call raises a typed error instead of returning."""
        return True

    @property
    def metadata(self) -> Metadata:
        """Cost, latency, vendor, cache hit and request id of the call."""
        return self._metadata

    @property
    def origin(self) -> str:
        """``"hosted"``, ``"sandbox"`` or ``"custom"``: where this result came from."""
        return origin_of(self._base_url, self._metadata.vendor)

    def __getitem__(self, name: str) -> Any:
        # The hosted conventions page reads a call's metadata as result["_metadata"].
        if name == "_metadata":
            return self._metadata.model_dump()
        return super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        return name == "_metadata" or super().__contains__(name)

    def card(self) -> Card:
        """The card that draws this result; each result type says what matters most."""
        raise NotImplementedError

    def _footer(self) -> CardFooter:
        return CardFooter(
            origin=self.origin,
            base_url=self._base_url,
            request_id=self._metadata.request_id,
            latency_ms=self._metadata.latency_ms,
        )

    def _repr_html_(self) -> str:
        return CardView(self.card())._repr_html_()

    def _repr_markdown_(self) -> str:
        return CardView(self.card())._repr_markdown_()

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> dict[str, dict[str, Any]]:
        # The data travels under a vendor type: with plain application/json, JupyterLab's
        # JSON viewer (rank 0) would win over the HTML card (rank 50).
        data = {**self.model_dump(mode="json"), "_metadata": self._metadata.model_dump(mode="json")}
        return {RESULT_MIME_TYPE: redact(data)}

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self) if cycle else repr(CardView(self.card())))


class ActivateResult(Result, contract.ActivateResult):
    """A new anonymous account; ``primary_api_key`` is masked in every repr.

    The key passes :func:`~infrai_jupyter.contract.keys.check_key` as it arrives: a
    server cannot hand the client a key that would break (or smuggle into) a header.
    A replayed activation may withhold it (masked, with a ``notice`` saying why).
    """

    primary_api_key: Annotated[ApiKey, BeforeValidator(_checked_key)]  # type: ignore[assignment]
    _requested_region: str | None = PrivateAttr(default=None)

    def requested(self, region: str) -> Self:
        """Remember the region the activation asked for: the card shows it when the
        server's answer names none (the client calls this; data still flows one way)."""
        self._requested_region = region
        return self

    @property
    def shown_region(self) -> str:
        """The region the server named, else the one that was asked for, else ``auto``."""
        if "region" in self.model_fields_set or self._requested_region is None:
            return self.region
        return self._requested_region

    @property
    def currency(self) -> str:
        """The currency amounts are in: USD unless the server's answer says otherwise."""
        currency = (self.__pydantic_extra__ or {}).get("currency")
        return currency if isinstance(currency, str) and currency.strip() else "USD"

    def card(self) -> Card:
        # The card says the trial in its own words; the server's notice stays in the data,
        # except where only the server can say why: a replay that withholds the key.
        notes: tuple[str, ...] = () if self.trial_granted else (gettext(_NO_TRIAL),)
        if self.shown_region == "china":
            notes += (self._china_note(),)
        if self.notice and is_withheld_key(self.primary_api_key.get_secret_value()):
            notes += (self.notice,)
        links = (CardLink(gettext("Add funds"), self.checkout_url),) if self.checkout_url else ()
        return Card(
            kind="activation",
            title=gettext("Activated") if self.trial_granted else gettext("Activated (no trial)"),
            hero=format_usd(self.trial_credit_usd),
            hero_caption=gettext("trial credit"),
            fields=(
                CardField(gettext("Account"), self.account_id, "code"),
                CardField(gettext("Project"), self.project_id, "code"),
                CardField(gettext("Project key"), self.primary_api_key.masked, "code"),
                CardField(gettext("Region"), self.shown_region),
            ),
            links=links,
            notes=notes,
            tone="success" if self.trial_granted else "warning",
            footer=self._footer(),
        )

    def _china_note(self) -> str:
        """What the china region means here, as far as the answer tells: the currency of
        amounts, and the host where checkout (adding funds) happens."""
        host = _host(self.checkout_url)
        if host:
            return gettext(
                "Region china: amounts are in {currency}, and adding funds opens checkout "
                "on {host}."
            ).format(currency=self.currency, host=host)
        return gettext("Region china: amounts are in {currency}.").format(currency=self.currency)


class Balance(Result, contract.Balance):
    """The wallet balance."""

    def card(self) -> Card:
        return Card(
            kind="balance",
            title=gettext("Balance"),
            hero=format_usd(self.balance_usd),
            hero_caption=None if self.currency == "USD" else self.currency,
            footer=self._footer(),
        )


class TopupItem(Record, contract.TopupRecord):
    """One top-up inside a :class:`TopupList`."""


class KeyInfo(Record, contract.KeyInfo):
    """One project key inside a :class:`KeyList` (masked, never the secret)."""


class TopupRecord(Result, contract.TopupRecord):
    """A top-up; hand ``checkout_url`` to the user, the SDK never touches card data."""

    def card(self) -> Card:
        url = self.checkout_url or self.next_action_url
        pending = self.state == "requires_payment"
        links = (CardLink(gettext("Open checkout"), url),) if url and pending else ()
        status, tone = _topup_status(self.state)
        return Card(
            kind="topup",
            title=gettext("Top-up"),
            hero=format_usd(self.amount_usd),
            fields=(CardField(pgettext("id label", "Top-up"), self.topup_id, "code"),),
            links=links,
            notes=(gettext("Pay on the checkout page; the balance updates once you have paid."),)
            if pending
            else (),
            tone=tone,
            badge=status,
            footer=self._footer(),
        )


class TopupList(Result, contract.TopupList):
    """The account's top-ups, newest first."""

    items: list[TopupItem]  # type: ignore[assignment]

    def card(self) -> Card:
        rows = tuple(
            (
                item.topup_id,
                format_usd(item.amount_usd),
                _topup_status(item.state)[0],
                _date(item.created_at),
            )
            for item in self.items
        )
        return Card(
            kind="topups",
            title=gettext("Top-ups"),
            table=CardTable(
                (
                    pgettext("id label", "Top-up"),
                    gettext("Amount"),
                    gettext("Status"),
                    _created_heading(),
                ),
                rows,
                gettext("No top-ups yet."),
                code_columns=(0,),
            ),
            footer=self._footer(),
        )


class KeyList(Result, contract.KeyList):
    """The project keys of the account (ids and labels, never the secrets)."""

    items: list[KeyInfo]  # type: ignore[assignment]

    def card(self) -> Card:
        rows = tuple(
            (
                key.key_id,
                key.masked_key or "",
                key.label,
                _date(key.created_at),
                ", ".join(key.scopes),
            )
            for key in self.items
        )
        count = len(self.items)
        return Card(
            kind="keys",
            title=gettext("Project keys ({count})").format(count=count),
            table=CardTable(
                (
                    gettext("Key id"),
                    gettext("Key"),
                    gettext("Label"),
                    _created_heading(),
                    gettext("Scopes"),
                ),
                rows,
                gettext("No keys."),
                code_columns=(0, 1),
            ),
            footer=self._footer(),
        )


class AccountSummary(Result, contract.AccountSummary):
    """The account after an upgrade."""

    def card(self) -> Card:
        return Card(
            kind="account",
            title=gettext("Tier: {tier}").format(tier=self.tier),
            hero=format_usd(self.balance_usd),
            hero_caption=gettext("balance"),
            fields=(
                CardField(gettext("Account"), self.account_id, "code"),
                CardField(gettext("Kind"), self.kind),
                CardField(gettext("Status"), self.status),
            ),
            tone="success",
            footer=self._footer(),
        )


_NO_TRIAL = N_(
    "No trial credit: this device already had its trial. Add funds to use paid features."
)

# A top-up's state as a person says it, and the tone of its status pill.
_TOPUP_STATUS: dict[str, tuple[str, Tone]] = {
    "requires_payment": (N_("Awaiting payment"), "warning"),
    "succeeded": (N_("Paid"), "success"),
    "canceled": (N_("Canceled"), "normal"),
}


def _topup_status(state: str) -> tuple[str, Tone]:
    """A top-up's state in words of the current language (a server's unknown one as sent)."""
    if state not in _TOPUP_STATUS:
        return state, "normal"
    words, tone = _TOPUP_STATUS[state]
    return gettext(words), tone


def _host(url: str | None) -> str:
    """The host a link opens (``pay.example.cn``), or "" for no link or a malformed one."""
    try:
        return (urlsplit(url).hostname or "") if url else ""
    except ValueError:
        return ""


def _date(moment: Any) -> str:
    """A moment in the reader's own time zone; the column heading names the zone."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def _created_heading() -> str:
    """``Created (CET)``: the dates' column heading, naming the reader's time zone."""
    zone = datetime.now().astimezone().strftime("%Z")
    if not zone:
        return gettext("Created (local time)")
    return gettext("Created ({zone})").format(zone=zone)
