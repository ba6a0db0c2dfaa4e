"""The list of every account the client ever received, as pure data (no files here).

An anonymous account has no e-mail and no password: its key is the account, so a
key once received is kept until the user deletes it. Keys are kept per server; on
each server at most one is *active* (the one a client for that server uses).
The package stores this list inside the credentials file and does every read and
write under its lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .._i18n import gettext
from ..contract import mask_key
from ..errors import CredentialsError


@dataclass(frozen=True)
class StoredCredentials:
    """What activation saves: enough to come back tomorrow without activating again."""

    api_key: str
    base_url: str
    region: str = "auto"
    account_id: str = ""
    project_id: str = ""
    sandbox: bool = False  # a key of a local sandbox: it may never replace a real one

    def __repr__(self) -> str:
        return (
            f"StoredCredentials(api_key='{mask_key(self.api_key)}', base_url={self.base_url!r}, "
            f"region={self.region!r}, account_id={self.account_id!r}, "
            f"project_id={self.project_id!r}, sandbox={self.sandbox!r})"
        )


@dataclass(frozen=True)
class KeptAccount:
    """One kept account and whether it is the active one of its server."""

    credentials: StoredCredentials
    active: bool

    @property
    def masked_key(self) -> str:
        return mask_key(self.credentials.api_key)


def same_server(first: str, second: str) -> bool:
    """Whether two base URLs name one server (a trailing slash or case does not matter)."""
    return first.rstrip("/").lower() == second.rstrip("/").lower()


def keep(
    accounts: Sequence[KeptAccount], new: StoredCredentials, *, activate: bool
) -> list[KeptAccount]:
    """``accounts`` with ``new`` among them; nothing is ever dropped.

    A key already kept keeps its place (its ids are filled in when it had none). With
    ``activate``, ``new`` becomes the active account of its server and the others there
    stay kept, inactive; without, it is active only when its server has none.
    """
    kept = list(accounts)
    index = next(
        (i for i, entry in enumerate(kept) if entry.credentials.api_key == new.api_key), None
    )
    if index is None:
        kept.append(KeptAccount(new, active=False))
        index = len(kept) - 1
    elif not kept[index].credentials.account_id and new.account_id:
        kept[index] = replace(kept[index], credentials=new)
    server_has_active = any(
        entry.active and same_server(entry.credentials.base_url, new.base_url) for entry in kept
    )
    if activate or not server_has_active:
        return activated(kept, index)
    return kept


def activated(accounts: Sequence[KeptAccount], index: int) -> list[KeptAccount]:
    """``accounts`` with the one at ``index`` active, and no other of its server."""
    server = accounts[index].credentials.base_url
    return [
        replace(entry, active=i == index)
        if same_server(entry.credentials.base_url, server)
        else entry
        for i, entry in enumerate(accounts)
    ]


def active_for(accounts: Sequence[KeptAccount], base_url: str) -> StoredCredentials | None:
    """The active account of the server at ``base_url``, if one is kept."""
    for entry in accounts:
        if entry.active and same_server(entry.credentials.base_url, base_url):
            return entry.credentials
    return None


def find(accounts: Sequence[KeptAccount], which: str) -> int:
    """The index of the one account ``which`` names: its account id, masked key or last
    characters of its key (4 or more), or its position in the list counted from 1.

    Raises :class:`CredentialsError` when none or several match, listing what is kept,
    the keys masked.
    """
    which = which.strip()
    if which.isdigit() and 0 < int(which) <= len(accounts):
        return int(which) - 1
    matches = [i for i, entry in enumerate(accounts) if _names(entry, which)]
    if len(matches) == 1:
        return matches[0]
    listing = "; ".join(
        gettext("{number}. {key} {account} on {server}").format(
            number=i,
            key=entry.masked_key,
            account=entry.credentials.account_id or gettext("(no id)"),
            server=entry.credentials.base_url,
        )
        for i, entry in enumerate(accounts, start=1)
    )
    problem = (
        gettext(
            "{which} matches several kept accounts. Name one by its account id, its number "
            "or its key's last characters. Kept: {listing}."
        )
        if matches
        else gettext(
            "{which} names no kept account. Name one by its account id, its number or its "
            "key's last characters. Kept: {listing}."
        )
    )
    raise CredentialsError(
        problem.format(
            which=mask_key(which) if "ifr_pk_proj_" in which else repr(which),
            listing=listing or gettext("none"),
        )
    )


def _names(entry: KeptAccount, which: str) -> bool:
    key = entry.credentials.api_key
    return bool(which) and (
        which in (entry.credentials.account_id, key, entry.masked_key)
        or (len(which) >= 4 and key.endswith(which))
    )
