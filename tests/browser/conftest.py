"""Fixtures for tests that drive a real JupyterLab in headless Chromium.

Fixtures, from widest scope:

- ``browser`` (session): Debian's Chromium under Playwright. Never downloaded:
  a missing Chromium FAILS the test and names ``scripts/ensure-chromium``.
- ``jupyter_lab`` (module): an isolated, offline JupyterLab server
  (`lab.JupyterLabServer`: ``.url``, ``.token``, ``.root_dir``, ``.api()``).
  Override ``jupyter_lab_extra_env`` in a test module to hand its kernels
  environment variables, e.g. the URL of a loopback server the module started,
  and ``jupyter_lab_base_url`` to serve it under a path, as a hub does.
- ``page`` (function): a fresh browser context and page, 1280x900. On failure a
  screenshot, the browser console and a Playwright trace go to
  ``artifacts/browser/``.
- ``lab`` (function): a `lab.LabNotebook` bound to ``page`` and ``jupyter_lab``.
- ``artifacts_dir`` (session): ``<repo>/artifacts/browser``, kept by CI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from .lab import UI_TIMEOUT_MS, JupyterLabServer, LabNotebook, safe_name, start_jupyter_lab

#: Where Chromium is looked for when it is not on PATH (Debian's package).
CHROMIUM_FALLBACK = Path("/usr/bin/chromium")

#: Flags for a root, headless, offline CI box. Without the background-networking
#: ones Chromium keeps trying (and failing) to reach Google services; --no-sandbox
#: is required as root; /dev/shm may be tiny in containers.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-quic",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-proxy-server",
    "--mute-audio",
    # Stable pixels for screenshots across machines.
    "--force-color-profile=srgb",
    "--font-render-hinting=none",
]

VIEWPORT: ViewportSize = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser as `browser`, so `-m "not browser"` skips them all."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report on the item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


@pytest.fixture(scope="session")
def artifacts_dir(pytestconfig: pytest.Config) -> Path:
    """`<repo>/artifacts/browser` (gitignored; CI keeps it as build artifacts)."""
    path = pytestconfig.rootpath / "artifacts" / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


def find_chromium() -> Path | None:
    """Chromium from $CHROMIUM_PATH, PATH, or Debian's location."""
    candidates = [os.environ.get("CHROMIUM_PATH"), shutil.which("chromium")]
    candidates += [shutil.which("chromium-browser"), str(CHROMIUM_FALLBACK)]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """The Chromium binary; fails (never skips) so a CI without it cannot pass silently."""
    path = find_chromium()
    if path is None:
        pytest.fail(
            "Chromium not found (looked at $CHROMIUM_PATH, PATH and /usr/bin/chromium). "
            "Run `scripts/ensure-chromium` to install Debian's chromium package. "
            "Do not use `playwright install`: its browser download is not reachable here.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """One Playwright driver per browser module.

    Not per session: Playwright's sync API keeps an asyncio loop running in the main
    thread while it lives, and every later test that calls ``asyncio.run`` (the async
    client tests) would fail with "cannot be called from a running event loop".
    """
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(
    playwright: Playwright, chromium_executable: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """Headless Debian Chromium with offline/CI-safe flags, shared by a module's tests.

    Its XDG dirs point at a temp dir: Debian's Chromium writes its crash-report
    database under ~/.config/chromium even with a throwaway --user-data-dir.
    """
    home = tmp_path_factory.mktemp("chromium-home")
    env: dict[str, str | float | bool] = {**os.environ}
    env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))
    browser = playwright.chromium.launch(
        executable_path=str(chromium_executable),
        headless=True,
        args=CHROMIUM_ARGS,
        env=env,
        timeout=60_000,
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def jupyter_lab_extra_env() -> dict[str, str]:
    """Extra environment for the module's JupyterLab and its kernels; override per module."""
    return {}


@pytest.fixture(scope="module")
def jupyter_lab_base_url() -> str:
    """The path the module's JupyterLab is served under; override per module (a hub's)."""
    return "/"


@pytest.fixture(scope="module")
def jupyter_lab(
    request: pytest.FixtureRequest,
    artifacts_dir: Path,
    jupyter_lab_extra_env: dict[str, str],
    jupyter_lab_base_url: str,
) -> Iterator[JupyterLabServer]:
    """An isolated, offline JupyterLab for this test module; its log lands in artifacts."""
    log_path = artifacts_dir / f"jupyter-lab-{safe_name(request.module.__name__)}.log"
    log_path.unlink(missing_ok=True)
    with start_jupyter_lab(
        log_path, extra_env=jupyter_lab_extra_env, base_url=jupyter_lab_base_url
    ) as server:
        yield server


@pytest.fixture
def browser_locale() -> tuple[str, str]:
    """The browser's language and time zone; a module overrides it to be someone else."""
    return "en-US", "UTC"


@pytest.fixture
def page(
    request: pytest.FixtureRequest,
    browser: Browser,
    artifacts_dir: Path,
    browser_locale: tuple[str, str],
) -> Iterator[Page]:
    """A fresh context and page; on failure saves a screenshot, console log and trace."""
    expect.set_options(timeout=UI_TIMEOUT_MS)
    locale, timezone_id = browser_locale
    context = browser.new_context(
        viewport=VIEWPORT,
        device_scale_factor=1,
        color_scheme="light",
        reduced_motion="reduce",
        locale=locale,
        timezone_id=timezone_id,
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    context.set_default_navigation_timeout(60_000)
    context.tracing.start(screenshots=True, snapshots=True)
    console: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        console.append(f"[{msg.type}] {msg.text}")

    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda exc: console.append(f"[pageerror] {exc}"))
    try:
        yield page
    finally:
        stem = artifacts_dir / f"failed-{safe_name(request.node.nodeid)}"
        if _failed(request):
            for i, p in enumerate(context.pages):
                if not p.is_closed():
                    p.screenshot(path=f"{stem}-page{i}.png", full_page=True, timeout=10_000)
            Path(f"{stem}-console.log").write_text("\n".join(console))
            context.tracing.stop(path=f"{stem}-trace.zip")
        else:
            context.tracing.stop()
        context.close()


@pytest.fixture
def lab(page: Page, jupyter_lab: JupyterLabServer, artifacts_dir: Path) -> Iterator[LabNotebook]:
    """A notebook driver; call `lab.open_new(name)` to create and open a notebook."""
    notebook = LabNotebook(page, jupyter_lab, artifacts_dir)
    yield notebook
    notebook.close()
