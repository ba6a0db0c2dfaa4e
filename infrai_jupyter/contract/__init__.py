"""The infrai wire contract as pydantic v2 models.

Shared by the client and the sandbox server, so both speak exactly one contract.
This package imports nothing else of ``infrai_jupyter``.
"""

from __future__ import annotations

from .envelope import Envelope, ErrorBody, ErrorCode, Metadata
from .keys import PROJECT_KEY_PREFIX, mask_key, redact_keys
from .models import (
    TOPUP_MAX_USD,
    AccountSummary,
    ActivateRequest,
    ActivateResult,
    Balance,
    KeyInfo,
    KeyList,
    Region,
    TopupList,
    TopupRecord,
    TopupRequest,
    TopupState,
    UpgradeRequest,
)
from .money import Money, dollars
from .routes import (
    HOSTED_BASE_URL,
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENT_REPLAYED_HEADER,
    ROUTES,
    Route,
)

__all__ = [
    "HOSTED_BASE_URL",
    "IDEMPOTENCY_KEY_HEADER",
    "IDEMPOTENT_REPLAYED_HEADER",
    "PROJECT_KEY_PREFIX",
    "ROUTES",
    "TOPUP_MAX_USD",
    "AccountSummary",
    "ActivateRequest",
    "ActivateResult",
    "Balance",
    "Envelope",
    "ErrorBody",
    "ErrorCode",
    "KeyInfo",
    "KeyList",
    "Metadata",
    "Money",
    "Region",
    "Route",
    "TopupList",
    "TopupRecord",
    "TopupRequest",
    "TopupState",
    "UpgradeRequest",
    "dollars",
    "mask_key",
    "redact_keys",
]
