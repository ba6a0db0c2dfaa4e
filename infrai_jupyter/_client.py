"""``InfraiClient`` and ``AsyncInfraiClient``: two plain copies over one pure base.

:class:`~infrai_jupyter._base_client.BaseClient` resolves configuration, builds
requests and decides on retries; these two write out the I/O and the retry loop,
one with ``httpx.Client``, one with ``httpx.AsyncClient``. Each keeps one
connection pool for its lifetime.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import httpx

from ._base_client import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    BaseClient,
    translate_transport_error,
)
from ._requester import ResultT
from .contract import Region
from .errors import InfraiError
from .resources import Account, AsyncAccount
from .results import ActivateResult

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "AsyncInfraiClient", "InfraiClient"]


class InfraiClient(BaseClient):
    """The infrai account API, synchronously.

    ``InfraiClient(api_key=..., base_url=..., timeout=..., max_retries=...)``; every
    argument is optional (see :mod:`infrai_jupyter.credentials` for the fallbacks).
    Use it as a context manager, or call :meth:`close`, to release its connections.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self._http = http_client or httpx.Client(timeout=self.timeout)
        self.account = Account(self)

    def activate(
        self,
        *,
        region: Region = "auto",
        device_kind: str = "cli",
        write_credentials: bool = True,
        device_fingerprint: str | None = None,
        idempotency_key: str | None = None,
    ) -> ActivateResult:
        """Create an anonymous account with trial credit, and use its key from now on."""
        body = self._activation_body(region, device_kind, device_fingerprint)
        result = self._call("infra.activate", ActivateResult, body, idempotency_key=idempotency_key)
        self._adopt(result, write_credentials)
        return result

    def _call(
        self,
        route_name: str,
        cast_to: type[ResultT],
        body: Mapping[str, Any] | None = None,
        *,
        path_params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> ResultT:
        request = self._build_request(
            route_name, body, path_params=path_params, idempotency_key=idempotency_key
        )
        attempt = 0
        while True:
            try:
                response = self._http.send(request)
            except httpx.TransportError as exc:
                error: InfraiError = translate_transport_error(exc, request)
                cause: BaseException = exc
            else:
                try:
                    return self._parse(response, cast_to)
                except InfraiError as exc:
                    error, cause = exc, exc
            delay = self._next_delay(error, attempt, request)
            if delay is None:
                if error is cause:
                    raise error
                raise error from cause
            time.sleep(delay)
            attempt += 1

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
    ) -> InfraiClient:
        """A new client with the same key, source and base URL but other limits."""
        client = InfraiClient(
            api_key=self._config.api_key,
            base_url=self.base_url,
            timeout=self.timeout if timeout is None else timeout,
            max_retries=self.max_retries if max_retries is None else max_retries,
        )
        client._config = self._config  # keep the key's source, not "argument"
        return client

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` was called: a closed client cannot send requests."""
        return self._http.is_closed

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> InfraiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncInfraiClient(BaseClient):
    """The infrai account API, awaitable; the same surface as :class:`InfraiClient`.

    Works with top-level ``await`` in Jupyter: ``bal = await client.account.balance()``.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self._http = http_client or httpx.AsyncClient(timeout=self.timeout)
        self.account = AsyncAccount(self)

    async def activate(
        self,
        *,
        region: Region = "auto",
        device_kind: str = "cli",
        write_credentials: bool = True,
        device_fingerprint: str | None = None,
        idempotency_key: str | None = None,
    ) -> ActivateResult:
        """Create an anonymous account with trial credit, and use its key from now on."""
        body = self._activation_body(region, device_kind, device_fingerprint)
        result = await self._call(
            "infra.activate", ActivateResult, body, idempotency_key=idempotency_key
        )
        self._adopt(result, write_credentials)
        return result

    async def _call(
        self,
        route_name: str,
        cast_to: type[ResultT],
        body: Mapping[str, Any] | None = None,
        *,
        path_params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> ResultT:
        request = self._build_request(
            route_name, body, path_params=path_params, idempotency_key=idempotency_key
        )
        attempt = 0
        while True:
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                error: InfraiError = translate_transport_error(exc, request)
                cause: BaseException = exc
            else:
                try:
                    return self._parse(response, cast_to)
                except InfraiError as exc:
                    error, cause = exc, exc
            delay = self._next_delay(error, attempt, request)
            if delay is None:
                if error is cause:
                    raise error
                raise error from cause
            await asyncio.sleep(delay)
            attempt += 1

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
    ) -> AsyncInfraiClient:
        """A new client with the same key, source and base URL but other limits."""
        client = AsyncInfraiClient(
            api_key=self._config.api_key,
            base_url=self.base_url,
            timeout=self.timeout if timeout is None else timeout,
            max_retries=self.max_retries if max_retries is None else max_retries,
        )
        client._config = self._config  # keep the key's source, not "argument"
        return client

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` was called: a closed client cannot send requests."""
        return self._http.is_closed

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncInfraiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
