"""The presentation layer's surface, and what it may depend on."""

from __future__ import annotations

import json
import subprocess
import sys

import infrai_jupyter.display as display

# The client, the server and the front ends: display draws, it never calls or shows.
FORBIDDEN = (
    "infrai_jupyter._client",
    "infrai_jupyter._base_client",
    "infrai_jupyter.resources",
    "infrai_jupyter._default",
    "infrai_jupyter.sandbox",
    "infrai_jupyter.magics",
    "infrai_jupyter.widgets",
    "httpx",
    "IPython",
    "ipywidgets",
)


def test_public_surface_is_locked() -> None:
    assert set(display.__all__) == {
        *("Card", "CardField", "CardFooter", "CardLink", "CardTable", "CardView"),
        *("NO_KEY_MESSAGE", "SandboxChange", "StatusLine", "Tone"),
        *("amount_message", "clean_text", "error_card", "error_line", "format_usd"),
        *("is_safe_link", "joined_card", "key_source_label"),
        *("missing_credit", "not_signed_in_card", "origin_of", "redact", "render_html"),
        *("render_markdown", "render_text", "sandbox_card", "session_card", "topup_command"),
    }
    assert all(hasattr(display, name) for name in display.__all__)


def test_display_never_imports_the_client_the_server_or_a_front_end() -> None:
    script = "import json, sys, infrai_jupyter.display; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = json.loads(completed.stdout)
    assert "infrai_jupyter.display" in loaded
    assert [
        name for name in loaded if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    ] == []
