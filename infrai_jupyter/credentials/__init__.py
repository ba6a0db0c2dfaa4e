"""Where the project key comes from, how it is kept on disk, and how it is shown.

Resolution order, first match wins (documented in the README):

1. an explicit ``api_key=`` / ``base_url=`` argument;
2. the ``INFRAI_API_KEY`` / ``INFRAI_BASE_URL`` environment variables;
3. ``~/.infrai/credentials``, written by ``infra.activate()``: for an explicit base URL,
   the account kept active for that server; otherwise the file's default account with
   its own base URL (a stored base URL is used only together with its key, so an
   environment key never goes to a stored host);
4. no key, and the hosted API at ``https://api.infrai.cc``.

Every key, whatever its source, passes :func:`~infrai_jupyter.contract.keys.check_key`
before it is used: surrounding whitespace is dropped (a key read with its newline
works), anything else malformed is an :class:`~infrai_jupyter.errors.InvalidKeyError`
naming the source and the fix, the key masked. An ``INFRAI_API_KEY`` going to a server
that is neither the hosted API nor this machine is logged once per key and server.

The credentials file:

- keeps every key the client ever received, per server, until the user forgets one
  (:func:`forget_account`): an activation adds a key and never drops one. Its top-level
  fields are the default account (the format of earlier versions, which a file without
  ``accounts`` is read as); ``accounts`` lists them all, one active per server;
- is read only if it is a regular file of at most 64 KiB (a FIFO, a device or a huge
  file is refused without hanging or filling memory), of UTF-8 JSON whose fields have
  the types the writer gives them; anything else is a ``CredentialsError`` that names
  the file and never suggests deleting it (the key is the account);
- is made private when found open to other users (file 0600, ``~/.infrai`` 0700),
  with a warning on the ``infrai_jupyter`` logger, as ssh and the AWS CLI insist;
- is written by one writer at a time (a lock on ``credentials.lock`` beside it),
  through a 0600 temporary file swapped in whole, whose leftovers after a crash are
  removed by the next writer;
- lives under the user's absolute home, never under the working directory.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import uuid
from pathlib import Path

from ..errors import CredentialsError
from ._files import MAX_FILE_BYTES, credentials_path, open_small_regular_file
from ._format import API_KEY_ENV, BASE_URL_ENV, checked_key
from ._kept import KeptAccount, StoredCredentials
from ._resolve import ResolvedConfig, resolve_config
from ._store import (
    active_account,
    forget_account,
    kept_account,
    list_accounts,
    load_credentials,
    save_activation,
    use_account,
    write_credentials,
)

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "MAX_FILE_BYTES",
    "KeptAccount",
    "ResolvedConfig",
    "StoredCredentials",
    "active_account",
    "checked_key",
    "credentials_path",
    "device_fingerprint",
    "forget_account",
    "kept_account",
    "list_accounts",
    "load_credentials",
    "resolve_config",
    "save_activation",
    "use_account",
    "write_credentials",
]


_FINGERPRINT_SALT = b"infrai-device-fingerprint-v1\x00"
_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")


def device_fingerprint() -> str:
    """A stable, anonymous id for this user on this machine: a salted SHA-256.

    The server grants one trial per fingerprint. Raw identifiers (machine id, user
    name, home directory) are hashed together and never leave the machine. Each part
    has a fallback, so a container without a user entry or a home still activates.
    """
    digest = hashlib.sha256(_FINGERPRINT_SALT)
    for part in (_machine_id(), _user_name(), os.path.expanduser("~")):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    return digest.hexdigest()


def _machine_id() -> str:
    for name in _MACHINE_ID_FILES:
        with contextlib.suppress(OSError, CredentialsError, UnicodeDecodeError):
            with open_small_regular_file(Path(name)) as (_, data):
                value = data.decode("ascii").strip()
            if value and value.isprintable():
                return value
    return f"node-{uuid.getnode():012x}"


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (ImportError, KeyError, OSError):  # no USER variable, no account entry
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown-user"
