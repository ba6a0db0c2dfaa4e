"""Project keys: their shape, the one check every key passes, and how they are shown."""

from __future__ import annotations

import re
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

PROJECT_KEY_PREFIX = "ifr_pk_proj_"
_KEY_BODY = re.compile(r"[A-Za-z0-9_\-]+")  # URL-safe base64, as the sandbox issues
_KEY_PATTERN = re.compile(re.escape(PROJECT_KEY_PREFIX) + _KEY_BODY.pattern)
_VISIBLE_TAIL = 4
# A sandbox key has 43 characters after the prefix; fewer than 12 is a key cut short.
_KEY_BODY_MIN = 12
_KEY_BODY_MAX = 256
_QUOTES = "\"'`\u201c\u201d\u2018\u2019"  # straight, back and curly quotes


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


class KeyFormatError(ValueError):
    """A project key that is not well formed; the message shows it masked only."""

    def __init__(self, shown: str, problem: str) -> None:
        self.shown = shown
        self.problem = problem
        super().__init__(" ".join(filter(None, ["The project key", shown, problem])) + ".")


def check_key(text: str | ApiKey) -> str:
    """Return ``text`` without surrounding whitespace if it is a well-formed project key.

    Every key passes here where it enters (argument, environment, file, activation):
    a key with a stray newline or space would otherwise reach an HTTP header, where the
    transport's error and debug log quote it in full. Raises :class:`KeyFormatError`.
    An :class:`ApiKey` (an activation's ``primary_api_key``) gives its secret: sending
    its ``str()`` would send the masked form.
    """
    if isinstance(text, ApiKey):
        text = text.get_secret_value()
    if not isinstance(text, str):
        raise KeyFormatError("", f"must be text, not {type(text).__name__}")
    key = text.strip()
    problem = _problem(key)
    if problem:
        raise KeyFormatError(_shown(key), problem)
    return key


def _problem(key: str) -> str | None:
    """What is wrong with a stripped key, said to its owner; ``None`` when nothing is."""
    if not key:
        return "is empty"
    if "\u2026" in key or "..." in key:
        return "looks like a masked key: paste the full key, not the one shown on screen"
    if key[0] in _QUOTES or key[-1] in _QUOTES:
        return "is wrapped in quotes: remove them"
    if key.lower().startswith("bearer "):
        return "starts with 'Bearer ': give the key alone"
    for position, character in enumerate(key):
        if character.isspace():
            return f"contains whitespace at position {position}: a key is one word"
        if not character.isascii() or not character.isprintable():
            return f"contains {_name(character)} at position {position}: copy it again"
    if not key.startswith(PROJECT_KEY_PREFIX):
        return f"does not start with {PROJECT_KEY_PREFIX}"
    return _body_problem(key[len(PROJECT_KEY_PREFIX) :])


def _body_problem(body: str) -> str | None:
    if len(body) < _KEY_BODY_MIN:
        return (
            f"is too short ({len(body)} characters after {PROJECT_KEY_PREFIX}, "
            f"at least {_KEY_BODY_MIN}): it may be cut off"
        )
    if len(body) > _KEY_BODY_MAX:
        return f"is too long (over {_KEY_BODY_MAX} characters after {PROJECT_KEY_PREFIX})"
    if not _KEY_BODY.fullmatch(body):
        stray = next(character for character in body if not _KEY_BODY.fullmatch(character))
        return f"contains {stray!r}: a key has only letters, digits, '_' and '-'"
    return None


def _name(character: str) -> str:
    """A character a key never holds, named so a terminal cannot be fooled by it."""
    return f"the character U+{ord(character):04X}"


def _shown(key: str) -> str:
    """The masked key, with anything unprintable escaped (a tail may hold an escape code)."""
    return "".join(
        character if character.isprintable() else character.encode("unicode_escape").decode()
        for character in mask_key(key)
    )


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
