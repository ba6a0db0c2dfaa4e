"""The infrai wire contract as pydantic v2 models.

Shared by the client and the sandbox server, so both speak exactly one contract.
This package imports nothing else of ``infrai_jupyter``.
"""

from __future__ import annotations

from .envelope import Envelope, ErrorBody, ErrorCode, Metadata
from .keys import PROJECT_KEY_PREFIX, ApiKey, mask_key, redact_keys
from .models import (
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
from .money import (
    TOPUP_MAX_USD,
    TOPUP_MIN_USD,
    AmountError,
    ExactUsd,
    Money,
    dollars,
    parse_amount,
)
from .routes import (
    HOSTED_BASE_URL,
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENT_REPLAYED_HEADER,
    ROUTES,
    Route,
    is_loopback_host,
)
from .text import (
    TEXT_LIMIT,
    TOKEN_LIMIT,
    clean_server_data,
    clean_server_text,
    is_absurd_number,
)

__all__ = [
    "HOSTED_BASE_URL",
    "IDEMPOTENCY_KEY_HEADER",
    "IDEMPOTENT_REPLAYED_HEADER",
    "PROJECT_KEY_PREFIX",
    "ROUTES",
    "TEXT_LIMIT",
    "TOKEN_LIMIT",
    "TOPUP_MAX_USD",
    "TOPUP_MIN_USD",
    "AccountSummary",
    "ActivateRequest",
    "ActivateResult",
    "AmountError",
    "ApiKey",
    "Balance",
    "Envelope",
    "ErrorBody",
    "ErrorCode",
    "ExactUsd",
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
    "clean_server_data",
    "clean_server_text",
    "dollars",
    "is_absurd_number",
    "is_loopback_host",
    "mask_key",
    "parse_amount",
    "redact_keys",
]
