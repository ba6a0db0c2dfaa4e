"""The infrai sandbox: a local, offline implementation of the account API (SPEC §2, §3, §5).

Built on FastAPI (over Starlette, served by uvicorn) because the OpenAPI document at
``/openapi.json`` is then generated from the very ``infrai_jupyter.contract`` models the
client parses: the description cannot drift from what is served. It imports nothing of
the package but the contract.

It distrusts its callers: links name its own address, never the request's ``Host``
(``context``), and a request naming a foreign host is refused (``envelopes``); failed
authentications and activations are limited per address (``api``); checkout forms
carry a token another site cannot know (``checkout``); an activation's key is shown
again only to the caller that can prove it asked (``activation``); a request cut off by
a crash blocks nobody after a restart (``idempotency``); bodies are bounded and amounts
read exactly; the SQLite file is owner-only.

Data lives in a SQLite file or, for a classroom, in PostgreSQL (``--db postgresql://…``),
served by one process or several (``--workers N``, see ``workers``); a teacher manages
the class with ``python -m infrai_jupyter.sandbox admin …`` (``admin``, ``admin_cli``).

Run it from a shell with ``python -m infrai_jupyter.sandbox`` or in-process::

    with SandboxServer(SandboxSettings(db_path=path)) as server:
        print(server.url)
"""

from __future__ import annotations

from .app import create_app
from .server import SandboxServer
from .settings import SandboxSettings

__all__ = ["SandboxServer", "SandboxSettings", "create_app"]
