"""The sandbox holds up against its own callers: crashes, replays, spoofed hosts, guessers.

Each test runs the real command, ``python -m infrai_jupyter.sandbox --port 0 --db FILE``,
in a child process on loopback and reads the URL it prints. A request in flight when the
server is killed with SIGKILL must not block its idempotency key after a restart; a
replayed activation must not hand the first caller's key to someone else; links never
follow the request's ``Host``; guessing keys is rate limited per address; a cross-site
form POST cannot pay or cancel a top-up; an amount below a cent is refused exactly; the
database is private to its owner.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import re
import secrets
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from bs4 import BeautifulSoup

from .conftest import secret_part

START_DEADLINE_S = 30.0
#: How long a restarted sandbox may keep a dead request's key blocked ("a few seconds",
#: generously: nothing here asserts on speed beyond this bound).
UNBLOCK_DEADLINE_S = 20.0


class SandboxProcess:
    """``python -m infrai_jupyter.sandbox`` in a child process; ``url`` is what it printed."""

    def __init__(self, db: Path, home: Path, *options: str) -> None:
        env = {**os.environ, "HOME": str(home), "PYTHONUNBUFFERED": "1"}
        env.pop("INFRAI_API_KEY", None)
        command = [sys.executable, "-m", "infrai_jupyter.sandbox", "--port", "0", "--db", str(db)]
        self.process = subprocess.Popen(
            [*command, *options],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
        self.url = self._announced_url()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def _announced_url(self) -> str:
        deadline = time.monotonic() + START_DEADLINE_S
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            seen.append(line)
            match = re.search(r"serving on (http://\S+)", line)
            if match:
                return match[1]
        self.kill()
        raise AssertionError(f"the sandbox did not announce its URL: {''.join(seen)}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no cleanup, exactly like a crash."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        self._pump_thread.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close()


@pytest.fixture
def start_sandbox(tmp_path: Path, home: Path) -> Iterator[Any]:
    processes: list[SandboxProcess] = []

    def start(*options: str, db: Path | None = None) -> SandboxProcess:
        process = SandboxProcess(db or tmp_path / "sandbox.sqlite3", home, *options)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.stop()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """One sandbox for the tests that do not change its limits."""
    home = tmp_path_factory.mktemp("sandbox-home")
    process = SandboxProcess(home / "shared.sqlite3", home)
    yield process
    process.stop()


def fingerprint() -> str:
    return secrets.token_hex(16)


def activate(url: str, device: str | None = None, **headers: str) -> dict[str, Any]:
    body = {"device_fingerprint": device or fingerprint(), "device_kind": "cli", "region": "auto"}
    response = httpx.post(f"{url}/v1/activate", json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def topup(url: str, key: str, amount: str = "5", **headers: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/account/topup",
        content=f'{{"amount_usd":{amount}}}\n',
        headers={"Content-Type": "application/json", **bearer(key), **headers},
        timeout=30,
    )


def topup_state(url: str, key: str, topup_id: str) -> str:
    response = httpx.get(f"{url}/v1/account/topups/{topup_id}", headers=bearer(key), timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["state"])


def balance(url: str, key: str) -> str:
    response = httpx.get(f"{url}/v1/account/balance", headers=bearer(key), timeout=30)
    return str(response.json()["data"]["balance_usd"])


# ------------------------------------------------------------------ crash and restart


def _reservation_exists(db: Path) -> bool:
    try:
        with sqlite3.connect(db, timeout=1) as connection:
            rows = connection.execute("SELECT state FROM idempotency").fetchall()
    except sqlite3.Error:
        return False
    return any(state == "in_flight" for (state,) in rows)


def test_a_request_in_flight_when_the_server_is_killed_does_not_block_its_key(
    start_sandbox: Any, tmp_path: Path
) -> None:
    db = tmp_path / "crash.sqlite3"
    slow = start_sandbox("--processing-delay", "3", db=db)
    key = activate(slow.url)["primary_api_key"]
    idempotency_key = f"ik_{secrets.token_hex(16)}"

    def send() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server dies under it: expected
            topup(slow.url, key, **{"Idempotency-Key": idempotency_key})

    threading.Thread(target=send, daemon=True).start()
    deadline = time.monotonic() + 2.5
    while not _reservation_exists(db) and time.monotonic() < deadline:
        time.sleep(0.05)
    in_flight = _reservation_exists(db)
    slow.kill()
    # Read from the database itself: only there is the request visibly in flight.
    assert in_flight, "the top-up never reached its idempotency reservation: nothing to test"

    restarted = start_sandbox(db=db)
    restarted_at = time.monotonic()
    promised: list[tuple[float, float]] = []  # (when, Retry-After) of every 409
    while True:
        response = topup(restarted.url, key, **{"Idempotency-Key": idempotency_key})
        now = time.monotonic()
        if response.status_code != 409:
            break
        retry_after = float(response.headers.get("Retry-After", "1"))
        promised.append((now, retry_after))
        assert now - restarted_at < UNBLOCK_DEADLINE_S, (
            f"the key is still blocked {now - restarted_at:.0f} s after the restart: "
            f"{response.json()['error']}"
        )
        time.sleep(min(retry_after, 2.0))
    assert response.status_code == 200, response.text
    for asked_at, retry_after in promised:
        waited = now - asked_at
        # Retry-After must not promise more waiting than was really needed (1 s of slack).
        assert retry_after <= waited + 1.0, (
            f"Retry-After {retry_after} s, free after {waited:.1f} s"
        )
    listed = httpx.get(f"{restarted.url}/v1/account/topups", headers=bearer(key), timeout=30)
    assert len(listed.json()["data"]["items"]) == 1, "the dead request and its retry both ran"


# ------------------------------------------------------------------ replayed activation


def test_a_replayed_activation_never_hands_the_first_key_to_another_caller(
    shared: SandboxProcess,
) -> None:
    device = fingerprint()
    replay_key = "activate-" + secrets.token_hex(3)  # the kind of key people choose
    first = activate(shared.url, device, **{"Idempotency-Key": replay_key})
    key = first["primary_api_key"]
    assert key.startswith("ifr_pk_proj_")

    with httpx.Client(timeout=30) as stranger:  # another client: no shared connection
        body = {"device_fingerprint": device, "device_kind": "cli", "region": "auto"}
        replay = stranger.post(
            f"{shared.url}/v1/activate", json=body, headers={"Idempotency-Key": replay_key}
        )
    assert secret_part(key) not in replay.text, "the replay handed out the first caller's key"
    assert secret_part(key) not in json.dumps(dict(replay.headers))
    assert (
        httpx.get(f"{shared.url}/v1/account/balance", headers=bearer(key), timeout=30).status_code
        == 200
    )


# ------------------------------------------------------------------ spoofed host


SPOOFING = {
    "Host": "evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "javascript",
    "X-Forwarded-For": "203.0.113.9",
    "Forwarded": 'for=203.0.113.9;host=evil.example;proto="javascript"',
}


REFUSALS = {400, 403, 421}
"""What a sandbox may answer to a request naming a foreign host: refusing it is fine too."""


def assert_no_foreign_link(response: httpx.Response, url: str, *links: str) -> None:
    if response.status_code in REFUSALS:
        return
    texts = [response.text, json.dumps(dict(response.headers))]
    for text in texts:
        assert "evil.example" not in text and "javascript" not in text, text[:500]
    for link in links:
        assert link.startswith(url + "/"), link


def test_links_in_responses_never_follow_the_request_host(shared: SandboxProcess) -> None:
    body = {"device_fingerprint": fingerprint(), "device_kind": "cli", "region": "auto"}
    spoofed = httpx.post(f"{shared.url}/v1/activate", json=body, headers=SPOOFING, timeout=30)
    data = (spoofed.json().get("data") or {}) if spoofed.status_code == 200 else {}
    assert_no_foreign_link(spoofed, shared.url, *filter(None, [data.get("checkout_url")]))

    activation = activate(shared.url)
    key = activation["primary_api_key"]
    created = topup(shared.url, key, **SPOOFING)
    record = created.json()["data"] if created.status_code == 200 else {}
    links = [record.get("checkout_url", ""), record.get("next_action_url", "")]
    assert_no_foreign_link(created, shared.url, *filter(None, links))

    record = topup(shared.url, key, amount="6").json()["data"]
    for page_url in (record["checkout_url"], activation["checkout_url"]):
        assert_no_foreign_link(httpx.get(page_url, headers=SPOOFING, timeout=30), shared.url)
    settled = submit_page_form(record["checkout_url"], "pay", extra_headers=SPOOFING)
    location = settled.headers.get("location", "")
    assert_no_foreign_link(settled, shared.url, *filter(None, [location]))


def test_no_cross_site_page_can_call_or_read_the_api(shared: SandboxProcess) -> None:
    evil = {"Origin": "https://evil.example"}
    body = json.dumps({"device_fingerprint": fingerprint()})
    simple = httpx.post(  # a form or fetch() without preflight can only send text/plain
        f"{shared.url}/v1/activate",
        content=body,
        headers={**evil, "Content-Type": "text/plain"},
        timeout=30,
    )
    assert simple.status_code >= 400, "a cross-site simple request created an account"
    preflight = httpx.options(
        f"{shared.url}/v1/activate",
        headers={**evil, "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    for response in (simple, preflight):
        granted = {k: v for k, v in response.headers.items() if k.startswith("access-control-")}
        assert granted == {}, f"the sandbox grants cross-origin access: {granted}"


def test_the_checkout_page_cannot_be_framed(shared: SandboxProcess) -> None:
    key = activate(shared.url)["primary_api_key"]
    page = httpx.get(topup(shared.url, key).json()["data"]["checkout_url"], timeout=30)
    policy = page.headers.get("content-security-policy", "")
    framing = page.headers.get("x-frame-options", "").upper()
    assert "frame-ancestors 'none'" in policy or framing == "DENY", dict(page.headers)


def test_a_request_naming_a_foreign_host_is_refused(shared: SandboxProcess) -> None:
    # DNS rebinding: evil.example resolves to 127.0.0.1, so its page becomes same-origin
    # with the sandbox and can read what it answers (a new key, a checkout form's token).
    body = {"device_fingerprint": fingerprint(), "device_kind": "cli", "region": "auto"}
    port = shared.url.rsplit(":", 1)[1]
    response = httpx.post(
        f"{shared.url}/v1/activate",
        json=body,
        headers={"Host": f"evil.example:{port}"},
        timeout=30,
    )
    assert response.status_code in REFUSALS, (response.status_code, response.text[:200])


# ------------------------------------------------------------------ guessing keys


@pytest.mark.parametrize("rotate_forwarded_for", [False, True], ids=["plain", "spoofed XFF"])
def test_many_failed_authentications_from_one_address_get_429(
    start_sandbox: Any, rotate_forwarded_for: bool
) -> None:
    sandbox = start_sandbox()
    statuses: list[int] = []
    with httpx.Client(timeout=30) as guesser:
        for attempt in range(300):
            headers = bearer("ifr_pk_proj_" + secrets.token_urlsafe(32))
            if rotate_forwarded_for:  # pretend to be many addresses behind a proxy
                headers["X-Forwarded-For"] = f"198.51.100.{attempt % 250}"
                headers["X-Real-IP"] = headers["X-Forwarded-For"]
            response = guesser.get(f"{sandbox.url}/v1/account/balance", headers=headers)
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["Retry-After"]) > 0
                break
    assert statuses[-1] == 429, f"{len(statuses)} wrong keys in a row, never limited"
    assert set(statuses[:-1]) == {401}


# ------------------------------------------------------------------ cross-site checkout


def page_forms(url: str, headers: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The page's POST forms by the last path segment of their action, with their fields."""
    page = httpx.get(url, headers=headers, timeout=30)
    assert page.status_code == 200, page.text
    forms: dict[str, dict[str, Any]] = {}
    for form in BeautifulSoup(page.text, "html.parser").find_all("form"):
        action = urljoin(url, str(form.get("action", "")))
        fields = {
            str(field["name"]): str(field.get("value", ""))
            for field in form.find_all("input")
            if field.get("name") and field.get("type") == "hidden"
        }
        forms[action.rstrip("/").rsplit("/", 1)[-1]] = {"action": action, "fields": fields}
    return forms


def submit_page_form(
    url: str, which: str, extra_headers: dict[str, str] | None = None
) -> httpx.Response:
    """What the user's click does: post the page's own form, hidden fields included."""
    form = page_forms(url)[which]
    return httpx.post(form["action"], data=form["fields"], headers=extra_headers, timeout=30)


@pytest.mark.parametrize("action", ["pay", "cancel"])
@pytest.mark.parametrize(
    "forgery", ["no token", "empty token", "wrong token", "another top-up's token"]
)
def test_a_cross_site_checkout_post_is_refused_and_changes_nothing(
    shared: SandboxProcess, action: str, forgery: str
) -> None:
    key = activate(shared.url)["primary_api_key"]
    target = topup(shared.url, key).json()["data"]
    other = topup(shared.url, key, amount="7").json()["data"]
    before = balance(shared.url, key)
    fields = {
        "no token": {},
        "empty token": {"form_token": ""},
        "wrong token": {"form_token": secrets.token_hex(16)},
        "another top-up's token": page_forms(other["checkout_url"])[action]["fields"],
    }[forgery]
    response = httpx.post(
        f"{shared.url}/checkout/{target['topup_id']}/{action}",
        data=fields,
        headers={"Origin": "https://evil.example", "Referer": "https://evil.example/x"},
        timeout=30,
    )
    assert response.status_code == 403, (response.status_code, response.text[:300])
    assert topup_state(shared.url, key, target["topup_id"]) == "requires_payment"
    assert balance(shared.url, key) == before


def test_the_checkout_pages_own_forms_still_pay_and_cancel(shared: SandboxProcess) -> None:
    key = activate(shared.url)["primary_api_key"]
    paid = topup(shared.url, key, amount="5").json()["data"]
    canceled = topup(shared.url, key, amount="6").json()["data"]
    assert submit_page_form(paid["checkout_url"], "pay").status_code == 303
    assert submit_page_form(canceled["checkout_url"], "cancel").status_code == 303
    assert topup_state(shared.url, key, paid["topup_id"]) == "succeeded"
    assert topup_state(shared.url, key, canceled["topup_id"]) == "canceled"


def test_a_cross_site_add_funds_post_creates_no_top_up(shared: SandboxProcess) -> None:
    activation = activate(shared.url)
    key = activation["primary_api_key"]
    add_funds = activation["checkout_url"]
    response = httpx.post(
        add_funds, data={"amount_usd": "50"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403, (response.status_code, response.text[:300])
    listed = httpx.get(f"{shared.url}/v1/account/topups", headers=bearer(key), timeout=30)
    assert listed.json()["data"]["items"] == []


# ------------------------------------------------------------------ exact amounts


@pytest.mark.parametrize(
    "amount", ["19.999999999999999", "19.9999999999999999999999", "0.001", "1e-9", "25.000001"]
)
def test_an_amount_with_a_fraction_of_a_cent_is_refused_exactly(
    shared: SandboxProcess, amount: str
) -> None:
    key = activate(shared.url)["primary_api_key"]
    response = topup(shared.url, key, amount=amount)
    assert response.status_code == 422, (amount, response.text)
    listed = httpx.get(f"{shared.url}/v1/account/topups", headers=bearer(key), timeout=30)
    assert listed.json()["data"]["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 60_000, id="deeply nested"),
        pytest.param(b'{"amount_usd":' + b"9" * 5000 + b"}", id="5000-digit number"),
        pytest.param(b'{"amount_usd":5,"pad":"' + b"x" * (20 << 20) + b'"}', id="20 MB body"),
    ],
)
def test_a_hostile_request_body_is_a_4xx_not_a_crash(shared: SandboxProcess, body: bytes) -> None:
    key = activate(shared.url)["primary_api_key"]
    response = httpx.post(
        f"{shared.url}/v1/account/topup",
        content=body,
        headers={"Content-Type": "application/json", **bearer(key)},
        timeout=60,
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    kind = response.headers.get("content-type", "")
    assert kind.startswith("application/json"), (
        f"HTTP {response.status_code} {kind}: not an envelope"
    )
    assert response.json()["ok"] is False


# ------------------------------------------------------------------ the database file


def test_the_database_file_is_readable_by_its_owner_only(
    start_sandbox: Any, tmp_path: Path
) -> None:
    db = tmp_path / "private.sqlite3"
    sandbox = start_sandbox(db=db)
    activate(sandbox.url)
    for path in [db, *db.parent.glob(db.name + "-*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.name} is {oct(mode)}"


# ------------------------------------------------------------------ logs as a key to the replay


def test_debug_logs_of_a_retried_activation_never_let_a_reader_replay_it_for_the_key(
    start_sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # The sandbox returns an activation's key to whoever repeats its secret Idempotency-Key.
    # A slow first attempt times out, so the client retries and logs the retry at DEBUG:
    # someone who can read that log (a shared machine, a pasted bug report) must not be
    # able to turn it into the key.
    from infrai_jupyter import InfraiClient

    slow = start_sandbox("--processing-delay", "2")
    device = fingerprint()
    caplog.set_level(logging.DEBUG)
    with InfraiClient(base_url=slow.url, timeout=1, max_retries=6) as client:
        activation = client.activate(write_credentials=False, device_fingerprint=device)
    key = activation.primary_api_key.get_secret_value()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Retrying POST /v1/activate" in logged, "the activation was not retried: no attack"

    body = {"device_fingerprint": device, "device_kind": "cli", "region": "auto"}
    for candidate in set(re.findall(r"idempotency key (\S+)", logged)):
        replay = httpx.post(
            f"{slow.url}/v1/activate", json=body, headers={"Idempotency-Key": candidate}, timeout=30
        )
        assert secret_part(key) not in replay.text, "the DEBUG log was enough to replay the key"
