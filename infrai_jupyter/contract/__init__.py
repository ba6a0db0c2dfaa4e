"""The infrai wire contract as pydantic v2 models.

Shared by the client and the sandbox server, so both speak exactly one contract (and
pick a language by one set of rules, ``locale``).
This package imports nothing else of ``infrai_jupyter``.

Each name is imported from its module on first use: ``_i18n`` needs only the small
``locale`` rules, and ``%load_ext infrai_jupyter`` must not pay for pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .envelope import Envelope, ErrorBody, ErrorCode, Metadata
    from .keys import PROJECT_KEY_PREFIX, ApiKey, mask_key, redact_keys
    from .locale import (
        ENGLISH,
        LOCALE_VARIABLES,
        SIMPLIFIED_CHINESE,
        language_from_environment,
        normalize_language,
    )
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
    "ENGLISH",
    "HOSTED_BASE_URL",
    "IDEMPOTENCY_KEY_HEADER",
    "IDEMPOTENT_REPLAYED_HEADER",
    "LOCALE_VARIABLES",
    "PROJECT_KEY_PREFIX",
    "ROUTES",
    "SIMPLIFIED_CHINESE",
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
    "language_from_environment",
    "mask_key",
    "normalize_language",
    "parse_amount",
    "redact_keys",
]

_MODULE_OF = {
    **dict.fromkeys(("Envelope", "ErrorBody", "ErrorCode", "Metadata"), ".envelope"),
    **dict.fromkeys(("PROJECT_KEY_PREFIX", "ApiKey", "mask_key", "redact_keys"), ".keys"),
    **dict.fromkeys(
        (
            "ENGLISH",
            "LOCALE_VARIABLES",
            "SIMPLIFIED_CHINESE",
            "language_from_environment",
            "normalize_language",
        ),
        ".locale",
    ),
    **dict.fromkeys(
        (
            "AccountSummary",
            "ActivateRequest",
            "ActivateResult",
            "Balance",
            "KeyInfo",
            "KeyList",
            "Region",
            "TopupList",
            "TopupRecord",
            "TopupRequest",
            "TopupState",
            "UpgradeRequest",
        ),
        ".models",
    ),
    **dict.fromkeys(
        (
            "TOPUP_MAX_USD",
            "TOPUP_MIN_USD",
            "AmountError",
            "ExactUsd",
            "Money",
            "dollars",
            "parse_amount",
        ),
        ".money",
    ),
    **dict.fromkeys(
        (
            "HOSTED_BASE_URL",
            "IDEMPOTENCY_KEY_HEADER",
            "IDEMPOTENT_REPLAYED_HEADER",
            "ROUTES",
            "Route",
            "is_loopback_host",
        ),
        ".routes",
    ),
    **dict.fromkeys(
        (
            "TEXT_LIMIT",
            "TOKEN_LIMIT",
            "clean_server_data",
            "clean_server_text",
            "is_absurd_number",
        ),
        ".text",
    ),
}
"""Where each name of ``__all__`` lives (``tests/test_architecture.py`` keeps them equal)."""

if not TYPE_CHECKING:  # mypy reads the imports above, so a misspelt name stays an error

    def __getattr__(name: str) -> object:
        if name in _MODULE_OF:
            return getattr(importlib.import_module(_MODULE_OF[name], __name__), name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
