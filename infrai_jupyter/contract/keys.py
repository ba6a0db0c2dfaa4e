"""Project keys: their shape, and how they are shown (always masked)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

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


class ApiKey:
    """A project key that shows itself masked everywhere but where it is sent.

    ``str()``, ``repr()``, f-strings and JSON dumps all give ``ifr_pk_proj_…a1b2``;
    :meth:`get_secret_value` returns the full key for the one place that needs it.
    """

    __slots__ = ("_secret",)

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def get_secret_value(self) -> str:
        """The full key: pass it to ``INFRAI_API_KEY`` or a client, never to a print."""
        return self._secret

    @property
    def masked(self) -> str:
        return mask_key(self._secret)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"ApiKey('{self.masked}')"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ApiKey):
            return self._secret == other._secret
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._secret)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        from_text = core_schema.no_info_after_validator_function(cls, core_schema.str_schema())
        return core_schema.union_schema(
            [core_schema.is_instance_schema(cls), from_text],
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda key: key.masked, when_used="json"
            ),
        )
