"""``INFRAI_LOG=debug``: the package's decisions on stderr, as a user turns it on, keys masked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from infrai_jupyter.sandbox import SandboxServer

SESSION = """
import sys
from infrai_jupyter import InfraiClient
with InfraiClient(base_url=sys.argv[1], max_retries=0) as client:
    client.activate()
    client.account.balance()
"""


def run(sandbox: SandboxServer, home: Path, level: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFRAI_")}
    env["HOME"] = str(home)
    if level is not None:
        env["INFRAI_LOG"] = level
    return subprocess.run(
        [sys.executable, "-c", SESSION, sandbox.url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_infrai_log_debug_prints_the_package_s_lines_with_keys_masked(
    sandbox: SandboxServer, home: Path
) -> None:
    logged = run(sandbox, home, "debug").stderr
    key = json.loads((home / ".infrai" / "credentials").read_text())["api_key"]
    assert "[infrai INFO] Saved credentials for ifr_pk_proj_…" in logged
    assert key not in logged and key[12:-4] not in logged


def test_without_infrai_log_nothing_is_printed(sandbox: SandboxServer, home: Path) -> None:
    assert run(sandbox, home, None).stderr == ""
    assert run(sandbox, home / "other", "verbose-please").stderr == ""  # not a level
