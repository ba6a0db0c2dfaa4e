"""Project keys: their shape, the one check every key passes, and how they are shown."""

from __future__ import annotations

import re
from typing import Any, Literal

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


KeyReason = Literal[
    "not_text",
    "empty",
    "masked",
    "quoted",
    "bearer",
    "whitespace",
    "bad_character",
    "wrong_prefix",
    "too_short",
    "too_long",
    "stray_character",
]

_PROBLEMS: dict[KeyReason, str] = {
    "not_text": "must be text, not {type}",
    "empty": "is empty",
    "masked": "looks like a masked key: paste the full key, not the one shown on screen",
    "quoted": "is wrapped in quotes: remove them",
    "bearer": "starts with 'Bearer ': give the key alone",
    "whitespace": "contains whitespace at position {position}: a key is one word",
    "bad_character": "contains the character {character} at position {position}: copy it again",
    "wrong_prefix": "does not start with {prefix}",
    "too_short": (
        "is too short ({length} characters after {prefix}, at least {minimum}): it may be cut off"
    ),
    "too_long": "is too long (over {maximum} characters after {prefix})",
    "stray_character": "contains {character}: a key has only letters, digits, '_' and '-'",
}


class KeyFormatError(ValueError):
    """A project key that is not well formed; the message shows it masked only.

    ``str()`` is the English sentence; ``reason`` (a stable code) and ``params`` (the
    text it quotes) let the credentials layer say it in the user's language, as the
    contract speaks English only (the sandbox shares it).
    """

    def __init__(self, shown: str, reason: KeyReason, params: dict[str, str]) -> None:
        self.shown = shown
        self.reason: KeyReason = reason
        self.params = params
        self.problem = _PROBLEMS[reason].format(**params)
        super().__init__(" ".join(filter(None, ["The project key", shown, self.problem])) + ".")


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
        raise KeyFormatError("", "not_text", {"type": type(text).__name__})
    key = text.strip()
    problem = _problem(key)
    if problem:
        raise KeyFormatError(_shown(key), *problem)
    return key


def _problem(key: str) -> tuple[KeyReason, dict[str, str]] | None:
    """What is wrong with a stripped key, and what its sentence quotes; ``None``: nothing."""
    if not key:
        return "empty", {}
    if "\u2026" in key or "..." in key:
        return "masked", {}
    if key[0] in _QUOTES or key[-1] in _QUOTES:
        return "quoted", {}
    if key.lower().startswith("bearer "):
        return "bearer", {}
    for position, character in enumerate(key):
        if character.isspace():
            return "whitespace", {"position": str(position)}
        if not character.isascii() or not character.isprintable():
            return "bad_character", {"character": _name(character), "position": str(position)}
    if not key.startswith(PROJECT_KEY_PREFIX):
        return "wrong_prefix", {"prefix": PROJECT_KEY_PREFIX}
    return _body_problem(key[len(PROJECT_KEY_PREFIX) :])


def _body_problem(body: str) -> tuple[KeyReason, dict[str, str]] | None:
    if len(body) < _KEY_BODY_MIN:
        limits = {"length": str(len(body)), "minimum": str(_KEY_BODY_MIN)}
        return "too_short", {**limits, "prefix": PROJECT_KEY_PREFIX}
    if len(body) > _KEY_BODY_MAX:
        return "too_long", {"maximum": str(_KEY_BODY_MAX), "prefix": PROJECT_KEY_PREFIX}
    if not _KEY_BODY.fullmatch(body):
        stray = next(character for character in body if not _KEY_BODY.fullmatch(character))
        return "stray_character", {"character": repr(stray)}
    return None


def _name(character: str) -> str:
    """A character a key never holds, named so a terminal cannot be fooled by it."""
    return f"U+{ord(character):04X}"


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
