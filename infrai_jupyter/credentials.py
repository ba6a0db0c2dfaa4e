"""Where the project key comes from, how it is kept on disk, and how it is shown.

Resolution order, first match wins (documented in the README):

1. an explicit ``api_key=`` / ``base_url=`` argument;
2. the ``INFRAI_API_KEY`` / ``INFRAI_BASE_URL`` environment variables;
3. ``~/.infrai/credentials``, written by ``infra.activate()``; its base URL is used
   only together with its key, so an environment key never goes to a stored host;
4. no key, and the hosted API at ``https://api.infrai.cc``.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import ipaddress
import json
import logging
import os
import tempfile
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from .contract import HOSTED_BASE_URL, mask_key
from .contract.keys import KeyFormatError, check_key
from .errors import CredentialsError, InvalidKeyError

logger = logging.getLogger("infrai_jupyter")

API_KEY_ENV = "INFRAI_API_KEY"
BASE_URL_ENV = "INFRAI_BASE_URL"
_FINGERPRINT_SALT = b"infrai-device-fingerprint-v1\x00"
_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")


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
    return Path.home() / ".infrai" / "credentials"


def load_credentials(path: Path | None = None) -> StoredCredentials | None:
    """Read the credentials file; ``None`` when there is none."""
    path = path or credentials_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CredentialsError(f"Cannot read {path}: {exc.strerror}.") from exc
    try:
        document = json.loads(text)
        stored = StoredCredentials(
            api_key=str(document["api_key"]),
            base_url=str(document.get("base_url") or HOSTED_BASE_URL),
            region=str(document.get("region") or "auto"),
            account_id=str(document.get("account_id") or ""),
            project_id=str(document.get("project_id") or ""),
            sandbox=document.get("sandbox") is True,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CredentialsError(
            f"{path} is not a valid infrai credentials file. Delete it and run "
            "infra.activate() again, or set INFRAI_API_KEY."
        ) from exc
    api_key = checked_key(stored.api_key, str(path), _file_fix(path))
    return replace(stored, api_key=api_key)


def write_credentials(credentials: StoredCredentials, path: Path | None = None) -> Path:
    """Save credentials atomically, readable by the owner only (0600 in a 0700 directory).

    The text goes to a private temporary file in the same directory that then replaces
    the old file in one step, so a crash leaves either the old file or the new one.
    """
    path = path or credentials_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    descriptor, temporary_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as temporary:
            json.dump(asdict(credentials), temporary, indent=2, sort_keys=True)
            temporary.write("\n")
            temporary.flush()
            os.fsync(temporary.fileno())
        os.replace(temporary_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary_name)
        raise
    return path


def save_activation(credentials: StoredCredentials, path: Path | None = None) -> Path | None:
    """Save an activation's credentials, unless a sandbox key would replace a real one.

    A demo against the sandbox must never cost a user the key of their real account,
    so a sandbox activation only writes where no file, or another sandbox's, exists.
    Says what it did on the ``infrai_jupyter`` logger, the key masked. Returns where
    it wrote, or ``None`` when it left the file alone.
    """
    path = path or credentials_path()
    masked = mask_key(credentials.api_key)
    if credentials.sandbox and not _replaceable_by_sandbox(path):
        logger.warning(
            "Not saving the sandbox key %s: %s holds a real key (or one that cannot be "
            "read), which a sandbox key never replaces.",
            masked,
            path,
        )
        return None
    write_credentials(credentials, path)
    logger.info("Saved credentials for %s to %s", masked, path)
    return path


def _replaceable_by_sandbox(path: Path) -> bool:
    try:
        existing = load_credentials(path)
    except CredentialsError:
        return False
    return existing is None or existing.sandbox


def resolve_config(
    api_key: str | None = None,
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
    stored = load_credentials(path)
    if stored is not None and (
        explicit_base_url is None or explicit_base_url.rstrip("/") == stored.base_url.rstrip("/")
    ):
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
    f"Set {API_KEY_ENV} to the full key (%env {API_KEY_ENV}=ifr_pk_proj_...), "
    "or unset it to use the saved credentials."
)


def checked_key(key: str, source: str, fix: str) -> str:
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
    name, home directory) are hashed together and never leave the machine.
    """
    digest = hashlib.sha256(_FINGERPRINT_SALT)
    for part in (_machine_id(), getpass.getuser(), str(Path.home())):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    return digest.hexdigest()


def _machine_id() -> str:
    for name in _MACHINE_ID_FILES:
        with contextlib.suppress(OSError):
            value = Path(name).read_text(encoding="ascii").strip()
            if value:
                return value
    return f"node-{uuid.getnode():012x}"
