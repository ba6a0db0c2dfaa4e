"""The kept accounts on disk: read, keep, switch, forget, each write under the lock."""

from __future__ import annotations

import logging
from pathlib import Path

from .._i18n import gettext
from ..contract import mask_key
from ..errors import CredentialsError
from ._files import (
    credentials_path,
    make_directory_private,
    make_file_private,
    open_small_regular_file,
    replace_file,
    writers_lock,
)
from ._format import parse
from ._kept import (
    KeptAccount,
    StoredCredentials,
    activated,
    active_for,
    find,
    keep,
    same_server,
)

logger = logging.getLogger("infrai_jupyter")


def load_credentials(path: Path | None = None) -> StoredCredentials | None:
    """The default account of the credentials file; ``None`` when there is none."""
    document = load_document(path)
    return None if document is None else document[0]


def list_accounts(path: Path | None = None) -> list[KeptAccount]:
    """Every kept account, in the order received, each marked active or not."""
    document = load_document(path)
    return [] if document is None else document[1]


def active_account(base_url: str, path: Path | None = None) -> StoredCredentials | None:
    """The account kept active for the server at ``base_url``, if any."""
    return active_for(list_accounts(path), base_url)


def kept_account(api_key: str, path: Path | None = None) -> StoredCredentials | None:
    """The kept account whose key is ``api_key``; None when it is not kept on this
    computer (an environment key, a sandbox's, ``--no-write``) or the file cannot be read."""
    try:
        kept = list_accounts(path)
    except CredentialsError:
        return None
    return next((e.credentials for e in kept if e.credentials.api_key == api_key), None)


def load_document(path: Path | None) -> tuple[StoredCredentials, list[KeptAccount]] | None:
    """Read the credentials file: its default account and every kept one; ``None`` if absent.

    Only a small regular file is read: a FIFO would hang the kernel and ``/dev/zero``
    fill its memory. A file (or the ``~/.infrai`` directory) open to other users is
    made private first, with a warning, as ssh does.
    """
    if path is None:
        try:
            path = credentials_path()
        except CredentialsError:
            return None  # no home, so no file; saving will say why it cannot
    make_directory_private(path)
    try:
        with open_small_regular_file(path) as (descriptor, data):
            try:
                stored = parse(data, path)
            except CredentialsError:  # unusable, but it may still hold a key: tighten it
                make_file_private(descriptor, path, None)
                raise
            make_file_private(descriptor, path, stored[0].api_key)
    except FileNotFoundError:
        return None
    return stored


def write_credentials(credentials: StoredCredentials, path: Path | None = None) -> Path:
    """Make ``credentials`` the default and active account, keeping every other key.

    The file is readable by the owner only (0600 in a 0700 directory). Writers are
    serialised by a lock, so each one's file arrives whole; see :func:`replace_file`
    for how a crash leaves nothing behind.
    """
    path = path or credentials_path()
    with writers_lock(path):
        replace_file(path, credentials, keep(_kept_or_none(path), credentials, activate=True))
    return path


def use_account(which: str, path: Path | None = None) -> StoredCredentials:
    """Make the kept account ``which`` names the active one of its server, and the default.

    ``which`` is an account id, a masked key, a key's last characters or a position
    from :func:`list_accounts` counted from 1. A sandbox account never becomes the
    default over a real one (it is active for its own server only).
    """
    path = path or credentials_path()
    with writers_lock(path):
        default, accounts = _document_for_change(path)
        index = find(accounts, which)
        chosen = accounts[index].credentials
        accounts = activated(accounts, index)
        if not chosen.sandbox or default.sandbox:
            default = chosen
        replace_file(path, default, accounts)
    logger.info("Switched to the kept account %s in %s", mask_key(chosen.api_key), path)
    return chosen


def forget_account(which: str, path: Path | None = None) -> StoredCredentials:
    """Delete one kept account from disk for good; the last one takes the file with it.

    Only this removes a key. Its server's next kept account (or, for the default, any
    other kept one) takes its place; the caller confirms with the user first.
    """
    path = path or credentials_path()
    with writers_lock(path):
        default, accounts = _document_for_change(path)
        gone = accounts.pop(find(accounts, which))
        if gone.active:
            accounts = _successor_activated(accounts, gone.credentials.base_url)
        if not accounts:
            path.unlink()
        else:
            if default.api_key == gone.credentials.api_key:
                default = next(e for e in accounts if e.active or e is accounts[-1]).credentials
            replace_file(path, default, accounts)
    logger.info("Forgot the account %s: its key is no longer in %s", gone.masked_key, path)
    return gone.credentials


def _successor_activated(accounts: list[KeptAccount], base_url: str) -> list[KeptAccount]:
    """``accounts`` with the last kept one of ``base_url``'s server active, if any is left."""
    same = [i for i, e in enumerate(accounts) if same_server(e.credentials.base_url, base_url)]
    return activated(accounts, same[-1]) if same else accounts


def _document_for_change(path: Path) -> tuple[StoredCredentials, list[KeptAccount]]:
    document = load_document(path)
    if document is None:
        raise CredentialsError(
            gettext(
                "No account is kept in {path}: activate one (%infrai_activate or "
                "infra.activate()), or sign in with a key (%infrai_login)."
            ).format(path=path)
        )
    return document


def _kept_or_none(path: Path) -> list[KeptAccount]:
    """The kept accounts, or none when the file is missing or cannot be read.

    An unreadable file is replaced by a writer, as it always was: a writer asked to
    save a key must not fail because an older file is broken.
    """
    try:
        return list_accounts(path)
    except CredentialsError:
        return []


def save_activation(credentials: StoredCredentials, path: Path | None = None) -> Path | None:
    """Keep an activation's key, active for its server; make it the default unless a
    sandbox key would replace a real one.

    A demo against the sandbox must never cost a user the key of their real account,
    so a sandbox key becomes the default only where no default, or another sandbox's,
    exists (and is not written at all over a file that cannot be read). The file is
    read, judged and replaced under one lock: two kernels activating at once cannot
    both read "no real key" and let the sandbox write last. Says what it did on the
    ``infrai_jupyter`` logger, the key masked. Returns the file when the key became the
    default, ``None`` otherwise.
    """
    path = path or credentials_path()
    masked = mask_key(credentials.api_key)
    with writers_lock(path):
        try:
            document = load_document(path)
        except CredentialsError:
            if credentials.sandbox:
                logger.warning(
                    "Not saving the sandbox key %s: %s cannot be read and may hold a real "
                    "key, which a sandbox key never replaces.",
                    masked,
                    path,
                )
                return None
            document = None  # a real key replaces a broken file, as it always did
        default, kept = document or (credentials, [])
        kept = keep(kept, credentials, activate=True)
        if credentials.sandbox and not default.sandbox:
            replace_file(path, default, kept)
            logger.warning(
                "Kept the sandbox key %s in %s, active for its server, but not as the "
                "default: the default is a real key, which a sandbox key never replaces.",
                masked,
                path,
            )
            return None
        replace_file(path, credentials, kept)
    logger.info("Saved credentials for %s to %s", masked, path)
    return path
