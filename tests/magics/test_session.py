"""The magics' ``Session`` on its own: no IPython, a real sandbox, the real default client."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from infrai_jupyter import _default
from infrai_jupyter import sandbox as sandbox_package
from infrai_jupyter.display import render_html, render_text
from infrai_jupyter.errors import (
    APIConnectionError,
    CredentialsError,
    InsufficientCreditError,
)
from infrai_jupyter.magics import session as session_module
from infrai_jupyter.magics.session import Session
from infrai_jupyter.sandbox import SandboxServer

URL_ENV = "INFRAI_BASE_URL"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private HOME, no INFRAI_* variables, and a default client made afresh."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("INFRAI_API_KEY", raising=False)
    monkeypatch.delenv(URL_ENV, raising=False)
    _default.reset()
    yield tmp_path
    _default.reset()


@pytest.fixture
def session() -> Iterator[Session]:
    session = Session(timeout=7.0, max_retries=1)
    yield session
    session.stop_sandbox()


@pytest.fixture
def broken_credentials(home: Path) -> Path:
    """A credentials file that fails to parse: reading it raises CredentialsError."""
    path = home / ".infrai" / "credentials"
    path.parent.mkdir()
    path.write_text("{not json", encoding="utf-8")
    return path


@pytest.fixture
def started_servers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[SandboxServer, int]]:
    """Every sandbox the session starts, with its port (read while it still runs)."""
    started: list[tuple[SandboxServer, int]] = []

    class Recorded(SandboxServer):
        def start(self) -> SandboxServer:
            server = super().start()
            started.append((server, int(server.url.rsplit(":", 1)[1])))
            return server

    monkeypatch.setattr(sandbox_package, "SandboxServer", Recorded)
    return started


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def sandbox_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "infrai-sandbox"]


def test_the_client_has_the_session_s_limits_and_follows_changes(session: Session) -> None:
    client = session.client()
    assert (client.timeout.read, client.max_retries) == (7.0, 1)
    session.set_limits(timeout=3.0, max_retries=0)
    client = session.client()
    assert (client.timeout.read, client.max_retries) == (3.0, 0)


def test_a_form_gets_its_own_client_that_outlives_a_change_of_the_session_s(
    session: Session, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_ENV, sandbox.url)
    form_client = session.form_client()
    assert form_client is not session.client()
    session.set_limits(timeout=9.0, max_retries=0)  # replaces (and closes) the session's client
    assert not form_client.is_closed
    assert form_client.base_url == sandbox.url


def test_starting_the_sandbox_never_reads_the_credentials_file(
    session: Session, broken_credentials: Path
) -> None:
    with pytest.raises(CredentialsError):
        session.client()  # the file really is unusable
    card = session.start_sandbox()
    assert session.sandbox_url is not None
    client = session.client()
    assert client.base_url == session.sandbox_url
    assert (client.config.api_key, client.config.key_source) == (None, "none")
    assert render_text(card).startswith("✔ Sandbox running")


@pytest.mark.parametrize("failing", ["InfraiClient", "sandbox_card"])
def test_a_failure_after_the_server_started_leaves_no_server_running(
    session: Session,
    started_servers: list[tuple[SandboxServer, int]],
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{failing} failed")

    monkeypatch.setattr(session_module, failing, fail)
    with pytest.raises(RuntimeError, match=f"{failing} failed"):
        session.start_sandbox()
    ((server, port),) = started_servers
    assert not server.running and not port_is_open(port)
    assert sandbox_threads() == []
    assert session.sandbox_url is None
    assert session.client().base_url == "https://api.infrai.cc"  # not the dead sandbox


def test_stopping_the_sandbox_closes_it_and_goes_back_to_the_usual_api(
    session: Session, started_servers: list[tuple[SandboxServer, int]]
) -> None:
    session.start_sandbox()
    session.start_sandbox()  # already running: the same one
    ((_, port),) = started_servers
    assert port_is_open(port)
    assert session.stop_sandbox() == "stopped"
    assert not port_is_open(port) and sandbox_threads() == []
    assert render_text(session.sandbox_card("stopped")).startswith("Sandbox stopped")
    assert session.stop_sandbox() == "nothing to stop"  # a second stop
    assert session.client().base_url == "https://api.infrai.cc"


def test_the_session_card_says_where_it_is_connected(session: Session) -> None:
    session.start_sandbox()
    card = BeautifulSoup(render_html(session.session_card()), "html.parser")
    shown = {dt.get_text(): dd.get_text() for dt, dd in zip(card("dt"), card("dd"), strict=True)}
    assert shown["Connected to"] == session.sandbox_url
    assert shown["Mode"] == "sandbox (running in this kernel)"
    assert shown["Project key"] == "(none)"
    assert "No project key yet" in card.get_text()


def test_a_credentials_error_names_where_the_session_would_connect(
    session: Session, broken_credentials: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_ENV, "http://127.0.0.1:9")
    error = CredentialsError(f"{broken_credentials} is not JSON.")
    text = render_text(session.error_card(error))
    assert "The saved credentials cannot be used" in text
    assert text.endswith("custom · http://127.0.0.1:9")
    assert "    %infrai_login" in text and "%env" not in text


def test_a_refused_connection_to_the_session_s_own_sandbox_is_named_sandbox(
    session: Session,
) -> None:
    session.start_sandbox()
    error = APIConnectionError("Could not reach the infrai API.")
    assert render_text(session.error_card(error)).endswith(f"sandbox · {session.sandbox_url}")


@pytest.mark.parametrize(
    ("missing", "suggested"),
    [
        *(("18", "18.00"), ("0.5", "0.50"), ("abc", "25.00"), ({}, "25.00")),
        *(("NaN", "25.00"), (1e999, "25.00")),
    ],
    ids=repr,
)
def test_402_suggests_what_is_missing_or_a_sensible_default(
    session: Session, missing: Any, suggested: str
) -> None:
    error = InsufficientCreditError(
        "Not enough.", status_code=402, code="INSUFFICIENT_CREDIT", details={"missing_usd": missing}
    )
    assert session.topup_suggestion(error) == Decimal(suggested)
    card = session.error_card(error)
    assert card.commands == (f"%infrai_topup {suggested}",)


def test_an_error_card_says_the_next_step_once_in_notebook_terms(session: Session) -> None:
    error = InsufficientCreditError(
        "Not enough.", status_code=402, code="INSUFFICIENT_CREDIT", details={"missing_usd": "18"}
    )
    card = session.error_card(error)
    assert card.notes == ("Add funds, then run the cell again:",)  # not the Python-code hint
    assert card.commands == ("%infrai_topup 18.00",)
    assert "account.topup(" not in render_text(card)
