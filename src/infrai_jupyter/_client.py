"""``InfraiClient`` and ``AsyncInfraiClient``: two plain copies over one pure base.

:class:`BaseClient` resolves configuration and builds requests; the two clients
write out the I/O and the retry loop, one with ``httpx.Client``, one with
``httpx.AsyncClient``. Each keeps one connection pool for its lifetime.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, TypeVar

import httpx

from . import __version__
from ._wire import canonical_json, is_retryable, parse_envelope, retry_delay
from .contract import IDEMPOTENCY_KEY_HEADER, ROUTES, Region, mask_key, redact_keys
from .credentials import (
    ResolvedConfig,
    StoredCredentials,
    device_fingerprint,
    resolve_config,
    write_credentials,
)
from .errors import APIConnectionError, APITimeoutError, InfraiError
from .results import (
    RESULT_TYPES,
    AccountSummary,
    ActivateResult,
    Balance,
    KeyList,
    Result,
    TopupList,
    TopupRecord,
)

logger = logging.getLogger("infrai_jupyter")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
ResultT = TypeVar("ResultT", bound=Result)


class BaseClient:
    """Configuration and request building shared by the sync and async clients."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self._config = resolve_config(api_key, base_url)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.max_retries = max_retries

    @property
    def config(self) -> ResolvedConfig:
        """The key (masked in its repr), its source, the base URL and the region."""
        return self._config

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def use_key(self, api_key: str | None, source: str) -> None:
        """Switch this client to another key (or to none), recording where it came from."""
        self._config = replace(
            self._config, api_key=api_key, key_source=source if api_key else "none"
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"api_key='{mask_key(self._config.api_key)}', key_source={self._config.key_source!r})"
        )

    def _build_request(
        self,
        route_name: str,
        body: Mapping[str, Any] | None = None,
        *,
        path_params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Request:
        """Build the one request every attempt of a call will send, key included."""
        route = ROUTES[route_name]
        headers = {
            "Accept": "application/json",
            "User-Agent": _user_agent(),
        }
        if route.authenticated and self._config.api_key:
            headers["Authorization"] = f"Bearer {self._config.api_key}"
        if route.charges_or_creates:
            headers[IDEMPOTENCY_KEY_HEADER] = idempotency_key or f"ik_{uuid.uuid4().hex}"
        content = None
        if body is not None:
            content = canonical_json(body)
            headers["Content-Type"] = "application/json"
        path = route.path.format(**(path_params or {}))
        url = self.base_url.rstrip("/") + path
        return httpx.Request(route.method, url, headers=headers, content=content)

    def _parse(self, route_name: str, response: httpx.Response) -> Result:
        request = response.request
        data, metadata = parse_envelope(
            response.status_code,
            response.headers,
            response.content,
            method=request.method,
            url=str(request.url),
        )
        return RESULT_TYPES[route_name].from_response(data, metadata, self.base_url)

    def _next_delay(self, error: InfraiError, attempt: int, request: httpx.Request) -> float | None:
        """Seconds to wait before retrying, or ``None`` to give up; logs the decision."""
        where = redact_keys(f"{request.method} {request.url.path}")  # ids may be pasted keys
        if attempt >= self.max_retries or not is_retryable(error):
            logger.debug(
                "Not retrying %s after %s (attempt %d)", where, _describe(error), attempt + 1
            )
            return None
        delay = retry_delay(attempt, getattr(error, "retry_after", None))
        logger.debug(
            "Retrying %s in %.2fs (retry %d of %d) after %s; idempotency key %s",
            where,
            delay,
            attempt + 1,
            self.max_retries,
            _describe(error),
            request.headers.get(IDEMPOTENCY_KEY_HEADER, "none"),
        )
        return delay

    def _activation_body(
        self, region: Region, device_kind: str, fingerprint: str | None
    ) -> dict[str, Any]:
        return {
            "region": region,
            "device_kind": device_kind,
            "device_fingerprint": fingerprint or device_fingerprint(),
        }

    def _adopt(self, result: ActivateResult, write: bool) -> None:
        """Use the new key from now on, and save it when asked to."""
        key = result.primary_api_key.get_secret_value()
        self.use_key(key, "activation")
        self._config = replace(self._config, region=result.region)
        if write:
            path = write_credentials(
                StoredCredentials(
                    api_key=key,
                    base_url=self.base_url,
                    region=result.region,
                    account_id=result.account_id,
                    project_id=result.project_id,
                )
            )
            logger.info("Saved credentials for %s to %s", mask_key(key), path)


def _translate_transport_error(
    exc: httpx.TransportError, request: httpx.Request
) -> APIConnectionError:
    """The one place where httpx's errors become ours."""
    where = f"{request.url.scheme}://{request.url.netloc.decode()}"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"{request.method} {request.url.path} to {where} timed out ({type(exc).__name__}). "
            "The server may be busy: try again, or raise the client's timeout.",
            method=request.method,
            url=str(request.url),
        )
    return APIConnectionError(
        f"Could not reach the infrai API at {where} ({type(exc).__name__}: {exc}). "
        "Check the base URL and your network; for offline use start the sandbox "
        "(%infrai_sandbox start, or python -m infrai_jupyter.sandbox).",
        method=request.method,
        url=str(request.url),
    )


def _describe(error: InfraiError) -> str:
    status = getattr(error, "status_code", None)
    return f"HTTP {status}" if status else type(error).__name__


def _user_agent() -> str:
    return (
        f"infrai-jupyter/{__version__} python/{platform.python_version()} httpx/{httpx.__version__}"
    )


# --------------------------------------------------------------------------- sync


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
        result = _expect(
            self._call("infra.activate", body, idempotency_key=idempotency_key), ActivateResult
        )
        self._adopt(result, write_credentials)
        return result

    def _call(
        self,
        route_name: str,
        body: Mapping[str, Any] | None = None,
        *,
        path_params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Result:
        request = self._build_request(
            route_name, body, path_params=path_params, idempotency_key=idempotency_key
        )
        attempt = 0
        while True:
            try:
                response = self._http.send(request)
            except httpx.TransportError as exc:
                error: InfraiError = _translate_transport_error(exc, request)
                cause: BaseException = exc
            else:
                try:
                    return self._parse(route_name, response)
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

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> InfraiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Account:
    """``client.account``: balance, top-ups, keys and tier."""

    def __init__(self, client: InfraiClient) -> None:
        self._client = client
        self.keys = Keys(client)
        self.tier = Tier(client)
        self.topups = Topups(client)

    def balance(self) -> Balance:
        """The wallet balance: ``{balance_usd, currency}``."""
        return _expect(self._client._call("account.balance"), Balance)

    def topup(
        self,
        *,
        amount_usd: float | str | Any,
        return_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> TopupRecord:
        """Start a top-up; open ``checkout_url`` to pay. Retries never create a second one."""
        body = {"amount_usd": amount_usd, "return_url": return_url}
        return _expect(
            self._client._call("account.topup", body, idempotency_key=idempotency_key),
            TopupRecord,
        )


class Keys:
    """``client.account.keys``."""

    def __init__(self, client: InfraiClient) -> None:
        self._client = client

    def list(self) -> KeyList:
        """The account's project keys: ``{items: [{key_id, label, scopes, created_at}]}``."""
        return _expect(self._client._call("account.keys.list"), KeyList)


class Tier:
    """``client.account.tier``."""

    def __init__(self, client: InfraiClient) -> None:
        self._client = client

    def upgrade(self, *, target_tier: str, idempotency_key: str | None = None) -> AccountSummary:
        """Move to ``target_tier``; raises ``InsufficientCreditError`` when funds are short."""
        body = {"target_tier": target_tier}
        return _expect(
            self._client._call("account.tier.upgrade", body, idempotency_key=idempotency_key),
            AccountSummary,
        )


class Topups:
    """``client.account.topups``: follow a top-up after its checkout link was opened."""

    def __init__(self, client: InfraiClient) -> None:
        self._client = client

    def list(self) -> TopupList:
        return _expect(self._client._call("account.topups.list"), TopupList)

    def retrieve(self, topup_id: str) -> TopupRecord:
        return _expect(
            self._client._call("account.topups.retrieve", path_params={"topup_id": topup_id}),
            TopupRecord,
        )


# -------------------------------------------------------------------------- async


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
        result = _expect(
            await self._call("infra.activate", body, idempotency_key=idempotency_key),
            ActivateResult,
        )
        self._adopt(result, write_credentials)
        return result

    async def _call(
        self,
        route_name: str,
        body: Mapping[str, Any] | None = None,
        *,
        path_params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Result:
        request = self._build_request(
            route_name, body, path_params=path_params, idempotency_key=idempotency_key
        )
        attempt = 0
        while True:
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                error: InfraiError = _translate_transport_error(exc, request)
                cause: BaseException = exc
            else:
                try:
                    return self._parse(route_name, response)
                except InfraiError as exc:
                    error, cause = exc, exc
            delay = self._next_delay(error, attempt, request)
            if delay is None:
                if error is cause:
                    raise error
                raise error from cause
            await asyncio.sleep(delay)
            attempt += 1

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncInfraiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class AsyncAccount:
    """``client.account`` of :class:`AsyncInfraiClient`."""

    def __init__(self, client: AsyncInfraiClient) -> None:
        self._client = client
        self.keys = AsyncKeys(client)
        self.tier = AsyncTier(client)
        self.topups = AsyncTopups(client)

    async def balance(self) -> Balance:
        """The wallet balance: ``{balance_usd, currency}``."""
        return _expect(await self._client._call("account.balance"), Balance)

    async def topup(
        self,
        *,
        amount_usd: float | str | Any,
        return_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> TopupRecord:
        """Start a top-up; open ``checkout_url`` to pay. Retries never create a second one."""
        body = {"amount_usd": amount_usd, "return_url": return_url}
        return _expect(
            await self._client._call("account.topup", body, idempotency_key=idempotency_key),
            TopupRecord,
        )


class AsyncKeys:
    """``client.account.keys`` of :class:`AsyncInfraiClient`."""

    def __init__(self, client: AsyncInfraiClient) -> None:
        self._client = client

    async def list(self) -> KeyList:
        return _expect(await self._client._call("account.keys.list"), KeyList)


class AsyncTier:
    """``client.account.tier`` of :class:`AsyncInfraiClient`."""

    def __init__(self, client: AsyncInfraiClient) -> None:
        self._client = client

    async def upgrade(
        self, *, target_tier: str, idempotency_key: str | None = None
    ) -> AccountSummary:
        body = {"target_tier": target_tier}
        return _expect(
            await self._client._call("account.tier.upgrade", body, idempotency_key=idempotency_key),
            AccountSummary,
        )


class AsyncTopups:
    """``client.account.topups`` of :class:`AsyncInfraiClient`."""

    def __init__(self, client: AsyncInfraiClient) -> None:
        self._client = client

    async def list(self) -> TopupList:
        return _expect(await self._client._call("account.topups.list"), TopupList)

    async def retrieve(self, topup_id: str) -> TopupRecord:
        return _expect(
            await self._client._call("account.topups.retrieve", path_params={"topup_id": topup_id}),
            TopupRecord,
        )


def _expect(result: Result, result_type: type[ResultT]) -> ResultT:
    if not isinstance(result, result_type):  # a ROUTES/RESULT_TYPES mismatch, not user error
        raise TypeError(f"expected {result_type.__name__}, got {type(result).__name__}")
    return result
