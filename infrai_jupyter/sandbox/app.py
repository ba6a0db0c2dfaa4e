"""``create_app``: the sandbox as an ASGI app, its state opened by the app's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from .api import build_router as build_api_router
from .checkout import build_router as build_checkout_router
from .context import RateLimiter, Sandbox
from .envelopes import install_error_handlers
from .settings import SandboxSettings
from .store import SqliteStore


def create_app(settings: SandboxSettings | None = None) -> FastAPI:
    """A fresh sandbox app; its store opens when the app starts (lifespan), not at import."""
    config = settings or SandboxSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        store = SqliteStore(config.db_path)
        await run_in_threadpool(store.open)
        yield {"sandbox": Sandbox(config, store, RateLimiter(config.rate_limit_per_minute))}

    app = FastAPI(
        title="infrai sandbox",
        version="1",
        summary="A local implementation of the infrai account API.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.include_router(build_api_router())
    app.include_router(build_checkout_router())
    return app
