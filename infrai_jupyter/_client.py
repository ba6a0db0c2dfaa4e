"""``InfraiClient`` and ``AsyncInfraiClient``: two plain copies over one pure base.

:class:`~infrai_jupyter._base_client.BaseClient` resolves configuration, builds
requests, parses answers and decides on retries; these two write out the I/O and
the retry loop, one with ``httpx.Client``, one with ``httpx.AsyncClient``. Each
keeps one connection pool for its lifetime (shared with its ``with_options`` copies).
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ._base_client import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    Answer,
    BaseClient,
    deadline_error,
    translate_transport_error,
)
from ._body import MAX_RESPONSE_BYTES, BodyError
from ._requester import ResultT
from .contract import Region
from .errors import InfraiError
from .resources import Account, AsyncAccount
from .results import ActivateResult

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "AsyncInfraiClient", "InfraiClient"]


class _AttemptWorkers:
    """Daemon threads that run attempts, reused from call to call.

    Starting a thread per call costs about as much as a loopback call itself. A thread
    still busy with an abandoned attempt (a server trickling forever) is not idle, so a
    new one is started for the next job: no job ever waits behind a stuck one. Daemon
    threads, because an abandoned attempt must never keep the interpreter from exiting.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0

    def run(self, job: Callable[[], None]) -> None:
        """Start ``job`` now, on an idle worker or a new one."""
        with self._lock:
            reuse = self._idle > 0
            if reuse:
                self._idle -= 1  # reserved for this job
        if not reuse:
            threading.Thread(target=self._work, name="infrai-attempt", daemon=True).start()
        self._jobs.put(job)

    def _work(self) -> None:
        while True:
            self._jobs.get()()
            with self._lock:
                self._idle += 1


_WORKERS = _AttemptWorkers()


def _forget_workers_after_fork() -> None:
    """A forked child has none of its parent's threads: it starts its own."""
    global _WORKERS
    _WORKERS = _AttemptWorkers()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers_after_fork)


class InfraiClient(BaseClient[httpx.Client]):
    """The infrai account API, synchronously.

    ``InfraiClient(api_key=..., base_url=..., timeout=..., max_retries=...)``; every
    argument is optional (see :mod:`infrai_jupyter.credentials` for the fallbacks).

    ``timeout`` bounds each whole attempt, from connecting to the last byte of the
    answer, however slowly a server trickles it: ``timeout=1`` gives up after one
    second. An ``httpx.Timeout`` also limits each phase, and its largest phase bounds
    the attempt. Each retry gets a fresh timeout; the waits between them are not
    counted. ``max_response_bytes`` caps an answer after decompression (1 MiB).
    ``http_client`` replaces the httpx client (tests, proxies); both limits still hold.
    Use it as a context manager, or call :meth:`close`, to release its connections.
    """

    account: Account

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_response_bytes=max_response_bytes,
            http_client=http_client or httpx.Client(),
        )

    def _make_resources(self) -> None:
        self.account = Account(self)

    def activate(
        self,
        *,
        region: Region = "auto",
        device_kind: str = "cli",
        write_credentials: bool = True,
        device_fingerprint: str | None = None,
        idempotency_key: str | None = None,
        new_account: bool = False,
    ) -> ActivateResult:
        """Create an anonymous account with trial credit, and use its key from now on.

        With an account already in use for this server it raises
        :class:`~infrai_jupyter.errors.AccountExistsError` and sends nothing;
        ``new_account=True`` makes another (every key stays kept on disk).
        """
        self._refuse_second_account(new_account)
        body = self._activation_body(region, device_kind, device_fingerprint)
        result = self._call("infra.activate", ActivateResult, body, idempotency_key=idempotency_key)
        result.requested(region)
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
        """Send one call, retrying what may succeed on another attempt; the loop of the SDK."""
        request = self._build_request(
            route_name, body, path_params=path_params, idempotency_key=idempotency_key
        )
        attempt = 0
        while True:
            try:
                return self._parse(self._send(request), cast_to)
            except InfraiError as error:
                delay = self._next_delay(error, attempt, request)
                if delay is None:
                    raise
            time.sleep(delay)
            attempt += 1

    def _send(self, request: httpx.Request) -> Answer:
        """One attempt within its budget: the answer, or the error that ended it.

        A blocking read cannot be interrupted, so the attempt runs on a worker thread
        and the caller stops waiting at the deadline; the abandoned worker stops at its
        next chunk (or when the socket's own read timeout fires).
        """
        budget = self._budget()
        abandoned = threading.Event()
        if budget is None:
            return self._exchange(request, abandoned)
        outcome: queue.Queue[Answer | BaseException] = queue.Queue(maxsize=1)

        def attempt() -> None:
            try:
                outcome.put(self._exchange(request, abandoned))
            except BaseException as exc:  # handed to the caller, raised there
                outcome.put(exc)

        _WORKERS.run(attempt)
        try:
            result = outcome.get(timeout=budget)
        except queue.Empty:
            raise deadline_error(request, budget) from None
        finally:
            abandoned.set()
        if isinstance(result, BaseException):
            raise result
        return result

    def _exchange(self, request: httpx.Request, abandoned: threading.Event) -> Answer:
        """Send ``request`` and stream its answer, stopping early when the caller gave up."""
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise translate_transport_error(exc, request) from exc
        try:
            reader = self._body_reader(response)
            if not response.is_stream_consumed:
                for chunk in response.iter_raw():
                    if abandoned.is_set():
                        break
                    reader.feed(chunk)
            content = reader.content()
        except httpx.TransportError as exc:
            raise translate_transport_error(exc, request) from exc
        except BodyError as exc:
            raise self._unusable_body(response, exc) from None
        finally:
            response.close()
        return Answer(response.status_code, response.headers, content, request)

    def close(self) -> None:
        """Release the connections (once no copy made by ``with_options`` uses them)."""
        if self._release():
            self._http.close()

    def __enter__(self) -> InfraiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncInfraiClient(BaseClient[httpx.AsyncClient]):
    """The infrai account API, awaitable; the same surface as :class:`InfraiClient`.

    Works with top-level ``await`` in Jupyter: ``bal = await client.account.balance()``.
    """

    account: AsyncAccount

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_response_bytes=max_response_bytes,
            http_client=http_client or httpx.AsyncClient(),
        )

    def _make_resources(self) -> None:
        self.account = AsyncAccount(self)

    async def activate(
        self,
        *,
        region: Region = "auto",
        device_kind: str = "cli",
        write_credentials: bool = True,
        device_fingerprint: str | None = None,
        idempotency_key: str | None = None,
        new_account: bool = False,
    ) -> ActivateResult:
        """Create an anonymous account with trial credit, and use its key from now on.

        Refuses a second account as :meth:`InfraiClient.activate` does.
        """
        self._refuse_second_account(new_account)
        body = self._activation_body(region, device_kind, device_fingerprint)
        result = await self._call(
            "infra.activate", ActivateResult, body, idempotency_key=idempotency_key
        )
        result.requested(region)
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
        """Send one call, retrying what may succeed on another attempt; the loop of the SDK."""
        request = self._build_request(
            route_name, body, path_params=path_params, idempotency_key=idempotency_key
        )
        attempt = 0
        while True:
            try:
                return self._parse(await self._send(request), cast_to)
            except InfraiError as error:
                delay = self._next_delay(error, attempt, request)
                if delay is None:
                    raise
            await asyncio.sleep(delay)
            attempt += 1

    async def _send(self, request: httpx.Request) -> Answer:
        """One attempt within its budget: the answer, or the error that ended it."""
        budget = self._budget()
        try:
            return await asyncio.wait_for(self._exchange(request), budget)
        except asyncio.TimeoutError:
            assert budget is not None  # wait_for(…, None) never times out
            raise deadline_error(request, budget) from None

    async def _exchange(self, request: httpx.Request) -> Answer:
        """Send ``request`` and stream its answer."""
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise translate_transport_error(exc, request) from exc
        try:
            reader = self._body_reader(response)
            if not response.is_stream_consumed:
                async for chunk in response.aiter_raw():
                    reader.feed(chunk)
            content = reader.content()
        except httpx.TransportError as exc:
            raise translate_transport_error(exc, request) from exc
        except BodyError as exc:
            raise self._unusable_body(response, exc) from None
        finally:
            await response.aclose()
        return Answer(response.status_code, response.headers, content, request)

    async def close(self) -> None:
        """Release the connections (once no copy made by ``with_options`` uses them)."""
        if self._release():
            await self._http.aclose()

    async def __aenter__(self) -> AsyncInfraiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
