"""``create_app``: the sandbox as an ASGI app, its state opened by the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .admin_page import build_router as build_admin_router
from .api import build_router as build_api_router
from .checkout import build_router as build_checkout_router
from .context import RateLimiter, Sandbox, is_root_path, path_prefix
from .envelopes import (
    BodySizeLimitMiddleware,
    KnownHostMiddleware,
    PathPrefixMiddleware,
    install_error_handlers,
)
from .idempotency import new_instance, reap_dead_instances
from .settings import SandboxSettings
from .store import Store, open_store

logger = logging.getLogger(__name__)


def _start(settings: SandboxSettings, store: Store) -> Sandbox:
    """Open the database, register this app and release the reservations of dead ones."""
    store.open()
    instance = new_instance()
    with store.transaction() as tx:
        tx.save_instance(instance)
        reap_dead_instances(tx, settings, instance.heartbeat_at)
        secret = tx.ensure_secret("hmac", secrets.token_bytes(32))
    return Sandbox(
        settings,
        store,
        instance,
        secret,
        RateLimiter(settings.rate_limit_per_minute),
        RateLimiter(settings.auth_failures_per_minute),
        RateLimiter(settings.activations_per_minute),
    )


def _heartbeat(sandbox: Sandbox) -> None:
    with sandbox.store.transaction() as tx:
        tx.save_instance(replace(sandbox.instance, heartbeat_at=time.time()))


async def _keep_alive(sandbox: Sandbox) -> None:
    """Renew this app's lease until cancelled; a failed renewal only logs, the next retries."""
    while True:
        await asyncio.sleep(sandbox.settings.instance_lease_seconds / 3)
        try:
            await run_in_threadpool(_heartbeat, sandbox)
        except Exception:
            logger.warning("sandbox heartbeat failed", exc_info=True)


def _stop(sandbox: Sandbox) -> None:
    try:
        with sandbox.store.transaction() as tx:
            tx.forget_instance(sandbox.instance.instance_id)
    finally:
        sandbox.store.close()


def create_app(settings: SandboxSettings | None = None) -> FastAPI:
    """A fresh sandbox app; its store opens when the app starts (lifespan), not at import."""
    config = settings or SandboxSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        sandbox = await run_in_threadpool(_start, config, open_store(config.database))
        heartbeat = asyncio.create_task(_keep_alive(sandbox))
        try:
            yield {"sandbox": sandbox}
        finally:
            heartbeat.cancel()
            with suppress(asyncio.CancelledError):
                await heartbeat
            await run_in_threadpool(_stop, sandbox)

    app = FastAPI(
        title="infrai sandbox",
        version="1",
        summary="A local implementation of the infrai account API.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, limit=config.max_body_bytes)
    if path_prefix(config):
        app.add_middleware(PathPrefixMiddleware, prefix=path_prefix(config))
    if config.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(config.trusted_proxies))
    # Outermost, so that it judges the connection as it came: the real peer and path.
    public_host = urlsplit(config.public_url).hostname if config.public_url else None
    public_path = path_prefix(config) if is_root_path(config.public_url) else None
    app.add_middleware(KnownHostMiddleware, public_host=public_host, public_path=public_path)
    app.include_router(build_api_router())
    app.include_router(build_checkout_router())
    if config.admin_token:
        app.include_router(build_admin_router())
    return app
