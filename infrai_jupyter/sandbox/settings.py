"""What a sandbox instance is configured with; one frozen value per server, no globals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

DEFAULT_TIER_PRICES: Mapping[str, Decimal] = MappingProxyType(
    {"free": Decimal("0"), "pro": Decimal("20"), "team": Decimal("99")}
)


def default_db_path() -> Path:
    """Where ``python -m infrai_jupyter.sandbox`` keeps its data unless told otherwise."""
    return Path.home() / ".infrai" / "sandbox.sqlite3"


@dataclass(frozen=True)
class SandboxSettings:
    """Everything that varies between sandbox instances.

    ``processing_delay_seconds`` makes a charging or creating request sleep while it
    holds its idempotency reservation: a slow server on demand, so that tests and demos
    can observe the in-flight 409 and client timeouts.
    """

    db_path: Path = field(default_factory=default_db_path)
    trial_credit_usd: Decimal = Decimal("2.00")
    tier_prices: Mapping[str, Decimal] = field(default_factory=lambda: DEFAULT_TIER_PRICES)
    idempotency_window_seconds: float = 86_400.0
    derived_key_window_seconds: float = 300.0
    abandoned_after_seconds: float = 300.0
    rate_limit_per_minute: int | None = None
    processing_delay_seconds: float = 0.0
    default_region: str = "western"
