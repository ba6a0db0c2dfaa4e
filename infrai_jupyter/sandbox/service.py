"""The account rules (activation, top-ups, tiers) on top of a ``Transaction``.

Storage-agnostic and HTTP-agnostic on purpose: these functions decide and return domain
objects (or raise domain errors); the store only persists, and ``api``/``checkout`` turn
the results into responses. Money is integer cents here; ``Decimal`` dollars appear
only at the edges.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from infrai_jupyter.contract import PROJECT_KEY_PREFIX, ActivateRequest, dollars, mask_key

from .settings import SandboxSettings
from .store import Account, ProjectKey, Topup, Transaction

PRIMARY_KEY_LABEL = "primary"
PRIMARY_KEY_SCOPES = ("account:read", "account:write")


def now() -> datetime:
    return datetime.now(timezone.utc)


def cents(amount: Decimal) -> int:
    """Whole cents of a dollar amount (already validated to at most two decimals)."""
    return int(dollars(amount) * 100)


def usd(amount_cents: int) -> Decimal:
    return Decimal(amount_cents).scaleb(-2)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def random_project_key(account_id: str) -> str:
    """A project key nobody can recompute (256 random bits, whatever the account)."""
    return PROJECT_KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Activation:
    """A new account, its primary key (the only time it exists in clear) and its trial."""

    account: Account
    api_key: str
    trial_granted: bool
    trial_cents: int


class InsufficientCredit(Exception):
    """The balance does not cover a tier's price."""

    def __init__(self, account: Account, tier: str, price_cents: int) -> None:
        super().__init__(f"{tier} costs {price_cents} cents")
        self.account = account
        self.tier = tier
        self.price_cents = price_cents

    @property
    def missing_cents(self) -> int:
        return self.price_cents - self.account.balance_cents


class UnknownAccount(LookupError):
    """The account vanished between authentication and the write (a reset database)."""


def activate(
    tx: Transaction,
    settings: SandboxSettings,
    body: ActivateRequest,
    issue_key: Callable[[str], str] = random_project_key,
) -> Activation:
    """Create an anonymous account and its primary key; grant the trial once per device.

    ``issue_key`` makes the key for the new account id (see ``api`` for why a replay
    may need to make the same key again); only its hash is stored.
    """
    created_at = now()
    region = settings.default_region if body.region == "auto" else body.region
    account = Account(
        new_id("acct"), new_id("proj"), "free", 0, region, secrets.token_urlsafe(24), created_at
    )
    tx.insert_account(account)
    api_key = issue_key(account.account_id)
    key = ProjectKey(
        new_id("key"),
        account.account_id,
        PRIMARY_KEY_LABEL,
        PRIMARY_KEY_SCOPES,
        mask_key(api_key),
        created_at,
    )
    tx.insert_key(key, sha256(api_key))
    trial_cents = cents(settings.trial_credit_usd)
    granted = tx.claim_trial(sha256(body.device_fingerprint), account.account_id, created_at)
    if granted and trial_cents > 0:
        tx.post_ledger(account.account_id, trial_cents, "trial", account.account_id, created_at)
    return Activation(account, api_key, granted, trial_cents if granted else 0)


def create_topup(
    tx: Transaction, account_id: str, amount_usd: Decimal, return_url: str | None
) -> Topup:
    """A top-up waiting for payment; its unguessable id is the checkout capability."""
    topup = Topup(
        f"tu_{secrets.token_urlsafe(24)}",
        account_id,
        cents(amount_usd),
        "requires_payment",
        return_url,
        now(),
    )
    tx.insert_topup(topup)
    return topup


def expires_at(topup: Topup, settings: SandboxSettings) -> datetime:
    return topup.created_at + timedelta(seconds=settings.pending_topup_ttl_seconds)


def is_expired(topup: Topup, settings: SandboxSettings) -> bool:
    """Whether a top-up waited too long for payment: it can no longer be paid."""
    return topup.state == "requires_payment" and now() >= expires_at(topup, settings)


def as_seen(topup: Topup, settings: SandboxSettings) -> Topup:
    """The top-up as a caller sees it now: an expired one reads as canceled.

    Expiry is a function of time, not a stored change, so every reader agrees on it
    without a sweeper writing to the database.
    """
    return replace(topup, state="canceled") if is_expired(topup, settings) else topup


def settle_topup(
    tx: Transaction, settings: SandboxSettings, topup_id: str, pay: bool
) -> Topup | None:
    """Pay or cancel a waiting top-up; a settled or expired one stays as it is.

    The ledger's unique (reason, reference) makes a second credit impossible even if two
    payments raced past the state check.
    """
    topup = tx.get_topup(topup_id)
    if topup is None or topup.state != "requires_payment" or is_expired(topup, settings):
        return topup
    settled_at = now()
    if pay:
        tx.post_ledger(topup.account_id, topup.amount_cents, "topup", topup_id, settled_at)
    tx.set_topup_state(topup_id, "succeeded" if pay else "canceled", settled_at)
    return tx.get_topup(topup_id)


def upgrade_tier(tx: Transaction, settings: SandboxSettings, account_id: str, tier: str) -> Account:
    """Move to ``tier``, charging its price once; staying on the same tier is free."""
    account = tx.get_account(account_id)
    if account is None:
        raise UnknownAccount(account_id)
    if account.tier == tier:
        return account
    price = cents(settings.tier_prices[tier])
    if account.balance_cents < price:
        raise InsufficientCredit(account, tier, price)
    if price:
        tx.post_ledger(account_id, -price, "tier_upgrade", new_id("upg"), now())
    tx.set_tier(account_id, tier)
    return tx.get_account(account_id) or account
