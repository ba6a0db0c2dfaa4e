"""Which key and base URL a client uses, and where each came from."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .._i18n import N_, gettext
from ..contract import HOSTED_BASE_URL, is_loopback_host, mask_key
from ..contract.keys import ApiKey
from ._files import credentials_path
from ._format import API_KEY_ENV, BASE_URL_ENV, checked_key
from ._kept import (
    StoredCredentials,
    active_for,
)
from ._store import load_document

logger = logging.getLogger("infrai_jupyter")


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
        key = checked_key(api_key, gettext("the api_key argument"), _ARGUMENT_FIX)
        return ResolvedConfig(key, "argument", explicit_base_url or HOSTED_BASE_URL)
    if environ.get(API_KEY_ENV):
        source = gettext("the {variable} environment variable").format(variable=API_KEY_ENV)
        key = checked_key(environ[API_KEY_ENV], source, _ENV_FIX)
        destination = explicit_base_url or HOSTED_BASE_URL
        _notice_environment_key_destination(key, destination)
        return ResolvedConfig(key, API_KEY_ENV, destination)
    document = load_document(path)
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
    if not host or is_loopback_host(host):
        return None
    if (parts.scheme, host, port or 443) == (hosted.scheme, hosted.hostname, 443):
        return None
    return origin


_ARGUMENT_FIX = N_(
    "Pass the full key as activation returned it: ifr_pk_proj_ followed by letters, "
    "digits, '_' and '-' (strip what you read from a file)."
)
_ENV_FIX = N_(
    "Set INFRAI_API_KEY to the full key in the shell that starts Jupyter (not with %env, "
    "which saves the key in the notebook), sign in with %infrai_login instead, or unset it "
    "to use the saved credentials."
)
