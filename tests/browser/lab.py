"""A real JupyterLab server and a Playwright helper that drives notebooks in it.

Browser tests need a JupyterLab that is isolated from the developer's own
configuration, never reaches the network, and can be driven deterministically
by a headless Chromium. `JupyterLabServer` starts such a server;
`LabNotebook` opens a notebook in it and runs cells, switches themes and saves
screenshots the way a person would, but with explicit waits at every step.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

#: How long the server, and a fresh kernel, may take on a loaded 2-core CI box.
SERVER_START_TIMEOUT_S = 90.0
KERNEL_TIMEOUT_MS = 60_000
#: Default bound for one cell to finish executing.
CELL_TIMEOUT_MS = 60_000
#: Default bound for ordinary UI steps (a dialog, a theme switch, a rendered widget).
UI_TIMEOUT_MS = 30_000

ThemeName = Literal["light", "dark"]
THEMES: dict[ThemeName, str] = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}

#: Loopback addresses that must never go through a proxy (kernel -> local test servers).
_LOOPBACK_NO_PROXY = ("127.0.0.1", "localhost", "::1")

#: Environment variables of the outer process that would leak the user's Jupyter
#: setup (or a CI's) into the test server; they are replaced or dropped.
_JUPYTER_ENV_TO_DROP = (
    "JUPYTER_TOKEN",
    "JUPYTER_PORT",
    "JUPYTER_PATH",
    "JUPYTER_CONFIG_PATH",
    "JUPYTER_SERVER_ROOT",
    "JUPYTER_ALLOW_INSECURE_WRITES",
    "JUPYTERLAB_DIR",
)

#: User settings written before the server starts. They keep the UI quiet and
#: deterministic: no news/update requests (the machine has no network), no toasts
#: that could cover what a test clicks, and every cell attached to the DOM.
DEFAULT_USER_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
    },
    "@jupyterlab/apputils-extension/themes.jupyterlab-settings": {
        "theme": THEMES["light"],
        "adaptive-theme": False,
    },
}


def free_port() -> int:
    """Ask the OS for a currently free loopback port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _no_proxy(existing: str | None) -> str:
    entries = [e.strip() for e in (existing or "").split(",") if e.strip()]
    entries += [h for h in _LOOPBACK_NO_PROXY if h not in entries]
    return ",".join(entries)


@dataclass
class JupyterLabServer:
    """A running `jupyter lab` subprocess; use `start_jupyter_lab` to get one."""

    url: str
    token: str
    root_dir: Path
    runtime_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def api(self, method: str, path: str, body: Any | None = None, timeout: float = 10.0) -> Any:
        """Call the server's REST API with token auth; return the decoded JSON (or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path.lstrip("/"),
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def lab_url(self, path: str = "lab") -> str:
        """An authenticated URL: the token in the query makes the server set a login cookie."""
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path.lstrip('/')}{sep}token={self.token}"

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no server log>"


def _write_user_settings(settings_dir: Path, settings: Mapping[str, Mapping[str, Any]]) -> None:
    for rel, values in settings.items():
        target = settings_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values, indent=2))


def _server_env(base: Path, extra_env: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _JUPYTER_ENV_TO_DROP}
    dirs = {
        # Isolate every per-user location so the developer's config, kernels,
        # settings and workspaces are neither read nor written.
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_DATA_DIR": base / "data",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": base / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": base / "lab-workspaces",
        "IPYTHONDIR": base / "ipython",
    }
    for key, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[key] = str(path)
    env.update(
        {
            # Silences jupyter_core's platformdirs migration warning and prefers the venv's paths.
            "JUPYTER_PLATFORM_DIRS": "1",
            "JUPYTER_PREFER_ENV_PATH": "1",
            "PYTHONUNBUFFERED": "1",
            # The kernel must reach test servers on loopback even behind a CI proxy.
            "NO_PROXY": _no_proxy(os.environ.get("NO_PROXY")),
            "no_proxy": _no_proxy(os.environ.get("no_proxy")),
            # debugpy (ipykernel's debugger) warns about frozen modules on every kernel start.
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
    )
    env.update(extra_env)
    return env


def _wait_until_ready(server: JupyterLabServer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last_error = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"jupyter lab exited with {server.process.returncode} before it was ready.\n"
                f"--- server log ---\n{server.log_tail()}"
            )
        try:
            status = server.api("GET", "api/status", timeout=5.0)
            if isinstance(status, dict):
                return
        except (OSError, urllib.error.URLError, ValueError) as exc:
            last_error = repr(exc)
        time.sleep(0.25)
    raise TimeoutError(
        f"jupyter lab did not answer /api/status within {timeout_s:.0f}s ({last_error}).\n"
        f"--- server log ---\n{server.log_tail()}"
    )


def _kernel_pids(runtime_dir: Path) -> list[int]:
    """PIDs of processes whose command line names a connection file in our runtime dir.

    Kernels are started in their own session, so killing the server's process
    group would not reach them; their connection file path identifies them.
    """
    needle = str(runtime_dir).encode()
    pids: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return pids
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            pids.append(int(entry.name))
    return pids


def _stop(server: JupyterLabServer, timeout_s: float = 20.0) -> None:
    """Shut down kernels and the server; escalate to signals only if that fails."""
    if server.process.poll() is None:
        # /api/shutdown stops every kernel first, then the server itself.
        with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
            server.api("POST", "api/shutdown", timeout=5.0)
        try:
            server.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGTERM)
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait(timeout=10)
    # Reap any kernel that outlived its server so CI is left with no orphans.
    for pid in _kernel_pids(server.runtime_dir):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def start_jupyter_lab(
    log_path: Path,
    extra_env: Mapping[str, str] | None = None,
    user_settings: Mapping[str, Mapping[str, Any]] = DEFAULT_USER_SETTINGS,
    attempts: int = 3,
    base_url: str = "/",
) -> Iterator[JupyterLabServer]:
    """Run an isolated, offline JupyterLab on a free loopback port for the `with` body.

    `extra_env` is added to the server's environment, which its kernels inherit:
    that is how a test hands a kernel the URL of a loopback server it started.
    `base_url` serves it under a path, as JupyterHub serves `/user/alice/`.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="infrai-lab-") as tmp:
        base = Path(tmp)
        root_dir = base / "root"
        root_dir.mkdir()
        env = _server_env(base, extra_env or {})
        _write_user_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]), user_settings)
        server: JupyterLabServer | None = None
        for attempt in range(1, attempts + 1):
            port, token = free_port(), secrets.token_hex(24)
            cmd = [
                # `-m jupyterlab` runs this interpreter's JupyterLab directly; `jupyter lab`
                # would look `jupyter-lab` up on PATH, which may be another install.
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                f"--ServerApp.base_url={base_url}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root_dir}",
                # Offline: no news feed, no update check (both would try the internet).
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                # Exposes `window.jupyterapp` so tests can run Lab commands (theme switch).
                "--LabApp.expose_app_in_browser=True",
            ]
            with log_path.open("ab") as log:
                log.write(f"\n=== attempt {attempt}: port {port} ===\n".encode())
                log.flush()
                process = subprocess.Popen(
                    cmd,
                    env=env,
                    cwd=root_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            server = JupyterLabServer(
                url=f"http://127.0.0.1:{port}{base_url}",
                token=token,
                root_dir=root_dir,
                runtime_dir=Path(env["JUPYTER_RUNTIME_DIR"]),
                log_path=log_path,
                process=process,
            )
            try:
                _wait_until_ready(server, SERVER_START_TIMEOUT_S)
                break
            except RuntimeError:
                # Most likely the port was taken between free_port() and bind: retry.
                _stop(server)
                if attempt == attempts:
                    raise
            except BaseException:
                _stop(server)
                raise
        assert server is not None
        try:
            yield server
        finally:
            _stop(server)


def write_notebook(path: Path, cells: list[str] | None = None) -> Path:
    """Write a minimal nbformat-4 notebook whose kernelspec avoids the kernel-picker dialog."""
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"cell-{i}",
                "metadata": {},
                "source": source,
                "outputs": [],
                "execution_count": None,
            }
            for i, source in enumerate(cells or [""])
        ],
    }
    path.write_text(json.dumps(notebook, indent=1))
    return path


#: Calls a JS function source `script` as `script(app, nb, arg)`: `app` is
#: `window.jupyterapp` (exposed by --LabApp.expose_app_in_browser), `nb` the
#: notebook panel whose path is `path`, or null while it is not open.
_WITH_APP_AND_NOTEBOOK = """([path, script, arg]) => {
    const app = window.jupyterapp;
    if (!app) throw new Error("window.jupyterapp is not exposed");
    let nb = null;
    for (const w of app.shell.widgets("main")) {
        if (w.context && w.context.path === path && w.content) nb = w;
    }
    return (0, eval)(script)(app, nb, arg);
}"""


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def safe_name(text: str) -> str:
    """A file-name-safe version of a test id or label."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:150] or "artifact"


class LabNotebook:
    """Drives one notebook in JupyterLab through the UI, waiting explicitly at each step.

    Typical use::

        nb = lab.open_new("demo")
        out = nb.run_cell("print('hi')")
        expect(out).to_contain_text("hi")
        nb.set_theme("dark")
        nb.screenshot(out, "demo-dark")
    """

    def __init__(self, page: Page, server: JupyterLabServer, artifacts_dir: Path) -> None:
        self.page = page
        self.server = server
        self.artifacts_dir = artifacts_dir
        self.name: str | None = None

    # --- opening ---------------------------------------------------------------

    def open_new(self, name: str, cells: list[str] | None = None) -> LabNotebook:
        """Create `<name>.ipynb` in the server's root dir and open it."""
        filename = name if name.endswith(".ipynb") else f"{name}.ipynb"
        write_notebook(self.server.root_dir / filename, cells)
        return self.open(filename)

    def open(self, filename: str) -> LabNotebook:
        """Open an existing notebook and wait until its kernel is idle.

        `reset` starts from an empty workspace so notebooks opened by earlier
        tests on the same server are not restored into this page.
        """
        self.name = filename
        self.page.goto(self.server.lab_url(f"lab/tree/{filename}?reset"), wait_until="load")
        expect(self.panel).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
        # The model, not just the DOM, must be loaded before cells are counted or typed in.
        self._wait_for_js(
            "(app, nb) => !!(nb && nb.context.isReady && nb.content.widgets.length)",
            KERNEL_TIMEOUT_MS,
        )
        expect(self.cells.first.locator(".cm-content")).to_be_visible(timeout=UI_TIMEOUT_MS)
        self.dismiss_dialogs()
        self.wait_for_kernel_idle()
        return self

    @property
    def panel(self) -> Locator:
        """The visible notebook panel (`open` resets the workspace, so there is one)."""
        return self.page.locator(".jp-NotebookPanel").filter(visible=True).first

    @property
    def cells(self) -> Locator:
        """All cells of the notebook, in order."""
        return self.panel.locator(".jp-Notebook .jp-Cell")

    def cell(self, index: int) -> Locator:
        """One cell by position (negative counts from the end)."""
        return self.cells.nth(index if index >= 0 else self.cell_count() + index)

    def close(self) -> None:
        """Shut down this notebook's kernel so idle kernels don't pile up on a 2-core CI box."""
        if self.name is None:
            return
        with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
            for session in self.server.api("GET", "api/sessions") or []:
                if session.get("path") == self.name:
                    self.server.api("DELETE", f"api/sessions/{session['id']}")

    # --- kernel and dialogs -------------------------------------------------------

    def _wait_for_js(self, script: str, timeout_ms: float, arg: Any = None) -> None:
        """Wait until `script` (a JS function as for `_app_eval`) returns true."""
        self.page.wait_for_function(
            _WITH_APP_AND_NOTEBOOK, arg=[self.name, script, arg], polling=100, timeout=timeout_ms
        )

    def wait_for_kernel_idle(self, timeout_ms: float = KERNEL_TIMEOUT_MS) -> None:
        """Wait until the notebook has a connected kernel that is idle.

        The toolbar's execution indicator alone is not enough: it reads "idle"
        before any kernel is attached, and a Shift+Enter in that window is
        silently dropped (the cell stays `[ ]:`). So ask the session itself.
        """
        self._wait_for_js(
            """(app, nb) => {
                const ctx = nb && nb.sessionContext;
                const kernel = ctx && ctx.session && ctx.session.kernel;
                return !!(ctx && ctx.isReady && kernel && kernel.connectionStatus === "connected"
                          && kernel.status === "idle");
            }""",
            timeout_ms,
        )
        # A narrow window folds the toolbar's indicator into its overflow menu.
        indicator = self.panel.locator(".jp-Notebook-ExecutionIndicator")
        if indicator.count():
            expect(indicator).to_have_attribute("data-status", "idle", timeout=timeout_ms)

    def dismiss_dialogs(self) -> None:
        """Accept any modal dialog (kernel picker, 'file changed', ...) and close toasts.

        The server settings already suppress news and update toasts; this is the
        safety net for whatever else a future JupyterLab may pop up.
        """
        dialogs = self.page.locator(".jp-Dialog")
        for _ in range(5):
            if dialogs.count() == 0:
                break
            accept = dialogs.last.locator(".jp-Dialog-button.jp-mod-accept")
            if accept.count():
                accept.first.click()
            else:
                self.page.keyboard.press("Escape")
            with contextlib.suppress(AssertionError):
                expect(dialogs).to_have_count(0, timeout=5_000)
        expect(dialogs).to_have_count(0, timeout=UI_TIMEOUT_MS)
        for close in self.page.locator(".Toastify__close-button").all():
            with contextlib.suppress(PlaywrightError):  # it may close itself meanwhile
                close.click(timeout=2_000)

    # --- running cells ---------------------------------------------------------

    def _app_eval(self, script: str, arg: Any = None) -> Any:
        """Evaluate `script`, a JS function `(app, nb, arg)`, in the page.

        `app` is `window.jupyterapp`; `nb` is this notebook's panel, found by its
        path among the main-area widgets (not `currentWidget`, which follows focus),
        or null while it is not open yet.
        """
        return self.page.evaluate(_WITH_APP_AND_NOTEBOOK, [self.name, script, arg])

    def _cell_source(self, index: int) -> str:
        return str(
            self._app_eval(
                "(app, nb, i) => nb.content.widgets[i].model.sharedModel.getSource()",
                index,
            )
        )

    def cell_count(self) -> int:
        """Number of cells in the notebook model, once the DOM shows them all."""
        n = int(self._app_eval("(app, nb) => nb.content.widgets.length"))
        expect(self.cells).to_have_count(n, timeout=UI_TIMEOUT_MS)
        return n

    def cell_outputs(self, index: int) -> list[dict[str, Any]]:
        """The nbformat outputs of cell `index`, read from the notebook model."""
        outputs = self._app_eval(
            "(app, nb, i) => nb.content.widgets[i].model.outputs.toJSON()", index
        )
        return list(outputs)

    def run_cell(
        self,
        code: str,
        timeout_ms: float = CELL_TIMEOUT_MS,
        allow_errors: bool = False,
    ) -> Locator:
        """Type `code` into the last cell, run it, and return that cell's output area.

        The code goes in through the real CodeMirror 6 editor (click, select all,
        insert_text: one input event, so no auto-indent or bracket closing), is
        checked against the cell model, then runs with Shift+Enter. JupyterLab
        writes the execution count only after the kernel's reply *and* its idle
        status arrived, so waiting for `[n]:` means every output is in the model;
        no sleeps. Raises if the cell raised, unless `allow_errors`.
        """
        index = self.cell_count() - 1
        target = self.cells.nth(index)
        editor = target.locator(".cm-content")
        expect(editor).to_be_visible(timeout=UI_TIMEOUT_MS)
        editor.click()
        expect(target).to_have_class(re.compile(r"\bjp-mod-active\b"), timeout=UI_TIMEOUT_MS)
        expect(editor).to_be_focused(timeout=UI_TIMEOUT_MS)
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.insert_text(code)
        if self._cell_source(index) != code:
            # Belt and braces: an editor extension changed what was typed; set the model.
            self._app_eval(
                "(app, nb, [i, code]) => nb.content.widgets[i].model.sharedModel.setSource(code)",
                [index, code],
            )
        assert self._cell_source(index) == code, "cell source differs from the code to run"

        prompt = target.locator(".jp-InputPrompt")
        expect(prompt).not_to_have_text(re.compile(r"\*"), timeout=timeout_ms)
        before = prompt.inner_text().strip()
        self.wait_for_kernel_idle(timeout_ms)  # else Shift+Enter may be dropped silently
        editor.press("Shift+Enter")
        expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=timeout_ms)
        expect(prompt).not_to_have_text(before, timeout=timeout_ms)
        self.wait_for_kernel_idle(timeout_ms)
        if not allow_errors:
            errors = [o for o in self.cell_outputs(index) if o.get("output_type") == "error"]
            if errors:
                tb = "\n".join(errors[0].get("traceback", []))
                raise AssertionError(f"cell {index} raised:\n{_strip_ansi(tb)}")
        return target.locator(".jp-Cell-outputArea")

    # --- theme ---------------------------------------------------------------

    def set_theme(self, theme: ThemeName, timeout_ms: float = UI_TIMEOUT_MS) -> None:
        """Switch the Lab theme with the `apputils:change-theme` command and wait for it.

        The command persists the choice to the user settings too, as a person's
        click in Settings > Theme would. `body[data-jp-theme-*]` is written by
        JupyterLab only after the theme's CSS has loaded, so waiting on it means
        the page is painted in the new theme.
        """
        name = THEMES[theme]
        body = self.page.locator("body")
        if body.get_attribute("data-jp-theme-name") != name:
            self._app_eval(
                "(app, nb, theme) => app.commands.execute('apputils:change-theme', {theme})", name
            )
        expect(body).to_have_attribute("data-jp-theme-name", name, timeout=timeout_ms)
        expect(body).to_have_attribute(
            "data-jp-theme-light", "true" if theme == "light" else "false", timeout=timeout_ms
        )
        self.settle()

    def set_theme_via_settings(self, theme: ThemeName) -> None:
        """Fallback theme switch with no page scripting: PUT the setting, then reload."""
        name = THEMES[theme]
        raw = json.dumps({"theme": name, "adaptive-theme": False})
        self.server.api(
            "PUT", "lab/api/settings/@jupyterlab/apputils-extension:themes", {"raw": raw}
        )
        self.save()
        assert self.name is not None, "open a notebook first"
        self.open(self.name)
        expect(self.page.locator("body")).to_have_attribute(
            "data-jp-theme-name", name, timeout=UI_TIMEOUT_MS
        )
        self.settle()

    def save(self) -> None:
        """Save the notebook, so a reload or navigation has no 'unsaved changes' prompt."""
        self._app_eval("(app, nb) => nb.context.save()")
        expect(self.page.locator(".jp-mod-dirty")).to_have_count(0, timeout=UI_TIMEOUT_MS)

    # --- other pages ---------------------------------------------------------

    def follow_link_to_new_page(self, link: Locator, timeout_ms: float = UI_TIMEOUT_MS) -> Page:
        """Click a link that opens a new tab (target=_blank) and return that loaded page."""
        with self.page.context.expect_page(timeout=timeout_ms) as new_page_info:
            link.click()
        new_page = new_page_info.value
        new_page.wait_for_load_state("load", timeout=timeout_ms)
        return new_page

    def come_back(self, other: Page | None = None) -> None:
        """Close `other` (if given) and bring the Lab tab to the front again."""
        if other is not None and not other.is_closed():
            other.close()
        self.page.bring_to_front()
        expect(self.panel).to_be_visible(timeout=UI_TIMEOUT_MS)

    # --- screenshots ---------------------------------------------------------

    def settle(self) -> None:
        """Wait for web fonts and two animation frames, so a screenshot shows final pixels."""
        self.page.evaluate(
            "async () => { await document.fonts.ready; "
            "await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); }"
        )

    def screenshot(self, locator: Locator, name: str) -> Path:
        """Save a PNG of `locator` to the artifacts dir and return its path."""
        path = self.artifacts_dir / f"{safe_name(name)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        expect(locator).to_be_visible(timeout=UI_TIMEOUT_MS)
        self.settle()
        locator.screenshot(path=path, animations="disabled", caret="hide")
        return path

    def screenshot_output(self, output: Locator, name: str) -> Path:
        """Save a PNG of a cell's output area (what `run_cell` returned)."""
        return self.screenshot(output, name)
