"""Where each capability lives on the wire; the client and the sandbox both read this."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from pydantic import BaseModel

from .models import (
    ActivateRequest,
    TopupRequest,
    UpgradeRequest,
)

HOSTED_BASE_URL = "https://api.infrai.cc"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
IDEMPOTENT_REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class Route:
    """One endpoint: method, path, whether it needs a key, and its body model.

    What a route returns is named where it is used: the client's ``cast_to``, the
    sandbox's response model.

    ``charges_or_creates`` marks the calls that must carry an ``Idempotency-Key`` so a
    retried request never charges or creates twice.
    """

    method: str
    path: str
    body: type[BaseModel] | None = None
    authenticated: bool = True
    charges_or_creates: bool = False


ROUTES: dict[str, Route] = {
    "infra.activate": Route(
        "POST",
        "/v1/activate",
        ActivateRequest,
        authenticated=False,
        charges_or_creates=True,
    ),
    "account.balance": Route("GET", "/v1/account/balance"),
    "account.topup": Route("POST", "/v1/account/topup", TopupRequest, charges_or_creates=True),
    "account.topups.list": Route("GET", "/v1/account/topups"),
    "account.topups.retrieve": Route("GET", "/v1/account/topups/{topup_id}"),
    "account.keys.list": Route("GET", "/v1/account/keys"),
    "account.tier.upgrade": Route(
        "POST",
        "/v1/account/tier/upgrade",
        UpgradeRequest,
        charges_or_creates=True,
    ),
}


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine only: ``localhost`` or a loopback address.

    The client asks it before warning about a key bound elsewhere; the sandbox before
    binding beyond this machine and when it judges a request's ``Host``.
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
