"""What a sandbox instance is configured with; one frozen value per server, no globals."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
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

    ``database_url`` (``postgresql://…``) keeps the data in PostgreSQL; without it, in
    the SQLite file ``db_path``.

    ``public_url`` is the address its links and redirects name (checkout, add funds,
    return pages), for a sandbox behind a proxy; without it they name the address the
    server is bound to. Never the request's ``Host``: a caller must not choose where
    someone else's payment link points. It is an absolute http(s) URL, or a root path
    (``/user/alice/proxy/8765``) when only the path is known, as for a kernel behind
    JupyterHub's proxy: links are then root-relative, and redirects relative.

    ``trusted_proxies`` are the peer addresses whose ``X-Forwarded-For`` and
    ``X-Forwarded-Proto`` are believed (uvicorn's proxy-header rules); from anyone
    else those headers are ignored.

    ``auth_failures_per_minute`` bounds failed authentications per client address:
    past it, every keyed request from that address gets 429 until its minute is over,
    valid key or not, so the answers stop telling a guesser anything. ``None`` turns
    it off. Calls with a valid key never count.

    ``activations_per_minute`` bounds activations (anonymous account creations) per
    client address, so no one caller can fill the database; ``None`` turns it off.

    ``pending_topup_ttl_seconds``: a top-up unpaid for this long expires; it reads as
    ``canceled`` and its checkout page says it can no longer be paid.

    ``instance_lease_seconds``: how long a silent instance's idempotency reservations
    are respected (see ``idempotency``).

    ``max_body_bytes`` bounds a request body; larger ones get 413 before being read.

    ``processing_delay_seconds`` makes a charging or creating request sleep while it
    holds its idempotency reservation: a slow server on demand, so that tests and demos
    can observe the in-flight 409 and client timeouts.

    ``admin_token`` opens the teacher's page (``/admin``, see ``admin_page``); without
    one the page is not served. ``SandboxServer`` and the command line make one up at
    start unless given, so every worker of one server accepts the same token.
    """

    db_path: Path = field(default_factory=default_db_path)
    database_url: str | None = None
    trial_credit_usd: Decimal = Decimal("2.00")
    tier_prices: Mapping[str, Decimal] = field(default_factory=lambda: DEFAULT_TIER_PRICES)
    public_url: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    idempotency_window_seconds: float = 86_400.0
    derived_key_window_seconds: float = 300.0
    abandoned_after_seconds: float = 300.0
    instance_lease_seconds: float = 15.0
    pending_topup_ttl_seconds: float = 86_400.0
    rate_limit_per_minute: int | None = None
    auth_failures_per_minute: int | None = 20
    activations_per_minute: int | None = 60
    max_body_bytes: int = 64 * 1024
    processing_delay_seconds: float = 0.0
    default_region: str = "western"
    admin_token: str | None = field(default=None, repr=False)

    @property
    def database(self) -> str | Path:
        """What the store opens: the PostgreSQL URL if set, else the SQLite file."""
        return self.database_url or self.db_path

    def to_json(self) -> str:
        """These settings as JSON, for a worker process to rebuild (``from_json``)."""
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        values["tier_prices"] = dict(self.tier_prices)
        return json.dumps(values, default=str)

    @classmethod
    def from_json(cls, text: str) -> SandboxSettings:
        values = json.loads(text)
        values["db_path"] = Path(values["db_path"])
        values["trial_credit_usd"] = Decimal(values["trial_credit_usd"])
        values["tier_prices"] = MappingProxyType(
            {tier: Decimal(price) for tier, price in values["tier_prices"].items()}
        )
        values["trusted_proxies"] = tuple(values["trusted_proxies"])
        return cls(**values)
