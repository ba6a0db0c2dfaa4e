"""Project keys: their shape, and how they are shown (always masked)."""

from __future__ import annotations

import re

PROJECT_KEY_PREFIX = "ifr_pk_proj_"
_KEY_PATTERN = re.compile(re.escape(PROJECT_KEY_PREFIX) + r"[A-Za-z0-9_\-]+")
_VISIBLE_TAIL = 4


def mask_key(key: str | None) -> str:
    """Show a key as ``ifr_pk_proj_…a1b2``: enough to recognise it, useless to steal."""
    if not key:
        return "(none)"
    if key.startswith(PROJECT_KEY_PREFIX) and len(key) > len(PROJECT_KEY_PREFIX) + _VISIBLE_TAIL:
        return f"{PROJECT_KEY_PREFIX}…{key[-_VISIBLE_TAIL:]}"
    # Not a project key (a typo, a pasted token): reveal nothing but its tail.
    return f"…{key[-_VISIBLE_TAIL:]}" if len(key) > 2 * _VISIBLE_TAIL else "…"


def redact_keys(text: str) -> str:
    """Mask every project key inside free text (server messages, log lines)."""
    return _KEY_PATTERN.sub(lambda match: mask_key(match.group(0)), text)
