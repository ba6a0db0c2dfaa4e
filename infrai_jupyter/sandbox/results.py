"""Contract results and errors built from the service's domain objects.

The one place a domain object becomes what the wire shows: amounts in dollars, links
on this server's own address, expired top-ups read as canceled.
"""

from __future__ import annotations

from infrai_jupyter.contract import (
    AccountSummary,
    ActivateResult,
    ErrorCode,
    KeyInfo,
    TopupRecord,
)

from . import service
from .context import Sandbox, add_funds_url, checkout_url
from .envelopes import ApiError
from .i18n import N_, PageLanguage
from .store import Account, ProjectKey, Topup


def money(amount_cents: int) -> str:
    """``$1,234.50``: one format in every language, filled into a message, never translated."""
    return f"${service.usd(amount_cents):,}"


def activate_result(
    activation: service.Activation, base_url: str, language: PageLanguage
) -> ActivateResult:
    """The activation's result; its ``notice`` is a sentence for a person, in ``language``."""
    if activation.trial_granted:
        notice = language.gettext(N_("Sandbox trial credit of {amount} added.")).format(
            amount=money(activation.trial_cents)
        )
    else:
        notice = language.gettext(
            N_(
                "No trial credit: this device already received one. "
                "Add funds at checkout_url to use paid features."
            )
        )
    return ActivateResult(
        account_id=activation.account.account_id,
        project_id=activation.account.project_id,
        primary_api_key=activation.api_key,
        trial_credit_usd=service.usd(activation.trial_cents),
        trial_granted=activation.trial_granted,
        region=activation.account.region,
        checkout_url=add_funds_url(base_url, activation.account),
        notice=notice,
    )


def topup_record(sandbox: Sandbox, topup: Topup, base_url: str) -> TopupRecord:
    seen = service.as_seen(topup, sandbox.settings)
    url = checkout_url(base_url, topup.topup_id)
    return TopupRecord(
        topup_id=seen.topup_id,
        amount_usd=service.usd(seen.amount_cents),
        state=seen.state,
        checkout_url=url,
        next_action_url=url,
        return_url=seen.return_url,
        created_at=seen.created_at,
    )


def key_info(key: ProjectKey) -> KeyInfo:
    return KeyInfo(
        key_id=key.key_id,
        label=key.label,
        scopes=list(key.scopes),
        created_at=key.created_at,
        masked_key=key.masked_key,
    )


def account_summary(account: Account) -> AccountSummary:
    return AccountSummary(
        account_id=account.account_id,
        kind="anonymous",
        status="active",
        tier=account.tier,
        balance_usd=service.usd(account.balance_cents),
    )


def insufficient_credit_error(shortfall: service.InsufficientCredit, base_url: str) -> ApiError:
    account, price, missing = shortfall.account, shortfall.price_cents, shortfall.missing_cents
    return ApiError(
        402,
        ErrorCode.INSUFFICIENT_CREDIT,
        N_(
            "The {tier} tier costs {price} but the balance is {balance}: "
            "add at least {missing} and retry."
        ),
        {
            "tier": shortfall.tier,
            "required_usd": float(service.usd(price)),
            "balance_usd": float(service.usd(account.balance_cents)),
            "missing_usd": float(service.usd(missing)),
            "checkout_url": f"{add_funds_url(base_url, account)}?amount={service.usd(missing)}",
        },
        params={
            "tier": shortfall.tier,
            "price": money(price),
            "balance": money(account.balance_cents),
            "missing": money(missing),
        },
    )


def unknown_tier_error(sandbox: Sandbox, tier: str) -> ApiError:
    prices = sandbox.settings.tier_prices
    valid = sorted(prices, key=lambda name: prices[name])
    return ApiError(
        422,
        ErrorCode.VALIDATION_ERROR,
        N_("Invalid target_tier: unknown tier {tier}; valid tiers are {valid}."),
        {"fields": [{"field": "target_tier", "problem": "unknown tier"}], "valid_tiers": valid},
        params={"tier": repr(tier), "valid": ", ".join(valid)},
    )
