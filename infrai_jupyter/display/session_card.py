"""Cards about the session itself: what it is connected to, and the embedded sandbox.

Their words are marked with ``N_`` where they are tables (import time) and translated
with ``gettext`` as each card is built, so a card follows the language of the moment.
A key's source is kept as the client records it (``"INFRAI_API_KEY"``, a path …) and
said in the reader's language only here (:func:`key_source_label`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from .._i18n import N_, gettext
from ..contract import mask_key
from .card import Card, CardField, CardTable
from .view import origin_of

_KEY_SOURCES = {
    "none": N_("nowhere yet"),
    "none (signed out)": N_("nowhere: signed out"),
    "argument": N_("passed to the client"),
    "activation": N_("activation in this session"),
    "INFRAI_API_KEY": N_("the INFRAI_API_KEY environment variable"),
    "the account kept for this class": N_("the account kept for this class"),
    "%infrai_login (checked)": N_("%infrai_login (checked)"),
    "Colab (checked)": N_("the Colab secret INFRAI_API_KEY (checked)"),
}


def key_source_label(source: str) -> str:
    """Where the key came from, in the reader's language; a file's path stays as it is."""
    label = _KEY_SOURCES.get(source)
    return gettext(label) if label is not None else source


def session_card(
    *,
    base_url: str,
    api_key: str | None,
    key_source: str,
    region: str,
    embedded_sandbox: bool,
    commands: Sequence[tuple[str, str]],
) -> Card:
    """``%infrai``: base URL, key source and masked key, region, and what to type next.

    ``commands`` are ``(magic, what it does)`` rows, already in the reader's language.
    """
    if embedded_sandbox:
        mode = gettext("sandbox (running in this kernel)")
    elif origin_of(base_url, "") == "hosted":
        mode = gettext("hosted API")
    else:
        mode = gettext("custom server")
    notes: tuple[str, ...] = ()
    if api_key is None:
        notes = (gettext("No project key yet: run %infrai_activate, or set INFRAI_API_KEY."),)
    return Card(
        kind="session",
        title=gettext("infrai session"),
        fields=(
            CardField(gettext("Connected to"), base_url, "code"),
            CardField(gettext("Mode"), mode),
            CardField(gettext("Project key"), mask_key(api_key), "code"),
            CardField(gettext("Key from"), key_source_label(key_source)),
            CardField(gettext("Region"), region),
        ),
        table=CardTable(
            (gettext("Magic"), gettext("What it does")), tuple(commands), code_columns=(0,)
        ),
        notes=notes,
        tone="normal" if api_key else "warning",
    )


SandboxChange = Literal["status", "stopped", "nothing to stop", "left"]

_STOPPED_NOTES: dict[SandboxChange, tuple[str, str]] = {
    "stopped": (N_("Sandbox stopped"), N_("The session uses its usual API again.")),
    "nothing to stop": (
        N_("No sandbox was running"),
        N_("Nothing was stopped; the session uses its usual API."),
    ),
    "status": (N_("No sandbox is running"), N_("The session uses its usual API.")),
    "left": (
        N_("Left the class sandbox"),
        N_("The session uses your usual settings again: %infrai shows them."),
    ),
}


CheckoutRoute = Literal["loopback", "setting", "jupyter proxy", "colab", "colab unavailable"]
"""How the browser reaches the embedded sandbox's checkout pages (``magics.remote``)."""

_ROUTE_NOTES: dict[CheckoutRoute, str] = {
    "loopback": N_(
        "Checkout opens on the kernel's computer only: if your browser runs "
        "elsewhere, set %config InfraiMagics.sandbox_public_url (README: Where a class runs)."
    ),
    "setting": N_("Checkout opens at the address InfraiMagics.sandbox_public_url names."),
    "jupyter proxy": N_(
        "Checkout opens through the Jupyter server's proxy at {public_url}, so "
        "your browser reaches it wherever it runs (the server needs jupyter-server-proxy)."
    ),
    "colab": N_("Checkout opens at the public address Colab gives this kernel's port."),
    "colab unavailable": N_(
        "Colab did not name a public address for this port in time, so "
        "checkout opens on the kernel's machine only, which your browser cannot reach: run "
        "%infrai_sandbox stop, then %infrai_sandbox start, to ask again."
    ),
}

_SETTING_CHANGED = N_(
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
        return Card(
            kind="sandbox",
            title=gettext(title),
            notes=(gettext(note),),
            commands=("%infrai_sandbox start",),
        )
    checkout_at = public_url or url
    notes = (
        gettext(_ROUTE_NOTES[route]).format(public_url=checkout_at),
        *((gettext(_SETTING_CHANGED),) if setting_changed else ()),
        gettext(
            "This session now talks to the sandbox: everything is offline and free. "
            "Next, get an account:"
        ),
    )
    return Card(
        kind="sandbox",
        title=gettext("Sandbox running"),
        fields=(
            CardField("URL", url, "code"),
            CardField("OpenAPI", f"{url}/openapi.json", "code"),
            CardField(gettext("Checkout opens at"), checkout_at, "code"),
            CardField(gettext("When you are done"), "%infrai_sandbox stop", "code"),
        ),
        notes=notes,
        commands=("%infrai_activate",),
        tone="success" if route != "colab unavailable" else "warning",
    )


def joined_card(url: str) -> Card:
    """``%infrai_sandbox status`` after ``join``: the class's sandbox this session talks to."""
    return Card(
        kind="sandbox",
        title=gettext("In a class sandbox"),
        fields=(
            CardField("URL", url, "code"),
            CardField(gettext("When you are done"), "%infrai_sandbox stop", "code"),
        ),
        notes=(
            gettext(
                "This session talks to your class's sandbox: play money, and your own keys "
                "for other servers stay untouched."
            ),
        ),
        tone="success",
    )
