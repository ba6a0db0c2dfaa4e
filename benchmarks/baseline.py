"""The baseline: a bare FastAPI JSON endpoint on the sandbox's uvicorn set-up.

The sandbox's speed is a ratio against this app, measured in the same run on the same
machine load: ``GET /baseline`` for reads, ``POST /baseline`` (a small JSON body parsed
and echoed) for writes. Handlers are ``async def``: the fastest a FastAPI endpoint gets,
so the ratio is against the framework's ceiling, not against another design choice.
It binds like the CLI (``server.bind_socket``: loopback, ``TCP_NODELAY``) and keeps
uvicorn's default logging, access log included, as the CLI does.

    python -m benchmarks.baseline [--port 0] [--workers 1]
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from infrai_jupyter.sandbox.server import bind_socket, url_for

app = FastAPI()

_BALANCE = {"ok": True, "data": {"balance_usd": "2.00", "currency": "USD"}, "error": None}


@app.get("/baseline")
async def read() -> dict[str, Any]:
    return _BALANCE


@app.post("/baseline")
async def write(body: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "data": body, "error": None}


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the bare baseline app.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    sock = bind_socket("127.0.0.1", args.port)
    host, port = sock.getsockname()[:2]
    print(f"baseline serving on {url_for(sock)}", flush=True)
    config = uvicorn.Config(
        "benchmarks.baseline:app",
        host=host,
        port=port,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
        workers=args.workers,
    )
    if args.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
