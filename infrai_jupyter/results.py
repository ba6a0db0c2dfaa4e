"""Result objects: the contract's models plus data access and rich reprs.

A result reads like the seed's dictionaries (``.get``, ``[name]``, ``in``) and like
an object (attributes), carries the call's ``metadata``, and draws itself as a card
in Jupyter. Keys inside results are :class:`~infrai_jupyter.credentials.ApiKey`,
so no repr can show one in full.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, PrivateAttr
from typing_extensions import Self

from . import contract
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

    def card(self) -> Card:
        # The card says the trial in its own words; the server's notice stays in the data,
        # except where only the server can say why: a replay that withholds the key.
        notes: tuple[str, ...] = () if self.trial_granted else (_NO_TRIAL,)
        if self.notice and is_withheld_key(self.primary_api_key.get_secret_value()):
            notes += (self.notice,)
        links = (CardLink("Add funds", self.checkout_url),) if self.checkout_url else ()
        return Card(
            kind="activation",
            title="Activated" if self.trial_granted else "Activated (no trial)",
            hero=format_usd(self.trial_credit_usd),
            hero_caption="trial credit",
            fields=(
                CardField("Account", self.account_id, "code"),
                CardField("Project", self.project_id, "code"),
                CardField("Project key", self.primary_api_key.masked, "code"),
                CardField("Region", self.region),
            ),
            links=links,
            notes=notes,
            tone="success" if self.trial_granted else "warning",
            footer=self._footer(),
        )


class Balance(Result, contract.Balance):
    """The wallet balance."""

    def card(self) -> Card:
        return Card(
            kind="balance",
            title="Balance",
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
        links = (CardLink("Open checkout", url),) if url and pending else ()
        status, tone = _TOPUP_STATUS.get(self.state, (self.state, "normal"))
        return Card(
            kind="topup",
            title="Top-up",
            hero=format_usd(self.amount_usd),
            fields=(CardField("Top-up", self.topup_id, "code"),),
            links=links,
            notes=("Pay on the checkout page; the balance updates once you have paid.",)
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
                _TOPUP_STATUS.get(item.state, (item.state, "normal"))[0],
                _date(item.created_at),
            )
            for item in self.items
        )
        return Card(
            kind="topups",
            title="Top-ups",
            table=CardTable(
                ("Top-up", "Amount", "Status", f"Created ({_zone()})"),
                rows,
                "No top-ups yet.",
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
        return Card(
            kind="keys",
            title=f"Project keys ({len(self.items)})",
            table=CardTable(
                ("Key id", "Key", "Label", f"Created ({_zone()})", "Scopes"),
                rows,
                "No keys.",
                code_columns=(0, 1),
            ),
            footer=self._footer(),
        )


class AccountSummary(Result, contract.AccountSummary):
    """The account after an upgrade."""

    def card(self) -> Card:
        return Card(
            kind="account",
            title=f"Tier: {self.tier}",
            hero=format_usd(self.balance_usd),
            hero_caption="balance",
            fields=(
                CardField("Account", self.account_id, "code"),
                CardField("Kind", self.kind),
                CardField("Status", self.status),
            ),
            tone="success",
            footer=self._footer(),
        )


_NO_TRIAL = "No trial credit: this device already had its trial. Add funds to use paid features."

# A top-up's state as a person says it, and the tone of its status pill.
_TOPUP_STATUS: dict[str, tuple[str, Tone]] = {
    "requires_payment": ("Awaiting payment", "warning"),
    "succeeded": ("Paid", "success"),
    "canceled": ("Canceled", "normal"),
}


def _date(moment: Any) -> str:
    """A moment in the reader's own time zone; the column heading names the zone."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def _zone() -> str:
    """The reader's time zone as a short name ("UTC", "CET"), for a column heading."""
    return datetime.now().astimezone().strftime("%Z") or "local time"
