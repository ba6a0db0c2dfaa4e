"""One model per request body and per result of the account API (SPEC §2).

Results allow unknown fields so that an older client keeps working when the
server adds one. Requests carry the server's validation rules, so a form can
check input with exactly the rules the server will apply.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .money import TOPUP_MAX_USD, Money

Region = Literal["auto", "western", "china"]
TopupState = Literal["requires_payment", "succeeded", "canceled"]

MAX_URL_LENGTH = 2048


def _require_http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http:// or https:// URL")
    return url


HttpUrlText = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH, json_schema_extra={"format": "uri", "pattern": "^https?://"}),
    AfterValidator(_require_http_url),
]


class _Result(BaseModel):
    model_config = ConfigDict(extra="allow")


class ActivateRequest(BaseModel):
    """Body of ``POST /v1/activate``."""

    region: Region = "auto"
    device_kind: str = Field(default="cli", min_length=1, max_length=64)
    device_fingerprint: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")


class ActivateResult(_Result):
    """A new anonymous account with its first project key and trial credit."""

    account_id: str
    project_id: str
    primary_api_key: str
    trial_credit_usd: Money
    trial_granted: bool = True
    region: str = "auto"
    checkout_url: str | None = None
    notice: str | None = None


class Balance(_Result):
    """The wallet of the account the key belongs to."""

    balance_usd: Money
    currency: str = "USD"


class TopupRequest(BaseModel):
    """Body of ``POST /v1/account/topup``."""

    amount_usd: Decimal = Field(
        gt=0,
        le=TOPUP_MAX_USD,
        decimal_places=2,
        allow_inf_nan=False,
        json_schema_extra={"multipleOf": 0.01},  # publishes the whole-cents rule above
    )
    return_url: HttpUrlText | None = None


class TopupRecord(_Result):
    """A top-up waiting for payment (or done); the user pays at ``checkout_url``."""

    topup_id: str
    amount_usd: Money
    currency: str = "USD"
    state: TopupState
    checkout_url: str | None = None
    next_action_url: str | None = None
    return_url: str | None = None
    created_at: datetime | None = None


class TopupList(_Result):
    """``{"items": [...]}`` of the account's top-ups, newest first."""

    items: list[TopupRecord] = Field(default_factory=list)


class KeyInfo(_Result):
    """A project key as listed: never the secret itself, only its masked form."""

    key_id: str
    label: str
    scopes: list[str] = Field(default_factory=list)
    created_at: datetime
    masked_key: str | None = None


class KeyList(_Result):
    """``{"items": [...]}`` of the account's project keys."""

    items: list[KeyInfo] = Field(default_factory=list)


class UpgradeRequest(BaseModel):
    """Body of ``POST /v1/account/tier/upgrade``."""

    target_tier: str = Field(min_length=1, max_length=32)


class AccountSummary(_Result):
    """The account after a change: its kind, status, tier and balance."""

    account_id: str
    kind: str
    status: str
    tier: str
    balance_usd: Money
