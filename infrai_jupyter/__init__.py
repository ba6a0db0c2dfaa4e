"""infrai_jupyter: the infrai account API as a first-class citizen of Jupyter.

``%load_ext infrai_jupyter`` registers the magics; ``from infrai_jupyter import
infra, account`` gives the seed's Python API. Everything heavy (httpx, pydantic,
ipywidgets, the sandbox server) is imported on first use, so loading stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from . import errors
    from ._client import AsyncInfraiClient, InfraiClient
    from ._default import account, configure, configure_network, infra

__all__ = [
    "AsyncInfraiClient",
    "InfraiClient",
    "__version__",
    "account",
    "configure",
    "configure_network",
    "errors",
    "infra",
    "load_ipython_extension",
    "unload_ipython_extension",
]

_LAZY_ATTRIBUTES = {
    "AsyncInfraiClient": "._client",
    "InfraiClient": "._client",
    "account": "._default",
    "configure": "._default",
    "configure_network": "._default",
    "infra": "._default",
}


def __getattr__(name: str) -> Any:
    if name == "errors":
        return importlib.import_module(".errors", __name__)
    if name in _LAZY_ATTRIBUTES:
        return getattr(importlib.import_module(_LAZY_ATTRIBUTES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext infrai_jupyter``: register the magics (nothing else is imported)."""
    from .magics import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext infrai_jupyter``: remove the magics again."""
    from .magics import unload

    unload(ipython)
