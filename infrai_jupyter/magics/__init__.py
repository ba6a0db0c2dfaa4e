"""The IPython magics: ``%infrai``, ``%infrai_activate``, ``%infrai_balance`` and friends.

Importing this package imports IPython and traitlets only (both already loaded in
a kernel); the client, the widgets and the sandbox are imported on first use.
"""

from __future__ import annotations

from typing import Any

from . import completion, help
from .accounts import InfraiAccountMagics
from .core import InfraiMagics

__all__ = ["InfraiMagics", "load", "unload"]


def load(shell: Any) -> None:
    """Register the magics once; loading the extension again is harmless."""
    if shell.magics_manager.registry.get(InfraiMagics.__name__) is None:
        core = InfraiMagics(shell=shell)
        accounts = InfraiAccountMagics(shell, core)
        shell.register_magics(core)
        shell.register_magics(accounts)
        core.completion = completion.MagicArguments(core, accounts)
        core.completion.register(shell)
        help.speak((InfraiMagics, InfraiAccountMagics))  # %name? in the kernel's language


def unload(shell: Any) -> None:
    """Remove the magics and stop an embedded sandbox, if one runs."""
    magics = shell.magics_manager.registry.pop(InfraiMagics.__name__, None)
    if magics is None:
        return
    magics.stop_sandbox()
    if magics.completion is not None:
        magics.completion.unregister(shell)
    _remove(shell, shell.magics_manager.registry.pop(InfraiAccountMagics.__name__, None))
    _remove(shell, magics)


def _remove(shell: Any, magics: Any) -> None:
    """Take one Magics instance's magics (and its %config entry) out of the shell."""
    if magics is None:
        return
    # Magics() added itself to the shell's configurables; a stale one would still take %config.
    configurables = getattr(shell, "configurables", [])
    if magics in configurables:
        configurables.remove(magics)
    for kind, names in magics.magics.items():
        for name in names:
            shell.magics_manager.magics[kind].pop(name, None)
