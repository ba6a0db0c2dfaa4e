"""The kept-accounts card of ``%infrai_accounts``, with each balance where reachable."""

from __future__ import annotations

from decimal import Decimal

from .._client import InfraiClient
from .._i18n import gettext
from .._usage import exact_usd
from ..contract import mask_key
from ..credentials import KeptAccount, ResolvedConfig, list_accounts
from ..display import Card, CardTable
from ..errors import InfraiError
from ..results import AccountSummary

BALANCE_TIMEOUT_S = 5.0  # one short call per account: a dead server must not hang the list


def accounts_card(session: ResolvedConfig) -> Card:
    """Every kept account, and the session's own key when it is not among them (a
    sandbox's, an environment key, one activated with ``--no-write``): the list must
    not hide the account in use, nor say none exists while one does."""
    accounts = list_accounts()
    in_use = session.api_key
    rows = [
        (
            str(number),
            entry.masked_key,
            entry.credentials.account_id or "—",
            entry.credentials.base_url,
            _state(entry, in_use),
            _balance(entry.credentials.api_key, entry.credentials.base_url),
        )
        for number, entry in enumerate(accounts, start=1)
    ]
    notes = [
        gettext("Each key is its account: none is deleted unless you run %infrai_logout --forget.")
    ]
    if in_use is not None and all(e.credentials.api_key != in_use for e in accounts):
        rows.append(_unkept_row(session, in_use))
        notes.insert(0, _unkept_note(session.key_source))
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
            tuple(rows),
            empty_message=gettext(
                "No account is kept yet: %infrai_activate or %infrai_login --save."
            ),
            code_columns=(1, 2),
        ),
        notes=tuple(notes),
        commands=("%infrai_accounts --use 1",) if len(accounts) > 1 else (),
    )


def _unkept_row(session: ResolvedConfig, key: str) -> tuple[str, str, str, str, str, str]:
    """The session's key as a row without a number: ``--use`` cannot pick it."""
    state = gettext("in use, not kept")
    return ("—", mask_key(key), "—", session.base_url, state, _balance(key, session.base_url))


def _unkept_note(key_source: str) -> str:
    """Why the key in use is not in the file, and what that means when the kernel stops."""
    if key_source == "INFRAI_API_KEY":
        return gettext("The key in use comes from INFRAI_API_KEY and is not kept on this computer.")
    return gettext(
        "The key in use is not kept on this computer (the embedded sandbox's keys and "
        "keys activated with --no-write never are): it is gone when this kernel stops."
    )


def _state(entry: KeptAccount, in_use: str | None) -> str:
    if entry.credentials.api_key == in_use:
        return gettext("in use")
    return gettext("active for its server") if entry.active else gettext("kept")


def _balance(api_key: str, base_url: str) -> str:
    """The balance, or why it is not shown; one call with no retries."""
    try:
        with InfraiClient(
            api_key=api_key,
            base_url=base_url,
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
