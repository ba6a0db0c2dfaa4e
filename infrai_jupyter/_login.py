"""Sign in with a key you already have: check it with one call, then adopt it.

Used by ``%infrai_login`` (password field, ``getpass`` or Colab's secrets) and by
``account.login(key)``. The key is checked against the session's server before the
session uses it, so a mistyped key never replaces a working one; it is saved to disk
only when asked (``save=True``), kept beside every other key (nothing is dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _default
from ._client import InfraiClient
from ._i18n import N_, gettext
from .contract import mask_key
from .credentials import StoredCredentials, checked_key, write_credentials
from .results import Balance

COLAB_SECRET_NAME = "INFRAI_API_KEY"
_FIX = N_("Paste the whole key as activation returned it (ifr_pk_proj_…).")


@dataclass(frozen=True)
class SignedIn:
    """What a sign-in did: the key (masked), its server, the balance it read, and
    whether the key was saved to disk."""

    masked_key: str
    base_url: str
    balance: Balance
    saved: bool

    def __str__(self) -> str:
        said = (
            gettext(
                "Signed in with {key} on {server} and saved it to ~/.infrai/credentials; "
                "balance {amount} {currency}."
            )
            if self.saved
            else gettext(
                "Signed in with {key} on {server} (not saved to disk); balance {amount} {currency}."
            )
        )
        return said.format(
            key=self.masked_key,
            server=self.base_url,
            amount=self.balance.balance_usd,
            currency=self.balance.currency,
        )


def sign_in(key: str, *, source: str, save: bool) -> SignedIn:
    """Check ``key`` with one balance call, then make it the session's key.

    Raises :class:`~infrai_jupyter.errors.InvalidKeyError` for a malformed key (nothing
    sent) and the API's error (e.g. ``AuthenticationError``) for a refused one; either
    way the session keeps the key it had.
    """
    key = checked_key(key, source, _FIX)
    session = _default.default_client()
    with InfraiClient(
        api_key=key,
        base_url=session.base_url,
        timeout=session.timeout,
        max_retries=session.max_retries,
    ) as probe:
        balance = probe.account.balance()
    session.use_key(key, f"{source} (checked)")
    if save:
        write_credentials(StoredCredentials(api_key=key, base_url=session.base_url))
    return SignedIn(mask_key(key), session.base_url, balance, save)


def sign_out() -> str | None:
    """Forget the session's key (the disk is untouched); returns it masked, or ``None``."""
    session = _default.default_client()
    key = session.config.api_key
    session.use_key(None, "none (signed out)")
    return mask_key(key) if key else None


def colab_secret() -> str | None:
    """The ``INFRAI_API_KEY`` secret of Google Colab, when running there and it is granted."""
    try:
        from google.colab import userdata  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        value = userdata.get(COLAB_SECRET_NAME)
    except Exception:  # Colab raises its own types: not set, access refused
        return None
    return value if isinstance(value, str) and value else None
