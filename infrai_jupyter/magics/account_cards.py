"""The kept-accounts card of ``%infrai_accounts``, with each balance where reachable."""

from __future__ import annotations

from decimal import Decimal

from .._client import InfraiClient
from .._i18n import gettext
from .._usage import exact_usd
from ..credentials import KeptAccount, list_accounts
from ..display import Card, CardTable
from ..errors import InfraiError
from ..results import AccountSummary

BALANCE_TIMEOUT_S = 5.0  # one short call per account: a dead server must not hang the list


def accounts_card(in_use: str | None) -> Card:
    """Every kept account; ``in_use`` is the session's key (never shown, only compared)."""
    accounts = list_accounts()
    rows = tuple(
        (
            str(number),
            entry.masked_key,
            entry.credentials.account_id or "—",
            entry.credentials.base_url,
            _state(entry, in_use),
            _balance(entry),
        )
        for number, entry in enumerate(accounts, start=1)
    )
    return Card(
        kind="accounts",
        title=gettext("Kept accounts"),
        hero=str(len(accounts)),
        hero_caption=gettext("kept on this computer"),
        table=CardTable(
            (
                "#",
                gettext("Key"),
                gettext("Account"),
                gettext("Server"),
                gettext("State"),
                gettext("Balance"),
            ),
            rows,
            empty_message=gettext(
                "No account is kept yet: %infrai_activate or %infrai_login --save."
            ),
            code_columns=(1, 2),
        ),
        notes=(
            gettext(
                "Each key is its account: none is deleted unless you run %infrai_logout --forget."
            ),
        ),
        commands=("%infrai_accounts --use 1",) if len(accounts) > 1 else (),
    )


def _state(entry: KeptAccount, in_use: str | None) -> str:
    if entry.credentials.api_key == in_use:
        return gettext("in use")
    return gettext("active for its server") if entry.active else gettext("kept")


def _balance(entry: KeptAccount) -> str:
    """The balance, or why it is not shown; one call with no retries."""
    try:
        with InfraiClient(
            api_key=entry.credentials.api_key,
            base_url=entry.credentials.base_url,
            timeout=BALANCE_TIMEOUT_S,
            max_retries=0,
        ) as client:
            return exact_usd(client.account.balance().balance_usd)
    except InfraiError as error:
        status = getattr(error, "status_code", None)
        if status:
            return gettext("unavailable (HTTP {status})").format(status=status)
        return gettext("unreachable")


def upgrade_outcome(target: str, balance_before: Decimal, summary: AccountSummary) -> str:
    """What an upgrade charged, in one sentence: the server's ``cost_usd`` when it states
    one, else what left the balance during the call (the sandbox states no cost)."""
    stated = summary.metadata.cost_usd
    charged = stated if stated > 0 else balance_before - summary.balance_usd
    if charged <= 0 and summary.tier == target:
        return gettext("Already on {tier} — nothing charged.").format(tier=target)
    return gettext("Upgraded to {tier} — charged {amount}.").format(
        tier=summary.tier, amount=exact_usd(charged)
    )
