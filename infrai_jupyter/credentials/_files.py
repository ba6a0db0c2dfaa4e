"""Where the file lives and how it is read, made private, locked and replaced."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

from .._i18n import N_, gettext
from ..contract import mask_key
from ..errors import CredentialsError
from ._format import API_KEY_ENV, unusable
from ._kept import (
    KeptAccount,
    StoredCredentials,
)

logger = logging.getLogger("infrai_jupyter")

MAX_FILE_BYTES = 64 * 1024  # a credentials file is a few hundred bytes
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_POSIX_MODES = os.name == "posix"  # elsewhere mode bits say nothing about who can read


def credentials_path() -> Path:
    """``~/.infrai/credentials`` of the current user."""
    return _home() / ".infrai" / "credentials"


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
        gettext(
            "No home directory is known (HOME is unset, empty or relative, and the user has no "
            "account entry), so there is no ~/.infrai/credentials. Set HOME, or set {variable}."
        ).format(variable=API_KEY_ENV)
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
def open_small_regular_file(path: Path) -> Iterator[tuple[int, bytes]]:
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
        raise unusable(
            path, gettext("Cannot read {path}: {error}.").format(path=path, error=exc.strerror)
        ) from None
    try:
        _require_small_regular_file(os.fstat(descriptor), path)
        yield descriptor, _read_at_most(descriptor, MAX_FILE_BYTES, path)
    finally:
        os.close(descriptor)


def _require_small_regular_file(status: os.stat_result, path: Path) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise unusable(
            path,
            gettext("Cannot read {path}: it is {kind}, not a file.").format(
                path=path, kind=_kind(status.st_mode)
            ),
        )
    if status.st_size > MAX_FILE_BYTES:
        raise unusable(
            path,
            gettext("{path} is too large ({size} bytes) to be credentials.").format(
                path=path, size=status.st_size
            ),
        )


def _read_at_most(descriptor: int, limit: int, path: Path) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(descriptor, limit + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise unusable(
                path,
                gettext("{path} is too large (over {limit} bytes) to be credentials.").format(
                    path=path, limit=limit
                ),
            )
    return b"".join(chunks)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, N_("a directory")),
        (stat.S_ISFIFO, N_("a named pipe")),
        (stat.S_ISCHR, N_("a character device")),
        (stat.S_ISBLK, N_("a block device")),
        (stat.S_ISSOCK, N_("a socket")),
    ):
        if test(mode):
            return gettext(name)
    return gettext("not a regular file")


# ------------------------------------------------------------- permissions


def make_file_private(descriptor: int, path: Path, key: str | None) -> None:
    mode = stat.S_IMODE(os.fstat(descriptor).st_mode)
    if _POSIX_MODES and mode & 0o077:
        _tighten(lambda: os.fchmod(descriptor, 0o600), path, mode, 0o600, key)


def make_directory_private(path: Path) -> None:
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
def writers_lock(path: Path) -> Iterator[None]:
    """Hold the writers' lock of ``path``: one writer at a time, across processes.

    The lock is taken on ``credentials.lock`` beside the file (it never holds a key),
    not on the file itself, which each write replaces. A lock file opened for writing
    is what ``flock`` needs on NFS, where many JupyterHub homes live. Closing the
    descriptor, or the process dying, releases the lock.
    """
    _create_private_directory(path.parent)
    make_directory_private(path)
    lock_path = path.with_name(path.name + ".lock")
    try:
        descriptor = os.open(lock_path, _LOCK_FILE_FLAGS, 0o600)
    except OSError as exc:
        raise CredentialsError(
            gettext(
                "Cannot open the lock file {path}: {error}. Remove whatever is in its place "
                "(it is never a key), then try again."
            ).format(path=lock_path, error=exc.strerror)
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
            gettext(
                "Cannot create {path} for the credentials: {error}. Set HOME to a writable "
                "directory, or keep the key in {variable}."
            ).format(path=directory, error=exc.strerror, variable=API_KEY_ENV)
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


def replace_file(path: Path, default: StoredCredentials, accounts: list[KeptAccount]) -> None:
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
