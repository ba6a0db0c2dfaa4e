"""A hosted-like test server: the seed's routes only, not the sandbox, on loopback.

It answers as the hosted API would (vendor ``infrai``, no sandbox extras): activate,
balance, top-up, keys and tier upgrade, with an exact cost in each envelope. It has no
``GET /v1/account/topups/{id}`` (the seed does not document it), so clients must cope
with a 404 there. ``pay(topup_id)`` settles a top-up as a real checkout would.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TIER_PRICES = {"free": Decimal("0"), "pro": Decimal("20"), "team": Decimal("99")}
CALL_COST = Decimal("0.0005")  # sub-cent, as metered APIs charge
Reply = tuple[int, Any, "Decimal | None"]


class HostedLikeServer:
    """Start with ``with HostedLikeServer() as server:``; ``server.url`` is its base URL."""

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, Any]] = {}  # key -> account
        self.topups: dict[str, tuple[str, Decimal]] = {}  # id -> (key, amount)
        self.lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def __enter__(self) -> HostedLikeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def pay(self, topup_id: str) -> None:
        with self.lock:
            key, amount = self.topups.pop(topup_id)
            self.accounts[key]["balance"] += amount

    def answer(self, method: str, path: str, key: str | None, body: dict[str, Any]) -> Reply:
        """``(200, data, cost)``, or ``(status, (code, message), None)`` for an error."""
        if (method, path) == ("POST", "/v1/activate"):
            return self._activate()
        account = self.accounts.get(key or "")
        if account is None:
            return 401, ("UNAUTHENTICATED", "Unknown project key."), None
        if (method, path) == ("GET", "/v1/account/balance"):
            return 200, {"balance_usd": str(account["balance"]), "currency": "USD"}, CALL_COST
        if (method, path) == ("POST", "/v1/account/topup"):
            topup_id = f"top_{uuid.uuid4().hex[:12]}"
            self.topups[topup_id] = (key or "", Decimal(str(body["amount_usd"])))
            return (
                200,
                {
                    "topup_id": topup_id,
                    "amount_usd": str(body["amount_usd"]),
                    "state": "requires_payment",
                    "checkout_url": f"{self.url}/pay/{topup_id}",
                },
                CALL_COST,
            )
        if (method, path) == ("POST", "/v1/account/tier/upgrade"):
            return self._upgrade(account, body["target_tier"])
        return 404, ("NOT_FOUND", f"No route {method} {path}."), None

    def _activate(self) -> Reply:
        key = "ifr_pk_proj_" + secrets.token_urlsafe(24)
        account = {"id": f"acct_{uuid.uuid4().hex[:12]}", "balance": Decimal("2"), "tier": "free"}
        self.accounts[key] = account
        return (
            200,
            {
                "account_id": account["id"],
                "project_id": f"proj_{uuid.uuid4().hex[:12]}",
                "primary_api_key": key,
                "trial_credit_usd": "2.00",
                "region": "western",
            },
            Decimal("0"),
        )

    def _upgrade(self, account: dict[str, Any], tier: str) -> Reply:
        price = Decimal("0") if tier == account["tier"] else TIER_PRICES[tier]
        if account["balance"] < price:
            return 402, ("INSUFFICIENT_CREDIT", "Not enough credit for this tier."), None
        account["balance"] -= price
        account["tier"] = tier
        summary = {
            "account_id": account["id"],
            "kind": "anonymous",
            "status": "active",
            "tier": tier,
            "balance_usd": str(account["balance"]),
        }
        return 200, summary, price


def _handler(server: HostedLikeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            auth = self.headers.get("Authorization", "")
            key = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
            with server.lock:
                answer = server.answer(self.command, self.path, key, body)
            status, content, cost = answer
            metadata = {
                "cost_usd": str(cost or 0),
                "latency_ms": 1,
                "vendor": "infrai",
                "cache_hit": False,
                "request_id": str(uuid.uuid4()),
            }
            if status == 200:
                document = {"ok": True, "data": content, "error": None, "metadata": metadata}
            else:
                code, message = content
                error = {"code": code, "message": message, "details": {}}
                document = {"ok": False, "data": None, "error": error, "metadata": metadata}
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
