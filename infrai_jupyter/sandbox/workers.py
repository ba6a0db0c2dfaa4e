"""``--workers N``: N uvicorn worker processes serving one socket the parent bound.

uvicorn's own supervisor (``Multiprocess``) starts the workers, health-checks them,
replaces one that dies and stops them all on Ctrl-C or SIGTERM. It starts them with
``spawn``, so each worker imports its app by name: ``app_from_environment`` rebuilds
the settings the parent left in ``INFRAI_SANDBOX_SETTINGS``. The parent binds first,
so ``--port 0`` still announces the real port before any worker starts.

Nothing a worker keeps in memory is needed for correctness: idempotency, one trial per
device and exact balances are enforced by the database (see ``store``), and each
worker registers as an ``Instance`` of its own. The per-address and per-key rate
limits are counted in each worker's memory, so with N workers a client may get up to
N times a limit; the teacher's scenarios are read from the database and hold exactly.
"""

from __future__ import annotations

import os
import socket

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from .app import create_app
from .settings import SandboxSettings

SETTINGS_VARIABLE = "INFRAI_SANDBOX_SETTINGS"


def app_from_environment() -> FastAPI:
    """The app of one worker process (uvicorn calls this factory by its import name)."""
    return create_app(SandboxSettings.from_json(os.environ[SETTINGS_VARIABLE]))


def serve_workers(settings: SandboxSettings, sock: socket.socket, workers: int) -> None:
    """Serve ``sock`` with ``workers`` processes until interrupted or terminated."""
    os.environ[SETTINGS_VARIABLE] = settings.to_json()
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        f"{__name__}:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        proxy_headers=False,  # forwarded headers are the app's business (trusted proxies)
        timeout_graceful_shutdown=5,
    )
    Multiprocess(config, sockets=[sock]).run()
