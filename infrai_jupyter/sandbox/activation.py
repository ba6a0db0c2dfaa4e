"""Who may see an activation's project key again when the activation is replayed.

An activation's response holds the new project key, which must never be at rest in
clear, so its stored replay has the key masked. A replay hands the key back only to a
caller that proves it sent the first request, by presenting the same Idempotency-Key
when that key is a secret: at least ``SECRET_KEY_MIN_LENGTH`` characters (the client
sends ``ik_`` and 32 random hex digits, so its own retry of a lost response qualifies).

Such an activation's project key is an HMAC of that Idempotency-Key and the new account
id under the database's secret, so a replay makes the same key again instead of
reading a stored one; only hashes of both keys are stored. A short Idempotency-Key
could be guessed by anyone who knows the device fingerprint (another user of the same
machine), so its replay shows the account with the key masked and a notice saying why.
A leaked Idempotency-Key alone never yields the key (the HMAC needs the database's
secret); through the API it yields it only within the replay window, to someone who
also knows the fingerprint.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from infrai_jupyter.contract import PROJECT_KEY_PREFIX, mask_key

from . import service
from .context import Sandbox
from .i18n import N_, PageLanguage
from .idempotency import Payload, StoredResponse

SECRET_KEY_MIN_LENGTH = 32
"""An Idempotency-Key this long is treated as a secret only its sender knows."""

_WITHHELD_NOTICE = N_(
    "This device already activated with this Idempotency-Key; the project key is shown "
    "again only to a caller whose Idempotency-Key is a secret of at least "
    "{length} characters. Use the key you received then, or activate "
    "again with a new Idempotency-Key."
)


class KeyReplay:
    """The key rules of one activation request, given its Idempotency-Key."""

    def __init__(self, sandbox: Sandbox, idempotency_key: str | None) -> None:
        self._sandbox = sandbox
        secret = idempotency_key is not None and len(idempotency_key) >= SECRET_KEY_MIN_LENGTH
        self._proof = idempotency_key if secret else None

    def issue_key(self, account_id: str) -> str:
        """The new account's key: replayable when the request carries a secret."""
        if self._proof is None:
            return service.random_project_key(account_id)
        return self._replayable_key(account_id)

    @staticmethod
    def redact(payload: Payload) -> Payload:
        """What may be stored: the response with the key masked."""
        data = payload.get("data")
        if not data:
            return payload
        masked = mask_key(data["primary_api_key"])
        return {**payload, "data": {**data, "primary_api_key": masked}}

    def restore(self, replay: StoredResponse, language: PageLanguage) -> StoredResponse:
        """The stored response with its key again, if this caller proved it sent it;
        else with a notice (in this request's ``language``) saying why not."""
        data = replay.payload.get("data")
        if not data:
            return replay
        if self._proof is not None:
            key = self._replayable_key(data["account_id"])
            with self._sandbox.store.transaction(write=False) as tx:
                owner = tx.find_account_by_key(service.sha256(key))
            if owner is not None and owner.account_id == data["account_id"]:
                return _with_data(replay, {**data, "primary_api_key": key})
        notice = language.gettext(_WITHHELD_NOTICE).format(length=SECRET_KEY_MIN_LENGTH)
        return _with_data(replay, {**data, "notice": notice})

    def _replayable_key(self, account_id: str) -> str:
        message = f"infrai sandbox project key\0{self._proof}\0{account_id}".encode()
        digest = hmac.new(self._sandbox.secret, message, hashlib.sha256).digest()
        return PROJECT_KEY_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _with_data(response: StoredResponse, data: Payload) -> StoredResponse:
    return StoredResponse(response.status_code, {**response.payload, "data": data})
