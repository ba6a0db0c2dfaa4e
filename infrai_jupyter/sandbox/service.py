"""The account rules (activation, top-ups, tiers) on top of a ``Transaction``.

Storage-agnostic on purpose: these functions decide, the store only persists. Money is
integer cents here; ``Decimal`` dollars appear only at the edges.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone
from decimal import Decimal

from infrai_jupyter.contract import (
    PROJECT_KEY_PREFIX,
    AccountSummary,
    ActivateRequest,
    ActivateResult,
    ErrorCode,
    KeyInfo,
    TopupRecord,
    dollars,
    mask_key,
)

from .errors import ApiError
from .idempotency import StoredResponse
from .responses import success_payload
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


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def add_funds_url(base_url: str, account: Account) -> str:
    return f"{base_url}/add-funds/{account.funding_token}"


def activate(
    tx: Transaction, settings: SandboxSettings, body: ActivateRequest, base_url: str
) -> StoredResponse:
    """Create an anonymous account and its primary key; grant the trial once per device."""
    created_at = now()
    region = settings.default_region if body.region == "auto" else body.region
    account = Account(
        _new_id("acct"), _new_id("proj"), "free", 0, region, secrets.token_urlsafe(24), created_at
    )
    tx.insert_account(account)
    api_key = PROJECT_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ProjectKey(
        _new_id("key"),
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
    if granted:
        notice = f"Sandbox trial credit of ${usd(trial_cents)} added."
    else:
        notice = (
            "No trial credit: this device already received one. "
            "Add funds at checkout_url to use paid features."
        )
    result = ActivateResult(
        account_id=account.account_id,
        project_id=account.project_id,
        primary_api_key=api_key,
        trial_credit_usd=usd(trial_cents if granted else 0),
        trial_granted=granted,
        region=region,
        checkout_url=add_funds_url(base_url, account),
        notice=notice,
    )
    return StoredResponse(200, success_payload(result))


def key_info(key: ProjectKey) -> KeyInfo:
    return KeyInfo(
        key_id=key.key_id,
        label=key.label,
        scopes=list(key.scopes),
        created_at=key.created_at,
        masked_key=key.masked_key,
    )


def topup_record(topup: Topup, base_url: str) -> TopupRecord:
    checkout_url = f"{base_url}/checkout/{topup.topup_id}"
    return TopupRecord(
        topup_id=topup.topup_id,
        amount_usd=usd(topup.amount_cents),
        state=topup.state,
        checkout_url=checkout_url,
        next_action_url=checkout_url,
        return_url=topup.return_url,
        created_at=topup.created_at,
    )


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


def settle_topup(tx: Transaction, topup_id: str, pay: bool) -> Topup | None:
    """Pay or cancel a waiting top-up; a settled one stays as it is.

    The ledger's unique (reason, reference) makes a second credit impossible even if two
    payments raced past the state check.
    """
    topup = tx.get_topup(topup_id)
    if topup is None or topup.state != "requires_payment":
        return topup
    settled_at = now()
    if pay:
        tx.post_ledger(topup.account_id, topup.amount_cents, "topup", topup_id, settled_at)
    tx.set_topup_state(topup_id, "succeeded" if pay else "canceled", settled_at)
    return tx.get_topup(topup_id)


def account_summary(account: Account) -> AccountSummary:
    return AccountSummary(
        account_id=account.account_id,
        kind="anonymous",
        status="active",
        tier=account.tier,
        balance_usd=usd(account.balance_cents),
    )


def unknown_tier_error(settings: SandboxSettings, tier: str) -> ApiError:
    valid = sorted(settings.tier_prices, key=lambda name: settings.tier_prices[name])
    return ApiError(
        422,
        ErrorCode.VALIDATION_ERROR,
        f"Invalid target_tier: unknown tier {tier!r}; valid tiers are {', '.join(valid)}.",
        {"fields": [{"field": "target_tier", "problem": "unknown tier"}], "valid_tiers": valid},
    )


def upgrade_tier(
    tx: Transaction, settings: SandboxSettings, account_id: str, tier: str, base_url: str
) -> StoredResponse:
    """Move to ``tier``, charging its price once; staying on the same tier is free."""
    account = tx.get_account(account_id)
    if account is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, "This account no longer exists.")
    if account.tier != tier:
        price = cents(settings.tier_prices[tier])
        if account.balance_cents < price:
            missing = price - account.balance_cents
            error = ApiError(
                402,
                ErrorCode.INSUFFICIENT_CREDIT,
                f"The {tier} tier costs ${usd(price)} but the balance is "
                f"${usd(account.balance_cents)}: add at least ${usd(missing)} and retry.",
                {
                    "tier": tier,
                    "required_usd": float(usd(price)),
                    "balance_usd": float(usd(account.balance_cents)),
                    "missing_usd": float(usd(missing)),
                    "checkout_url": f"{add_funds_url(base_url, account)}?amount={usd(missing)}",
                },
            )
            return StoredResponse(402, error.payload())
        if price:
            tx.post_ledger(account_id, -price, "tier_upgrade", _new_id("upg"), now())
        tx.set_tier(account_id, tier)
        account = tx.get_account(account_id) or account
    return StoredResponse(200, success_payload(account_summary(account)))
