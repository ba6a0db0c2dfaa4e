"""Cards about the session itself: what it is connected to, and the embedded sandbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..contract import mask_key
from .card import Card, CardField, CardTable
from .view import origin_of

_KEY_SOURCES = {
    "none": "nowhere yet",
    "argument": "passed to the client",
    "activation": "activation in this session",
    "INFRAI_API_KEY": "the INFRAI_API_KEY environment variable",
}


def session_card(
    *,
    base_url: str,
    api_key: str | None,
    key_source: str,
    region: str,
    embedded_sandbox: bool,
    commands: Sequence[tuple[str, str]],
) -> Card:
    """``%infrai``: base URL, key source and masked key, region, and what to type next."""
    if embedded_sandbox:
        mode = "sandbox (running in this kernel)"
    else:
        mode = "hosted API" if origin_of(base_url, "") == "hosted" else "custom server"
    notes: tuple[str, ...] = ()
    if api_key is None:
        notes = ("No project key yet: run %infrai_activate, or set INFRAI_API_KEY.",)
    return Card(
        kind="session",
        title="infrai session",
        fields=(
            CardField("Connected to", base_url, "code"),
            CardField("Mode", mode),
            CardField("Project key", mask_key(api_key), "code"),
            CardField("Key from", _KEY_SOURCES.get(key_source, key_source)),  # or a file's path
            CardField("Region", region),
        ),
        table=CardTable(("Magic", "What it does"), tuple(commands), code_columns=(0,)),
        notes=notes,
        tone="normal" if api_key else "warning",
    )


SandboxChange = Literal["status", "stopped", "nothing to stop", "left"]

_STOPPED_NOTES: dict[SandboxChange, tuple[str, str]] = {
    "stopped": ("Sandbox stopped", "The session uses its usual API again."),
    "nothing to stop": (
        "No sandbox was running",
        "Nothing was stopped; the session uses its usual API.",
    ),
    "status": ("No sandbox is running", "The session uses its usual API."),
    "left": (
        "Left the class sandbox",
        "The session uses your usual settings again: %infrai shows them.",
    ),
}


CheckoutRoute = Literal["loopback", "setting", "jupyter proxy", "colab", "colab unavailable"]
"""How the browser reaches the embedded sandbox's checkout pages (``magics.remote``)."""

_ROUTE_NOTES: dict[CheckoutRoute, str] = {
    "loopback": "Checkout opens on the kernel's computer only: if your browser runs "
    "elsewhere, set %config InfraiMagics.sandbox_public_url (README: Where a class runs).",
    "setting": "Checkout opens at the address InfraiMagics.sandbox_public_url names.",
    "jupyter proxy": "Checkout opens through the Jupyter server's proxy at {public_url}, so "
    "your browser reaches it wherever it runs (the server needs jupyter-server-proxy).",
    "colab": "Checkout opens at the public address Colab gives this kernel's port.",
    "colab unavailable": "Colab did not name a public address for this port in time, so "
    "checkout opens on the kernel's machine only, which your browser cannot reach: run "
    "%infrai_sandbox stop, then %infrai_sandbox start, to ask again.",
}

_SETTING_CHANGED = (
    "InfraiMagics.sandbox_public_url changed since the sandbox started: it applies from "
    "the next start (%infrai_sandbox stop, then %infrai_sandbox start)."
)


def sandbox_card(
    url: str | None,
    change: SandboxChange = "status",
    *,
    public_url: str | None = None,
    route: CheckoutRoute = "loopback",
    setting_changed: bool = False,
) -> Card:
    """``%infrai_sandbox``: whether the embedded sandbox runs, where, and what just changed.

    ``url`` is where the kernel reaches it; ``public_url`` where a browser opens its
    checkout pages (``route`` says how that was found), when that is somewhere else.
    The copyable block holds only the next step: pasting it must never also stop the
    sandbox, so "when you are done" is a separate line.
    """
    if url is None:
        title, note = _STOPPED_NOTES[change]
        return Card(kind="sandbox", title=title, notes=(note,), commands=("%infrai_sandbox start",))
    checkout_at = public_url or url
    notes = (
        _ROUTE_NOTES[route].format(public_url=checkout_at),
        *((_SETTING_CHANGED,) if setting_changed else ()),
        "This session now talks to the sandbox: everything is offline and free. "
        "Next, get an account:",
    )
    return Card(
        kind="sandbox",
        title="Sandbox running",
        fields=(
            CardField("URL", url, "code"),
            CardField("OpenAPI", f"{url}/openapi.json", "code"),
            CardField("Checkout opens at", checkout_at, "code"),
            CardField("When you are done", "%infrai_sandbox stop", "code"),
        ),
        notes=notes,
        commands=("%infrai_activate",),
        tone="success" if route != "colab unavailable" else "warning",
    )


def joined_card(url: str) -> Card:
    """``%infrai_sandbox status`` after ``join``: the class's sandbox this session talks to."""
    return Card(
        kind="sandbox",
        title="In a class sandbox",
        fields=(
            CardField("URL", url, "code"),
            CardField("When you are done", "%infrai_sandbox stop", "code"),
        ),
        notes=(
            "This session talks to your class's sandbox: play money, and your own keys "
            "for other servers stay untouched.",
        ),
        tone="success",
    )
