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

import codecs
import contextlib
import getpass
import hashlib
import ipaddress
import json
import logging
import os
import re
import stat
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from ._kept_accounts import (
    KeptAccount,
    StoredCredentials,
    activated,
    active_for,
    find,
    keep,
    same_server,
)
from .contract import HOSTED_BASE_URL, mask_key
from .contract.keys import ApiKey, KeyFormatError, check_key
from .errors import CredentialsError, InvalidKeyError

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "KeptAccount",
    "ResolvedConfig",
    "StoredCredentials",
    "active_account",
    "checked_key",
    "credentials_path",
    "device_fingerprint",
    "forget_account",
    "kept_account_id",
    "list_accounts",
    "load_credentials",
    "resolve_config",
    "save_activation",
    "use_account",
    "write_credentials",
]

logger = logging.getLogger("infrai_jupyter")

API_KEY_ENV = "INFRAI_API_KEY"
BASE_URL_ENV = "INFRAI_BASE_URL"
_FINGERPRINT_SALT = b"infrai-device-fingerprint-v1\x00"
_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")
MAX_FILE_BYTES = 64 * 1024  # a credentials file is a few hundred bytes
FieldT = TypeVar("FieldT", str, bool)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_POSIX_MODES = os.name == "posix"  # elsewhere mode bits say nothing about who can read


@dataclass(frozen=True)
class ResolvedConfig:
    """The key and base URL a client will use, and where each came from."""

    api_key: str | None
    key_source: str  # "argument", "INFRAI_API_KEY", the credentials path, "activation" or "none"
    base_url: str
    region: str = "auto"

    def __repr__(self) -> str:
        return (
            f"ResolvedConfig(api_key='{mask_key(self.api_key)}', key_source={self.key_source!r}, "
            f"base_url={self.base_url!r}, region={self.region!r})"
        )


def credentials_path() -> Path:
    """``~/.infrai/credentials`` of the current user."""
    return _home() / ".infrai" / "credentials"


def load_credentials(path: Path | None = None) -> StoredCredentials | None:
    """The default account of the credentials file; ``None`` when there is none."""
    document = _load_document(path)
    return None if document is None else document[0]


def list_accounts(path: Path | None = None) -> list[KeptAccount]:
    """Every kept account, in the order received, each marked active or not."""
    document = _load_document(path)
    return [] if document is None else document[1]


def active_account(base_url: str, path: Path | None = None) -> StoredCredentials | None:
    """The account kept active for the server at ``base_url``, if any."""
    return active_for(list_accounts(path), base_url)


def kept_account_id(api_key: str, path: Path | None = None) -> str:
    """The account id kept with ``api_key``; "" when unknown or the file cannot be read."""
    try:
        kept = list_accounts(path)
    except CredentialsError:
        return ""
    return next((e.credentials.account_id for e in kept if e.credentials.api_key == api_key), "")


def _load_document(path: Path | None) -> tuple[StoredCredentials, list[KeptAccount]] | None:
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
    _make_directory_private(path)
    try:
        with _open_small_regular_file(path) as (descriptor, data):
            try:
                stored = _parse(data, path)
            except CredentialsError:  # unusable, but it may still hold a key: tighten it
                _make_file_private(descriptor, path, None)
                raise
            _make_file_private(descriptor, path, stored[0].api_key)
    except FileNotFoundError:
        return None
    return stored


def write_credentials(credentials: StoredCredentials, path: Path | None = None) -> Path:
    """Make ``credentials`` the default and active account, keeping every other key.

    The file is readable by the owner only (0600 in a 0700 directory). Writers are
    serialised by a lock, so each one's file arrives whole; see :func:`_replace_file`
    for how a crash leaves nothing behind.
    """
    path = path or credentials_path()
    with _writers_lock(path):
        _replace_file(path, credentials, keep(_kept_or_none(path), credentials, activate=True))
    return path


def use_account(which: str, path: Path | None = None) -> StoredCredentials:
    """Make the kept account ``which`` names the active one of its server, and the default.

    ``which`` is an account id, a masked key, a key's last characters or a position
    from :func:`list_accounts` counted from 1. A sandbox account never becomes the
    default over a real one (it is active for its own server only).
    """
    path = path or credentials_path()
    with _writers_lock(path):
        default, accounts = _document_for_change(path)
        index = find(accounts, which)
        chosen = accounts[index].credentials
        accounts = activated(accounts, index)
        if not chosen.sandbox or default.sandbox:
            default = chosen
        _replace_file(path, default, accounts)
    logger.info("Switched to the kept account %s in %s", mask_key(chosen.api_key), path)
    return chosen


def forget_account(which: str, path: Path | None = None) -> StoredCredentials:
    """Delete one kept account from disk for good; the last one takes the file with it.

    Only this removes a key. Its server's next kept account (or, for the default, any
    other kept one) takes its place; the caller confirms with the user first.
    """
    path = path or credentials_path()
    with _writers_lock(path):
        default, accounts = _document_for_change(path)
        gone = accounts.pop(find(accounts, which))
        if gone.active:
            accounts = _successor_activated(accounts, gone.credentials.base_url)
        if not accounts:
            path.unlink()
        else:
            if default.api_key == gone.credentials.api_key:
                default = next(e for e in accounts if e.active or e is accounts[-1]).credentials
            _replace_file(path, default, accounts)
    logger.info("Forgot the account %s: its key is no longer in %s", gone.masked_key, path)
    return gone.credentials


def _successor_activated(accounts: list[KeptAccount], base_url: str) -> list[KeptAccount]:
    """``accounts`` with the last kept one of ``base_url``'s server active, if any is left."""
    same = [i for i, e in enumerate(accounts) if same_server(e.credentials.base_url, base_url)]
    return activated(accounts, same[-1]) if same else accounts


def _document_for_change(path: Path) -> tuple[StoredCredentials, list[KeptAccount]]:
    document = _load_document(path)
    if document is None:
        raise CredentialsError(
            f"No account is kept in {path}: activate one (%infrai_activate or "
            "infra.activate()), or sign in with a key (%infrai_login)."
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
    with _writers_lock(path):
        try:
            document = _load_document(path)
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
            _replace_file(path, default, kept)
            logger.warning(
                "Kept the sandbox key %s in %s, active for its server, but not as the "
                "default: the default is a real key, which a sandbox key never replaces.",
                masked,
                path,
            )
            return None
        _replace_file(path, credentials, kept)
    logger.info("Saved credentials for %s to %s", masked, path)
    return path


# ------------------------------------------------------------------ reading


def _home() -> Path:
    """The user's home; never a relative path, which would put keys in the working folder.

    A relative ``HOME`` would make ``~/.infrai`` a folder of whatever notebook directory
    the kernel started in, ready to be committed to git; ``HOME=""`` (some services)
    would make it ``/.infrai``. Either way the account's own home is used instead.
    """
    for candidate in (_environment_home(), _account_home()):
        if candidate and os.path.isabs(candidate):
            return Path(candidate)
    raise CredentialsError(
        "No home directory is known (HOME is unset, empty or relative, and the user has no "
        f"account entry), so there is no ~/.infrai/credentials. Set HOME, or set {API_KEY_ENV}."
    )


def _environment_home() -> str:
    """``~`` as Python expands it, except that an empty ``HOME`` means none, not ``/``."""
    return "" if os.environ.get("HOME") == "" else os.path.expanduser("~")


def _account_home() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return ""


@contextlib.contextmanager
def _open_small_regular_file(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield the open descriptor and the bytes of ``path``, refusing anything unusual.

    The kind is checked before opening (opening some devices acts on them) and again on
    the descriptor (the path may have been swapped); ``O_NONBLOCK`` keeps a FIFO from
    blocking the open. At most :data:`MAX_FILE_BYTES` are read, whatever ``fstat`` said.
    Raises ``FileNotFoundError`` when there is no file.
    """
    try:
        _require_small_regular_file(os.stat(path), path)
        descriptor = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise _unusable(path, f"Cannot read {path}: {exc.strerror}.") from None
    try:
        _require_small_regular_file(os.fstat(descriptor), path)
        yield descriptor, _read_at_most(descriptor, MAX_FILE_BYTES, path)
    finally:
        os.close(descriptor)


def _require_small_regular_file(status: os.stat_result, path: Path) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise _unusable(path, f"Cannot read {path}: it is {_kind(status.st_mode)}, not a file.")
    if status.st_size > MAX_FILE_BYTES:
        raise _unusable(path, f"{path} is too large ({status.st_size} bytes) to be credentials.")


def _read_at_most(descriptor: int, limit: int, path: Path) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(descriptor, limit + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise _unusable(path, f"{path} is too large (over {limit} bytes) to be credentials.")
    return b"".join(chunks)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _parse(data: bytes, path: Path) -> tuple[StoredCredentials, list[KeptAccount]]:
    """The default account and every kept one in ``data``, each field of its type.

    A file of an earlier version has no ``accounts``: its one account is kept, active.
    """
    document = _json_object(data, path)
    default = _parse_account(document, path)
    entries = document.get("accounts", [])
    if not isinstance(entries, list):
        raise _unusable(path, f"{path} has accounts = {_json_kind(entries)}, not a list.")
    kept: list[KeptAccount] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise _unusable(path, f"{path} lists {_json_kind(entry)} among its accounts.")
        kept.append(KeptAccount(_parse_account(entry, path), _field(entry, "active", False, path)))
    return default, keep(kept, default, activate=False)


def _parse_account(document: dict[str, object], path: Path) -> StoredCredentials:
    api_key = document.get("api_key")
    if not isinstance(api_key, str):
        found = "no api_key" if "api_key" not in document else f"api_key = {_json_kind(api_key)}"
        raise _unusable(path, f"{path} has {found}, where the project key belongs.")
    stored = StoredCredentials(
        api_key=checked_key(api_key, str(path), _file_fix(path)),
        base_url=_field(document, "base_url", HOSTED_BASE_URL, path),
        region=_field(document, "region", "auto", path),
        account_id=_field(document, "account_id", "", path),
        project_id=_field(document, "project_id", "", path),
        sandbox=_field(document, "sandbox", False, path),
    )
    if not stored.base_url:
        raise _unusable(path, f"{path} has an empty base_url: the key's server is unknown.")
    return stored


def _field(document: dict[str, object], name: str, default: FieldT, path: Path) -> FieldT:
    value = document.get(name, default)
    if type(value) is not type(default):
        expected = "true or false" if isinstance(default, bool) else "text"
        raise _unusable(path, f"{path} has {name} = {_json_kind(value)}, not {expected}.")
    return value


def _json_object(data: bytes, path: Path) -> dict[str, object]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        raise _unusable(path, f"{path} is UTF-16 or binary, not UTF-8 text.")
    try:
        document = json.loads(data.decode("utf-8-sig"))  # a BOM from Notepad is harmless
    except UnicodeDecodeError:
        raise _unusable(path, f"{path} is not UTF-8 text.") from None
    except (ValueError, RecursionError):
        raise _unusable(path, f"{path} is not JSON.") from None
    if not isinstance(document, dict):
        raise _unusable(path, f"{path} holds {_json_kind(document)}, not a JSON object.")
    return document


def _json_kind(value: object) -> str:
    """Name a JSON value's type without showing it: it may be a key."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    kinds = {str: "text", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return kinds.get(type(value), type(value).__name__)


def _unusable(path: Path, problem: str) -> CredentialsError:
    return CredentialsError(
        f"{problem} Repair the file by hand, or move it aside and run infra.activate() "
        f"again; or set {API_KEY_ENV}, which is used instead of the file. Keep the old "
        "file: it may hold your only copy of a key, and the key is the account."
    )


# ------------------------------------------------------------- permissions


def _make_file_private(descriptor: int, path: Path, key: str | None) -> None:
    mode = stat.S_IMODE(os.fstat(descriptor).st_mode)
    if _POSIX_MODES and mode & 0o077:
        _tighten(lambda: os.fchmod(descriptor, 0o600), path, mode, 0o600, key)


def _make_directory_private(path: Path) -> None:
    """Tighten ``~/.infrai``; a directory the caller chose for ``path`` is theirs to set."""
    directory = path.parent
    if not _POSIX_MODES or not _is_default_directory(directory):
        return
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(os.stat(directory).st_mode)
        if mode & 0o077:
            _tighten(lambda: os.chmod(directory, 0o700), directory, mode, 0o700, None)


def _is_default_directory(directory: Path) -> bool:
    try:
        return directory == credentials_path().parent
    except CredentialsError:
        return False


def _tighten(
    change: Callable[[], None], path: Path, mode: int, private: int, key: str | None
) -> None:
    holding = f" (holding the key {mask_key(key)})" if key else ""
    try:
        change()
    except OSError as exc:
        logger.warning(
            "%s%s is open to other users (mode %03o) and could not be made private: %s. "
            "Run: chmod %03o %s",
            path,
            holding,
            mode,
            exc.strerror,
            private,
            path,
        )
        return
    logger.warning(
        "%s%s was open to other users (mode %03o); made it private (%03o). "
        "Anyone who read it could use the key.",
        path,
        holding,
        mode,
        private,
    )


# ------------------------------------------------------------------ writing


@contextlib.contextmanager
def _writers_lock(path: Path) -> Iterator[None]:
    """Hold the writers' lock of ``path``: one writer at a time, across processes.

    The lock is taken on ``credentials.lock`` beside the file (it never holds a key),
    not on the file itself, which each write replaces. A lock file opened for writing
    is what ``flock`` needs on NFS, where many JupyterHub homes live. Closing the
    descriptor, or the process dying, releases the lock.
    """
    _create_private_directory(path.parent)
    _make_directory_private(path)
    lock_path = path.with_name(path.name + ".lock")
    try:
        descriptor = os.open(lock_path, _LOCK_FILE_FLAGS, 0o600)
    except OSError as exc:
        raise CredentialsError(
            f"Cannot open the lock file {lock_path}: {exc.strerror}. Remove whatever is in "
            "its place (it is never a key), then try again."
        ) from None
    try:
        with _held(descriptor):
            yield
    finally:
        os.close(descriptor)


def _create_private_directory(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise CredentialsError(
            f"Cannot create {directory} for the credentials: {exc.strerror}. Set HOME to a "
            f"writable directory, or keep the key in {API_KEY_ENV}."
        ) from None


# A link in place of the lock file is refused, not followed to wherever it points.
_LOCK_FILE_FLAGS = os.O_RDWR | os.O_CREAT | _O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)

if sys.platform == "win32":  # no flock: lock the first byte of the lock file
    import msvcrt

    @contextlib.contextmanager
    def _held(descriptor: int) -> Iterator[None]:
        while True:
            try:
                msvcrt.locking(descriptor, msvcrt.LK_LOCK, 1)
                break
            except OSError:  # LK_LOCK gives up after ten seconds; keep waiting
                continue
        try:
            yield
        finally:
            os.lseek(descriptor, 0, os.SEEK_SET)
            msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    @contextlib.contextmanager
    def _held(descriptor: int) -> Iterator[None]:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield  # closing the descriptor releases the lock


def _replace_file(path: Path, default: StoredCredentials, accounts: list[KeptAccount]) -> None:
    """Write a private temporary file, then swap it in: the file is always whole.

    The temporary file is created 0600 inside the 0700 directory; a crash before the
    swap leaves it there, and the next writer (holding the lock, so no write is in
    flight) removes every leftover of this pattern.
    """
    _remove_leftovers(path)
    descriptor, temporary_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as temporary:
            json.dump(_document(default, accounts), temporary, indent=2, sort_keys=True)
            temporary.write("\n")
            temporary.flush()
            os.fsync(temporary.fileno())
        os.replace(temporary_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary_name)
        raise
    _sync_directory(path.parent)


def _document(default: StoredCredentials, accounts: list[KeptAccount]) -> dict[str, object]:
    kept = [{**asdict(entry.credentials), "active": entry.active} for entry in accounts]
    return {**asdict(default), "accounts": kept}


def _remove_leftovers(path: Path) -> None:
    leftover = re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.tmp")
    for entry in os.scandir(path.parent):
        if leftover.fullmatch(entry.name) and not entry.is_dir(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)


def _sync_directory(directory: Path) -> None:
    """Make the swap itself durable, so a power cut cannot bring back the old file."""
    with contextlib.suppress(OSError):  # not possible on every platform or filesystem
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# -------------------------------------------------------------- resolution


def resolve_config(
    api_key: str | ApiKey | None = None,
    base_url: str | None = None,
    *,
    environ: dict[str, str] | None = None,
    path: Path | None = None,
) -> ResolvedConfig:
    """Apply the resolution order of this module's docstring."""
    environ = dict(os.environ) if environ is None else environ
    explicit_base_url = base_url or environ.get(BASE_URL_ENV) or None
    if api_key:
        key = checked_key(api_key, "the api_key argument", _ARGUMENT_FIX)
        return ResolvedConfig(key, "argument", explicit_base_url or HOSTED_BASE_URL)
    if environ.get(API_KEY_ENV):
        key = checked_key(environ[API_KEY_ENV], f"the {API_KEY_ENV} environment variable", _ENV_FIX)
        destination = explicit_base_url or HOSTED_BASE_URL
        _notice_environment_key_destination(key, destination)
        return ResolvedConfig(key, API_KEY_ENV, destination)
    document = _load_document(path)
    stored: StoredCredentials | None = None
    if document is not None:
        default, kept = document
        stored = default if explicit_base_url is None else active_for(kept, explicit_base_url)
    if stored is not None:
        source = str(path or credentials_path())
        return ResolvedConfig(stored.api_key, source, stored.base_url, stored.region)
    return ResolvedConfig(None, "none", explicit_base_url or HOSTED_BASE_URL)


_noticed_destinations: set[tuple[str, str]] = set()


def _notice_environment_key_destination(key: str, base_url: str) -> None:
    """Log once per (key, server) when the environment's key goes to a third server.

    ``INFRAI_API_KEY`` is set for every notebook of a user, so a base URL pointed at
    someone else's server hands that server the key. The hosted API and this machine
    are expected; anything else is said once, on the logger (a ``warnings.warn`` would
    become an exception under ``-W error``, refusing a proxy the user chose on purpose).
    """
    origin = _third_party_origin(base_url)
    if origin is None or (mask_key(key), origin) in _noticed_destinations:
        return
    _noticed_destinations.add((mask_key(key), origin))
    logger.warning(
        "The key in %s (%s) goes to %s, which is neither the hosted infrai API (%s) nor "
        "this machine: whoever runs that server can spend its balance. If you did not mean "
        "that, unset %s or pass another base_url. (Said once per key and server.)",
        API_KEY_ENV,
        mask_key(key),
        origin,
        HOSTED_BASE_URL,
        BASE_URL_ENV,
    )


def _third_party_origin(base_url: str) -> str | None:
    """``scheme://host[:port]`` of a server that is not hosted nor loopback, else ``None``."""
    try:
        parts = urlsplit(base_url.strip())
        host, port = (parts.hostname or ""), parts.port
    except ValueError:
        return None  # not a URL at all: the client refuses it before anything is sent
    origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}".lower()
    hosted = urlsplit(HOSTED_BASE_URL)
    if not host or _is_loopback(host):
        return None
    if (parts.scheme, host, port or 443) == (hosted.scheme, hosted.hostname, 443):
        return None
    return origin


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_ARGUMENT_FIX = (
    "Pass the full key as activation returned it: ifr_pk_proj_ followed by letters, "
    "digits, '_' and '-' (strip what you read from a file)."
)
_ENV_FIX = (
    f"Set {API_KEY_ENV} to the full key in the shell that starts Jupyter (not with %env, "
    "which saves the key in the notebook), sign in with %infrai_login instead, or unset it "
    "to use the saved credentials."
)


def checked_key(key: str | ApiKey, source: str, fix: str) -> str:
    """The key from ``source`` once :func:`check_key` accepts it, else an InvalidKeyError.

    The error names where the key came from and how to fix it there; the key is masked.
    """
    try:
        return check_key(key)
    except KeyFormatError as exc:
        raise InvalidKeyError(f"{exc} It came from {source}. {fix}") from None


def _file_fix(path: Path) -> str:
    return (
        f"Correct it in {path}, or set {API_KEY_ENV} to a valid key. Do not delete the "
        "file if it holds your only copy of the key: the key is the account and its money."
    )


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
            with _open_small_regular_file(Path(name)) as (_, data):
                value = data.decode("ascii").strip()
            if value and value.isprintable():
                return value
    return f"node-{uuid.getnode():012x}"


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (ImportError, KeyError, OSError):  # no USER variable, no account entry
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown-user"
