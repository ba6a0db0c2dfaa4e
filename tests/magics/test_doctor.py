"""``%infrai_doctor`` in a real kernel: a redacted report a user can paste into a ticket."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from importlib.metadata import version

import certifi
import pytest

from infrai_jupyter.sandbox import SandboxServer

from .kernel import Kernel, start_kernel

KEY = "ifr_pk_proj_CANARYdoctorsecretsecretTail"
PROXY = "http://someone:hunter2secret@proxy.example.org:3128"


@pytest.fixture
def kernel(
    outer_sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kernel]:
    ca = tmp_path_factory.mktemp("ca") / "corporate-ca.pem"
    shutil.copy(certifi.where(), ca)  # a real bundle: httpx loads it for every client
    env = {
        "INFRAI_BASE_URL": outer_sandbox.url,
        "INFRAI_API_KEY": KEY,
        "HTTPS_PROXY": PROXY,
        "SSL_CERT_FILE": str(ca),
    }
    with start_kernel(env) as kernel:
        yield kernel


def test_the_report_names_what_support_needs_and_no_secret(
    kernel: Kernel, outer_sandbox: SandboxServer
) -> None:
    kernel.run("%load_ext infrai_jupyter")
    run = kernel.run("%infrai_doctor")
    assert not run.failed, run.reply
    (result,) = run.of_type("execute_result")
    text = result["data"]["text/plain"]
    assert "Jupyter (JupyterLab or Notebook 7" in text
    assert "widgets" in text and f"can show (ipywidgets {version('ipywidgets')})" in text
    assert "ifr_pk_proj_…Tail from INFRAI_API_KEY" in text
    assert outer_sandbox.url in text
    assert "yes: HTTP 401" in text and "(no key sent)" in text
    assert "clock skew" in text and "(fine)" in text
    assert "http://someone:***@proxy.example.org:3128" in text
    assert "corporate-ca.pem (exists)" in text
    assert "infrai_jupyter " in text and "httpx " in text
    everything = str(run.messages)
    assert "CANARYdoctorsecretsecret" not in everything and "hunter2secret" not in everything
    assert result["data"]["text/html"].count("<") == 2  # <pre> and </pre>: the rest escaped
