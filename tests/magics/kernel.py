"""A real ipykernel for the magics tests: run code, get back every message it produced.

Starting a kernel costs seconds, so a test module starts one (``Kernel.start``) and
runs many cells in it. ``Kernel.run`` returns a :class:`CellRun` with the execute
reply and the raw iopub messages of that cell, so a test sees what a front end sees:
``display_data`` and ``update_display_data`` with their display ids, ``execute_result``,
``error`` with its traceback, and the ``?`` help pages (a reply payload).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager

#: Generous, as a loaded 2-core CI box may be slow; no test asserts on timing.
KERNEL_START_TIMEOUT_S = 60.0
CELL_TIMEOUT_S = 60.0

#: The kinds of iopub message that become outputs in a saved notebook.
OUTPUT_MESSAGES = ("stream", "display_data", "execute_result", "error")

#: Variables of the outer process that would point the kernel at a real account.
_DROPPED_ENV = ("INFRAI_API_KEY", "INFRAI_BASE_URL", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH")


@dataclass
class CellRun:
    """What one cell produced: the execute reply and its iopub messages, in order."""

    code: str
    reply: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.reply.get("status") == "error")

    def of_type(self, *msg_types: str) -> list[dict[str, Any]]:
        """The contents of this cell's messages of the given types."""
        return [m["content"] for m in self.messages if m["msg_type"] in msg_types]

    @property
    def outputs(self) -> list[dict[str, Any]]:
        """The cell's outputs as a notebook stores them (nbformat v4 output dicts)."""
        return [dict(output) for output in notebook_outputs(self.messages)]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.of_type("error")

    @property
    def stderr(self) -> str:
        return "".join(s["text"] for s in self.of_type("stream") if s["name"] == "stderr")

    @property
    def stdout(self) -> str:
        return "".join(s["text"] for s in self.of_type("stream") if s["name"] == "stdout")

    def bundles(self, *msg_types: str) -> list[dict[str, Any]]:
        """The MIME bundles (``data``) of the rich outputs of the given types."""
        types = msg_types or ("display_data", "execute_result")
        return [content["data"] for content in self.of_type(*types)]

    def html(self) -> list[str]:
        """Every ``text/html`` this cell showed, in order."""
        return [b["text/html"] for b in self.bundles() if "text/html" in b]

    def help_page(self) -> str:
        """The text of the ``?`` help page, delivered as a reply payload."""
        pages = [p for p in self.reply.get("payload", []) if p.get("source") == "page"]
        assert pages, f"no help page in the reply to {self.code!r}: {self.reply}"
        return str(pages[-1]["data"]["text/plain"])

    def everything(self) -> str:
        """All the cell sent back, as one JSON string, for "appears nowhere" checks."""
        return json.dumps([self.reply, [m["content"] for m in self.messages]])


def notebook_outputs(messages: list[dict[str, Any]]) -> list[nbformat.NotebookNode]:
    """Outputs as a front end saves them: an update replaces the display it names."""
    outputs: list[nbformat.NotebookNode] = []
    displays: dict[str, nbformat.NotebookNode] = {}
    for message in messages:
        content = message["content"]
        display_id = content.get("transient", {}).get("display_id")
        if message["msg_type"] == "update_display_data":
            displays[display_id].update(data=content["data"], metadata=content["metadata"])
        elif message["msg_type"] in OUTPUT_MESSAGES:
            output = nbformat.v4.output_from_msg(message)
            outputs.append(output)
            if display_id:
                displays[display_id] = output
    return outputs


class Kernel:
    """One ipykernel subprocess with its own HOME, IPython and Jupyter dirs."""

    def __init__(self, manager: KernelManager, home: Path) -> None:
        self.manager = manager
        self.home = home
        self.client = manager.client()
        self.runs: list[CellRun] = []

    def run(self, code: str, timeout: float = CELL_TIMEOUT_S) -> CellRun:
        """Execute ``code`` as a cell and collect its messages until the kernel is idle."""
        messages: list[dict[str, Any]] = []
        # stop_on_error=False: ipykernel 5 (Colab's) would abort the next request after an
        # error reply, and a test often runs a cell right after one that fails on purpose.
        reply = self.client.execute_interactive(
            code,
            timeout=timeout,
            output_hook=messages.append,
            allow_stdin=False,
            stop_on_error=False,
        )
        run = CellRun(code, reply["content"], messages)
        self.runs.append(run)
        return run

    def notebook(self) -> nbformat.NotebookNode:
        """Every cell run so far as a notebook, outputs included, as a user would save it."""
        cells = []
        for count, run in enumerate(self.runs, start=1):
            cell = nbformat.v4.new_code_cell(run.code, execution_count=count)
            cell.outputs = notebook_outputs(run.messages)
            cells.append(cell)
        return nbformat.v4.new_notebook(cells=cells)

    def interrupt(self) -> None:
        self.manager.interrupt_kernel()


def kernel_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The outer environment minus anything that could reach a real account or config."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    for name in ("ipython", "jupyter-config", "jupyter-data", "jupyter-runtime"):
        (home / name).mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "HOME": str(home),
            "IPYTHONDIR": str(home / "ipython"),
            "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
            "JUPYTER_DATA_DIR": str(home / "jupyter-data"),
            "JUPYTER_RUNTIME_DIR": str(home / "jupyter-runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONUNBUFFERED": "1",
            # debugpy warns about frozen modules on every kernel start.
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "NO_PROXY": "127.0.0.1,localhost,::1",
            "no_proxy": "127.0.0.1,localhost,::1",
        }
    )
    env.update(extra or {})
    return env


@contextlib.contextmanager
def start_kernel(extra_env: Mapping[str, str] | None = None) -> Iterator[Kernel]:
    """A kernel running this interpreter, with HOME in a fresh temporary directory."""
    with tempfile.TemporaryDirectory(prefix="infrai-kernel-") as tmp:
        home = Path(tmp)
        # IPC sockets in the private directory: nothing listens on TCP, and no warning says so.
        manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(home / "kernel-ipc"))
        manager.start_kernel(
            env=kernel_env(home, extra_env), extra_arguments=["--HistoryManager.enabled=False"]
        )
        kernel = Kernel(manager, home)
        try:
            kernel.client.start_channels()
            kernel.client.wait_for_ready(timeout=KERNEL_START_TIMEOUT_S)
            executable = kernel.run("import sys; print(sys.executable)").stdout.strip()
            assert executable == sys.executable, f"the kernel runs {executable}"
            kernel.runs.clear()
            yield kernel
        finally:
            kernel.client.stop_channels()
            manager.shutdown_kernel(now=True)
            # jupyter_client 6 (Colab's) never closes the client's zmq context: a
            # ResourceWarning, an error under filterwarnings=error. Closing it twice is harmless.
            kernel.client.context.destroy(linger=0)
