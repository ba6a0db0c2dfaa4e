"""What a resource needs from a client: one method that sends a call and returns its result.

``client.account`` and its parts depend on these two protocols, not on the client
classes, so :mod:`~infrai_jupyter.resources` imports nothing that imports it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from .results import Result

ResultT = TypeVar("ResultT", bound=Result)


class Requester(Protocol):
    """A synchronous client: :class:`~infrai_jupyter.InfraiClient`."""

    def _call(
        self,
        route_name: str,
        cast_to: type[ResultT],
        body: Mapping[str, Any] | None = None,
        *,
        path_params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> ResultT: ...


class AsyncRequester(Protocol):
    """An awaitable client: :class:`~infrai_jupyter.AsyncInfraiClient`."""

    async def _call(
        self,
        route_name: str,
        cast_to: type[ResultT],
        body: Mapping[str, Any] | None = None,
        *,
        path_params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> ResultT: ...
