"""Cards about the session itself: what it is connected to, and the embedded sandbox."""

from __future__ import annotations

from ..contract import HOSTED_BASE_URL, mask_key
from ..credentials import ResolvedConfig
from ..display import Card, CardField, CardTable

MAGICS = (
    ("%infrai", "what this session is connected to"),
    ("%infrai_activate", "anonymous account with trial credit"),
    ("%infrai_balance [--watch S]", "the wallet balance"),
    ("%infrai_topup [AMOUNT]", "add funds: checkout link, or the form"),
    ("%infrai_keys", "the project keys"),
    ("%infrai_upgrade TIER", "change the tier, e.g. pro"),
    ("%infrai_sandbox start|stop|status", "the offline sandbox API"),
)


def session_card(config: ResolvedConfig, sandbox_url: str | None) -> Card:
    """``%infrai``: base URL, key source and masked key, region, and the magics."""
    if sandbox_url and config.base_url == sandbox_url:
        mode = "sandbox (running in this kernel)"
    elif config.base_url.rstrip("/") == HOSTED_BASE_URL:
        mode = "hosted API"
    else:
        mode = "custom server"
    notes: tuple[str, ...] = ()
    if config.api_key is None:
        notes = ("No project key yet: run %infrai_activate, or set INFRAI_API_KEY.",)
    return Card(
        kind="session",
        title="infrai session",
        fields=(
            CardField("Connected to", config.base_url, "code"),
            CardField("Mode", mode),
            CardField("Project key", mask_key(config.api_key), "code"),
            CardField("Key from", _describe_source(config.key_source)),
            CardField("Region", config.region),
        ),
        table=CardTable(("Magic", "What it does"), MAGICS),
        notes=notes,
        tone="normal" if config.api_key else "warning",
    )


def sandbox_card(url: str | None) -> Card:
    """``%infrai_sandbox``: whether the embedded sandbox runs, and where."""
    if url is None:
        return Card(
            kind="sandbox",
            title="Sandbox stopped",
            notes=("The session uses its usual API again.",),
            commands=("%infrai_sandbox start",),
        )
    return Card(
        kind="sandbox",
        title="Sandbox running",
        fields=(CardField("URL", url, "code"), CardField("OpenAPI", f"{url}/openapi.json", "code")),
        notes=("This session now talks to the sandbox: everything is offline and free.",),
        commands=("%infrai_activate", "%infrai_sandbox stop"),
        tone="success",
    )


def _describe_source(source: str) -> str:
    return {
        "none": "nowhere yet",
        "argument": "passed to the client",
        "activation": "activation in this session",
        "INFRAI_API_KEY": "the INFRAI_API_KEY environment variable",
    }.get(source, source)
