"""Plain-httpx helpers for driving a live sandbox over loopback (no SDK involved).

Every test that starts a sandbox runs twice: on a SQLite file and on a fresh database of
a throwaway PostgreSQL cluster (one per session). A test about one engine alone says so
with ``@pytest.mark.parametrize("sandbox_engine", ["sqlite"])``.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from bs4 import BeautifulSoup

from i18n.chinese import english_runs
from infrai_jupyter.contract import LOCALE_VARIABLES, Envelope, ErrorCode
from infrai_jupyter.sandbox import SandboxServer, SandboxSettings
from infrai_jupyter.sandbox.store import Store, open_store

from .postgres_cluster import MISSING, PostgresCluster, find_binaries

SandboxFactory = Callable[..., SandboxServer]
"""The type of the ``sandbox_factory`` fixture (tests/conftest.py)."""


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL cluster for the session; missing binaries fail (never skip)."""
    binaries = find_binaries()
    if binaries is None:
        pytest.fail(MISSING)
    cluster = PostgresCluster(binaries)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def sandbox_engine(request: pytest.FixtureRequest) -> str:
    """The engine a test's sandboxes store in."""
    engine: str = request.param
    return engine


@pytest.fixture
def sandbox_database(sandbox_engine: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test, or None for SQLite (see tests/conftest)."""
    if sandbox_engine == "sqlite":
        yield None
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    url = cluster.new_database()
    yield url
    cluster.drop_database(url)


@pytest.fixture
def database(sandbox_database: str | None, tmp_path: Path) -> str:
    """What the command line's ``--db`` names: a SQLite file, or the PostgreSQL database."""
    return sandbox_database or str(tmp_path / "cli.sqlite3")


@contextmanager
def opened_store(database: str | Path) -> Iterator[Store]:
    """Another connection to a sandbox's database, as the teacher's console opens one."""
    store = open_store(database)
    store.open()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def store(sandbox: SandboxServer) -> Iterator[Store]:
    """The teacher's own connection to the class's database."""
    with opened_store(sandbox.settings.database) as opened:
        yield opened


def settings_for(database: str, **overrides: Any) -> SandboxSettings:
    """Settings for an in-process server on the database a ``--db`` names."""
    if database.startswith("postgresql://"):
        return SandboxSettings(database_url=database, **overrides)
    return SandboxSettings(db_path=Path(database), **overrides)


def stored_bytes(server: SandboxServer) -> bytes:
    """Everything the server's database holds: its SQLite files, or every PostgreSQL row."""
    settings = server.settings
    if settings.database_url is None:
        database = settings.db_path
        files = [path for path in database.parent.iterdir() if path.name.startswith(database.name)]
        return b"".join(path.read_bytes() for path in files)
    with psycopg.connect(settings.database_url) as connection:
        tables = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        rows = [
            connection.execute(f"SELECT array_agg(t::text) FROM {table} t").fetchone()
            for (table,) in tables
        ]
    return repr(rows).encode()


def new_fingerprint() -> str:
    return secrets.token_hex(16)


def envelope(response: httpx.Response) -> dict[str, Any]:
    """The body, checked to be a well-formed sandbox envelope; amounts parsed exactly."""
    body: dict[str, Any] = response.json(parse_float=Decimal)
    Envelope[dict[str, Any]].model_validate(body)
    assert body["ok"] is (response.status_code < 400), body
    metadata = body["metadata"]
    assert metadata["vendor"] == "sandbox"
    assert metadata["cost_usd"] == 0
    assert isinstance(metadata["latency_ms"], int) and metadata["latency_ms"] >= 0
    assert uuid.UUID(metadata["request_id"]).version == 7
    if body["ok"]:
        assert body["error"] is None
    else:
        assert body["data"] is None
        assert body["error"]["code"] in {code.value for code in ErrorCode}
    return body


def data_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = envelope(response)["data"]
    return data


def error_of(response: httpx.Response, status_code: int, code: ErrorCode) -> dict[str, Any]:
    assert response.status_code == status_code, response.text
    error: dict[str, Any] = envelope(response)["error"]
    assert error["code"] == code.value
    return error


@dataclass(frozen=True)
class Account:
    """An activated sandbox account and the headers that authenticate as it."""

    key: str
    account_id: str
    activation: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def activate(client: httpx.Client, fingerprint: str | None = None, **body: Any) -> Account:
    body.setdefault("device_fingerprint", fingerprint or new_fingerprint())
    data = data_of(client.post("/v1/activate", json=body))
    return Account(data["primary_api_key"], data["account_id"], data)


def balance(client: httpx.Client, account: Account) -> Decimal:
    value: Decimal = data_of(client.get("/v1/account/balance", headers=account.headers))[
        "balance_usd"
    ]
    return Decimal(value)


def create_topup(client: httpx.Client, account: Account, amount: float, **body: Any) -> str:
    """A new top-up (a fresh Idempotency-Key each call, as the SDK sends)."""
    response = client.post(
        "/v1/account/topup",
        json={"amount_usd": amount, **body},
        headers={**account.headers, "Idempotency-Key": secrets.token_hex(8)},
    )
    topup_id: str = data_of(response)["topup_id"]
    return topup_id


@dataclass(frozen=True)
class Form:
    """A form on a sandbox page, as a browser would submit it (hidden fields included)."""

    action: str
    fields: dict[str, str]

    def submit(self, client: httpx.Client, **values: str) -> httpx.Response:
        return client.post(self.action, data={**self.fields, **values})


def forms_of(page: httpx.Response) -> list[Form]:
    """The POST forms of an HTML page, in page order."""
    soup = BeautifulSoup(page.text, "html.parser")
    return [
        Form(
            str(form["action"]),
            {
                str(field["name"]): str(field.get("value", ""))
                for field in form.find_all("input", type="hidden")
            },
        )
        for form in soup.find_all("form", method="post")
    ]


def pay(client: httpx.Client, topup_id: str) -> httpx.Response:
    """Press Pay on the top-up's checkout page."""
    return forms_of(client.get(f"/checkout/{topup_id}"))[0].submit(client)


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=30) as http:
        yield http


@pytest.fixture
def account(client: httpx.Client) -> Account:
    return activate(client)


PROG = "python -m infrai_jupyter.sandbox"
TERMINAL_WORDS = (
    # argparse's own words: Python's argparse catalogue has no Chinese
    "usage:",
    "options:",
    "positional arguments:",
    "show this help message and exit",
    # commands, typed as they are
    *(f"{PROG} admin {name}" for name in ("accounts", "grant", "export", "reset", "scenario")),
)
"""What a Chinese terminal may show of English phrases (on top of ``english_runs``'s
URLs and ``python -m …``); option names, metavars and single words already pass."""


def with_locale(**variables: str) -> dict[str, str]:
    """This environment with only ``variables`` as the locale: the suite itself reads
    English (``LANGUAGE=en``, tests/conftest.py), a child process reads what it is given."""
    environment = {
        name: value for name, value in os.environ.items() if name not in LOCALE_VARIABLES
    }
    return {**environment, **variables}


def english_in_terminal(text: str) -> list[str]:
    """The English phrases left in a terminal's text; lines a terminal wrapped read as one."""
    return english_runs(" ".join(text.split()), TERMINAL_WORDS)


def terminal_columns(text: str) -> int:
    """The columns ``text`` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= character <= "\u9fff" for character in text)
