"""Execute a notebook in a fresh kernel and export it: ``run_notebook.py NOTEBOOK --out DIR``.

The kernel is this environment's ``python3`` (never a user-level kernelspec that may
point at another Python), runs with ``HOME`` in a temporary directory (so nothing
reads or writes the user's ``~/.infrai``) and without ``INFRAI_*`` variables. Cells
tagged ``raises-exception`` may fail; any other failing cell stops the run. Before
anything is written, every output is checked for a full project key.

The tests in ``tests/notebooks`` import this file, so the demo and the suite execute
notebooks the same way.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
from bs4 import BeautifulSoup, Tag
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter
from traitlets import default
from traitlets.config import Config

from infrai_jupyter._i18n import ENGLISH, N_, normalize_language, translations
from infrai_jupyter.contract import is_loopback_host

DEFAULT_CELL_TIMEOUT_SECONDS = 60
KERNEL_NAME = "python3"
ALLOWED_ERROR_TAG = "raises-exception"

FULL_KEY = re.compile(r"ifr_pk_proj_[A-Za-z0-9_-]{12,}")
"""A project key in full; the masked form (``ifr_pk_proj_…a1b2``) does not match."""


class LeakedKeyError(RuntimeError):
    """An executed notebook shows a full project key; its files are not written."""


class EnvironmentKernelManager(AsyncKernelManager):
    """Start kernels from this environment's kernelspecs only.

    A ``python3`` spec in ``~/.local/share/jupyter/kernels`` would otherwise win and may
    run another Python without the package. Here the venv's own spec is used, or, when
    there is none, ipykernel's native one: both run ``sys.executable``.
    """

    @default("kernel_spec_manager")
    def _this_environment_only(self) -> KernelSpecManager:
        kernels = Path(sys.prefix, "share", "jupyter", "kernels")
        return KernelSpecManager(kernel_dirs=[str(kernels)])


@dataclass(frozen=True)
class NotebookRun:
    """What one execution produced."""

    notebook: nbformat.NotebookNode
    ipynb_path: Path
    html_path: Path
    seconds: float


def kernel_environment(home: Path) -> dict[str, str]:
    """This process's environment with ``HOME`` moved to ``home`` and no infrai settings."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("INFRAI_")
    }
    environment.update(
        HOME=str(home),
        USERPROFILE=str(home),  # Path.home() on Windows
        IPYTHONDIR=str(home / ".ipython"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
    )
    return environment


def execute_notebook(
    path: Path, *, timeout: int = DEFAULT_CELL_TIMEOUT_SECONDS
) -> nbformat.NotebookNode:
    """Run every cell of ``path`` in a fresh kernel and return the notebook with outputs.

    Raises ``nbclient.exceptions.CellExecutionError`` when a cell without the
    ``raises-exception`` tag fails.
    """
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="infrai-notebook-home-") as home_name:
        home = Path(home_name)
        client = NotebookClient(
            notebook,
            kernel_name=KERNEL_NAME,
            kernel_manager_class=EnvironmentKernelManager,
            timeout=timeout,
            startup_timeout=60,
            # The kernel works in the temporary home: a notebook never writes into the repo.
            resources={"metadata": {"path": home_name}},
            config=_kernel_sockets(home),
        )
        client.execute(env=kernel_environment(home))
    return notebook


def _kernel_sockets(home: Path) -> Config:
    """Unix sockets in the temporary home where possible: no port, nothing on the network."""
    if os.name != "posix":
        return Config()  # loopback TCP; ipykernel logs a warning about it
    return Config({"KernelManager": {"transport": "ipc", "ip": str(home / "kernel-ipc")}})


def find_full_keys(text: str) -> list[str]:
    """Every full project key in ``text``, masked so the report itself leaks nothing."""
    return [f"{key[:12]}…{key[-4:]} ({len(key)} chars)" for key in FULL_KEY.findall(text)]


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


SANDBOX_LINK_NOTE = N_("this link pointed at the sandbox inside the kernel that ran this notebook")
REMOTE_URL = re.compile(r"""["'`](?:https?:)?//""", re.IGNORECASE)
"""A quoted absolute URL in a script: something it may fetch."""


def export_html(notebook: nbformat.NotebookNode) -> str:
    """The notebook as a self-contained HTML page in JupyterLab's look, for any student.

    Widgets are shown by their ``text/plain``: in static HTML they would need the widget
    manager from a CDN, so offline they would be empty boxes instead of a readable hint.
    The page loads nothing from the network (see ``make_offline``).
    """
    static = copy.deepcopy(notebook)
    static.metadata.pop("widgets", None)
    for cell in static.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    body, _resources = HTMLExporter().from_notebook_node(static)
    return make_offline(body)


def is_remote(url: str) -> bool:
    """Whether the browser would fetch ``url`` from the network (``//host/…`` included)."""
    return url.strip().lower().startswith(("http:", "https:", "//"))


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine, where the notebook's sandbox listened."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return False
    return is_loopback_host(host or "")


def is_root_relative(url: str) -> bool:
    """Whether ``url`` is a path on the page's own origin (``/user/alice/proxy/8765/…``):
    how a sandbox behind a Jupyter server's proxy links, meaningless in a file."""
    url = url.strip()
    return url.startswith("/") and not url.startswith("//")


def make_offline(html: str) -> str:
    """Drop what nbconvert's template loads from a CDN; turn sandbox links into text.

    The template's ``<script src>`` tags load require.js (for widgets, which are shown as
    text here) and MathJax (the notebooks have no maths), and an inline module imports
    mermaid for diagrams (they have none); a page opened offline or years later must not
    depend on any of them. A link to a loopback address pointed at the sandbox
    in the kernel that ran the notebook, which no longer exists when the file is opened;
    so did a root-relative one (the sandbox through a Jupyter server's proxy, which names
    no origin at all in a file): each is kept as text, with a note saying so, instead of
    a link that leads nowhere.
    """
    page = BeautifulSoup(html, "html.parser")
    for tag in page.find_all(["script", "iframe", "img", "source", "embed"], src=True):
        if is_remote(tag["src"]):
            tag.decompose()
    for script in page.find_all("script"):
        # MathJax's configuration is dead without MathJax; the mermaid loader imports
        # mermaid from a CDN as soon as a diagram is on the page.
        if script.get("type") == "text/x-mathjax-config" or REMOTE_URL.search(script.get_text()):
            script.decompose()
    for tag in page.find_all("link", href=True):
        if is_remote(tag["href"]):
            tag.decompose()
    for anchor in page.find_all("a", href=True):
        if is_loopback(anchor["href"]) or is_root_relative(anchor["href"]):
            text = page.new_tag("span", attrs={"class": "infrai-offline-link"})
            text.extend(list(anchor.contents))
            note = page.new_tag("small", attrs={"class": "infrai-offline-note"})
            note.string = f" ({offline_link_note(anchor)})"
            anchor.replace_with(text, note)
    return str(page)


def offline_link_note(anchor: Tag) -> str:
    """The note in the language of what holds the link: a Chinese card gets a Chinese note."""
    holder = anchor.find_parent(attrs={"lang": True})
    code = normalize_language(str(holder["lang"])) if holder is not None else None
    return translations(code or ENGLISH).gettext(SANDBOX_LINK_NOTE)


def failed_cells(notebook: nbformat.NotebookNode) -> list[int]:
    """Indices of the code cells with an error output."""
    return [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and any(output.output_type == "error" for output in cell.get("outputs", []))
    ]


def run_notebook(
    path: Path, out_dir: Path, *, timeout: int = DEFAULT_CELL_TIMEOUT_SECONDS
) -> NotebookRun:
    """Execute ``path``, check it leaks no key, then write ``<name>.ipynb`` and ``<name>.html``."""
    started = time.monotonic()
    notebook = execute_notebook(path, timeout=timeout)
    seconds = time.monotonic() - started
    ipynb_text = nbformat.writes(notebook)
    html_text = export_html(notebook)
    leaks = find_full_keys(ipynb_text) + find_full_keys(html_text)
    if leaks:
        raise LeakedKeyError(
            f"{path.name} shows {len(leaks)} full project key(s) in its outputs "
            f"({', '.join(sorted(set(leaks)))}); nothing was written. "
            "Show keys masked (str(key) or key.masked), never get_secret_value()."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    ipynb_path = out_dir / path.name
    html_path = ipynb_path.with_suffix(".html")
    ipynb_path.write_text(ipynb_text, encoding="utf-8")
    html_path.write_text(html_text, encoding="utf-8")
    return NotebookRun(notebook, ipynb_path, html_path, seconds)


def main(argv: list[str] | None = None) -> int:
    """Command line: run one notebook, print where the HTML is."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path, help="the .ipynb to execute")
    parser.add_argument("--out", type=Path, required=True, help="directory for .ipynb and .html")
    parser.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_CELL_TIMEOUT_SECONDS,
        help="seconds each cell may run (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        run = run_notebook(args.notebook, args.out, timeout=args.timeout)
    except CellExecutionError as error:
        print(f"error: a cell of {args.notebook} failed:\n{error}", file=sys.stderr)
        return 1
    except LeakedKeyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    expected = len(failed_cells(run.notebook))
    print(
        f"Executed {args.notebook} in {run.seconds:.1f} s "
        f"({expected} cell(s) failed on purpose, tagged {ALLOWED_ERROR_TAG})."
    )
    print(f"Notebook: {run.ipynb_path}")
    print(f"HTML:     {run.html_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
