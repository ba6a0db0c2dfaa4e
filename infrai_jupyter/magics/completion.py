"""Tab completion of the magics' arguments: every ``--flag``, and the words that fit.

Current IPython (8.6 and later) asks a context matcher, which can keep Jedi's Python
names out of a magic's arguments; IPython 7.34 has no such matchers and asks the
``complete_command`` hook keyed by the magic's name instead. The flags are read from
each magic's own argument parser, so completion can never drift from ``%magic?``.
"""

from __future__ import annotations

from typing import Any

from IPython.core import completer as ipython_completer
from IPython.core.magic import Magics

TIERS = ("free", "pro", "team")  # as the API page documents them; see session.TIERS
_HAS_CONTEXT_MATCHERS = hasattr(ipython_completer, "context_matcher")
_WORDS: dict[str, tuple[str, ...]] = {
    "infrai_upgrade": TIERS,
    "infrai_sandbox": ("start", "stop", "status"),
}


def words_for(magics: Magics, name: str) -> tuple[str, ...]:
    """What may follow ``%name``: its fixed words, then every option of its parser."""
    parser = getattr(magics.magics["line"][name], "parser", None)
    flags = tuple(
        option
        for action in (parser._actions if parser is not None else ())
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    )
    return _WORDS.get(name, ()) + flags


class MagicArguments:
    """The completer of every infrai magic's arguments; one per shell."""

    def __init__(self, *magics: Magics) -> None:
        self.words = {
            f"%{name}": words_for(instance, name)
            for instance in magics
            for name in instance.magics["line"]
        }

    def matching(self, line_until_cursor: str, token: str) -> list[str] | None:
        """The words completing ``token``, or ``None`` when the line is not ours."""
        command, space, _ = line_until_cursor.lstrip().partition(" ")
        words = self.words.get(command)
        if words is None or not space:  # still typing the magic's name
            return None
        return [word for word in words if word.startswith(token)]

    def register(self, shell: Any) -> None:
        completer = shell.Completer
        # IPython 7 has ``custom_matchers`` too, but for plain matchers that cannot suppress
        # Jedi; only the context-matcher API (8.6+) tells the two apart.
        if _HAS_CONTEXT_MATCHERS:
            completer.custom_matchers.append(self._matcher())
            return
        for command in self.words:  # IPython 7
            shell.set_hook("complete_command", self._hook, str_key=command)

    def unregister(self, shell: Any) -> None:
        completer = shell.Completer
        if _HAS_CONTEXT_MATCHERS:
            completer.custom_matchers[:] = [
                m for m in completer.custom_matchers if getattr(m, "owner", None) is not self
            ]
            return
        dispatcher = shell.strdispatchers.get("complete_command")
        for command in self.words:
            if dispatcher is not None:
                dispatcher.strs.pop(command, None)

    def _hook(self, _shell: Any, event: Any) -> list[str]:
        # Sorted, as IPython 8 sorts a matcher's completions; IPython 7 keeps a hook's order.
        return sorted(self.matching(event.text_until_cursor, event.symbol) or [])

    def _matcher(self) -> Any:
        from IPython.core.completer import SimpleCompletion, context_matcher

        @context_matcher()
        def infrai_arguments(context: Any) -> dict[str, Any]:
            words = self.matching(context.text_until_cursor, context.token)
            if words is None:
                return {"completions": []}
            completions = [SimpleCompletion(text=word, type="param") for word in words]
            return {"completions": completions, "suppress": True}

        infrai_arguments.owner = self
        return infrai_arguments
