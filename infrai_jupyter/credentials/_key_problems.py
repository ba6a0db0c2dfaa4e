"""What is wrong with a project key, said in the user's language.

The contract's :func:`~infrai_jupyter.contract.keys.check_key` speaks English only (the
sandbox shares it and must not reach the catalogues); its ``KeyFormatError`` carries a
stable ``reason`` and the ``params`` its sentence quotes, which become a sentence here.
"""

from __future__ import annotations

import re

from .._i18n import N_, gettext
from ..contract.keys import KeyFormatError, KeyReason

_SENTENCES: dict[KeyReason, str] = {
    "not_text": N_("The project key must be text, not {type}."),
    "empty": N_("The project key {shown} is empty."),
    "masked": N_(
        "The project key {shown} looks like a masked key: paste the full key, not the one "
        "shown on screen."
    ),
    "quoted": N_("The project key {shown} is wrapped in quotes: remove them."),
    "bearer": N_("The project key {shown} starts with 'Bearer ': give the key alone."),
    "whitespace": N_(
        "The project key {shown} contains whitespace at position {position}: a key is one word."
    ),
    "bad_character": N_(
        "The project key {shown} contains the character {character} at position {position}: "
        "copy it again."
    ),
    "wrong_prefix": N_("The project key {shown} does not start with {prefix}."),
    "too_short": N_(
        "The project key {shown} is too short ({length} characters after {prefix}, at least "
        "{minimum}): it may be cut off."
    ),
    "too_long": N_(
        "The project key {shown} is too long (over {maximum} characters after {prefix})."
    ),
    "stray_character": N_(
        "The project key {shown} contains {character}: a key has only letters, digits, '_' and '-'."
    ),
}


def key_problem(error: KeyFormatError) -> str:
    """Why the key was refused and how to fix it, in the current language."""
    template = _SENTENCES.get(error.reason)
    if template is None:  # a reason this version does not know: the contract's own words
        return str(error)
    sentence = gettext(template).format(shown=error.shown, **error.params)
    return re.sub(r" {2,}", " ", sentence)  # an empty {shown} leaves no double space
