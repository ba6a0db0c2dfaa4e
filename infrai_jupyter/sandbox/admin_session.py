"""Who may use the teacher's page: the admin token, the session cookie, the form token.

The token is typed once into the sign-in form (never put in a URL, where the address
bar, the history and uvicorn's access log would keep it). Signing in sets a cookie
``issued.nonce.mac``: the MAC is keyed by the database's secret and the admin token
together, so every worker of one server accepts it, a restart with another token
ends every session, and it lapses after ``SESSION_SECONDS``. Forms carry a token
bound to the session (``checkout.form_token`` under the same key): a page of another
site can make the browser POST here, but cannot read ours, so it cannot send it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from .checkout import form_token

COOKIE = "infrai_admin"
SESSION_SECONDS = 12 * 3600


def new_admin_token() -> str:
    """A token to print at start: 24 URL-safe characters (144 random bits)."""
    return secrets.token_urlsafe(18)


def token_matches(given: str, admin_token: str) -> bool:
    """Compare in constant time, so response times tell a guesser nothing."""
    return hmac.compare_digest(given.encode(), admin_token.encode())


def _key(secret: bytes, admin_token: str) -> bytes:
    message = b"infrai sandbox admin session\0" + admin_token.encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


def _mac(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def new_session(secret: bytes, admin_token: str, now: float) -> str:
    """The cookie value of a fresh sign-in."""
    payload = f"{int(now)}.{secrets.token_urlsafe(16)}"
    return f"{payload}.{_mac(_key(secret, admin_token), payload)}"


def session_of(cookie: str | None, secret: bytes, admin_token: str, now: float) -> str | None:
    """The session a cookie names, if this server issued it and it has not lapsed."""
    if not cookie or cookie.count(".") != 2:
        return None
    payload, mac = cookie.rsplit(".", 1)
    if not hmac.compare_digest(mac.encode(), _mac(_key(secret, admin_token), payload).encode()):
        return None
    issued = int(payload.split(".", 1)[0])
    return payload if 0 <= now - issued < SESSION_SECONDS else None


def csrf_token(secret: bytes, admin_token: str, session: str) -> str:
    """The hidden field every teacher's form carries: only our pages can know it."""
    return form_token(_key(secret, admin_token), "admin", session)
