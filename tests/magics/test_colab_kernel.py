"""On Colab, in a real kernel: checkout opens at the public address Colab gives the port.

The kernel runs with a stand-in ``google.colab`` on its path (its ``output.eval_js``
answers ``google.colab.kernel.proxyPort(PORT)`` as Colab's front end does), so
``%infrai_sandbox start`` takes the Colab route in the kernel exactly as it would on
Colab, and the scripts test-oldest runs this module on Colab's own pins (IPython 7.34,
ipykernel 5.5.6).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from .kernel import Kernel, start_kernel
from .test_remote_sandbox import COLAB_OUTPUT


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    stand_in = tmp_path_factory.mktemp("colab-stand-in")
    colab = stand_in / "google" / "colab"  # google stays a namespace package, as on Colab
    colab.mkdir(parents=True)
    (colab / "__init__.py").write_text("")
    (colab / "output.py").write_text(COLAB_OUTPUT)
    with start_kernel({"PYTHONPATH": str(stand_in)}) as kernel:
        assert not kernel.run("%load_ext infrai_jupyter").failed
        yield kernel


def _port(kernel: Kernel) -> str:
    run = kernel.run(
        "from urllib.parse import urlsplit\n"
        "print(urlsplit(get_ipython().find_magic('infrai').__self__.session.sandbox_url).port)"
    )
    assert not run.failed, run.reply
    return run.stdout.strip()


def _links(html: str) -> list[str]:
    return [str(a["href"]) for a in BeautifulSoup(html, "html.parser").find_all("a")]


def test_the_sandbox_card_names_colabs_address_and_checkout_links_use_it(
    kernel: Kernel, tmp_path: Path
) -> None:
    started = kernel.run("%infrai_sandbox start")
    assert not started.failed, started.reply
    port = _port(kernel)
    origin = f"https://abc-{port}-colab.googleusercontent.com"
    card = "".join(started.html())
    assert origin in card and "public address Colab gives" in card

    assert not kernel.run("%infrai_activate").failed
    topup = kernel.run("%infrai_topup 5")
    assert not topup.failed, topup.reply
    checkout_links = [link for link in _links("".join(topup.html())) if "/checkout/" in link]
    assert len(checkout_links) == 1
    assert checkout_links[0].startswith(f"{origin}/checkout/tu_")


def test_the_kernel_still_pays_through_the_loopback_address(kernel: Kernel) -> None:
    """Colab's address is for the browser; the kernel's own calls stay on 127.0.0.1."""
    run = kernel.run("import infrai_jupyter\nprint(infrai_jupyter.account.balance().balance_usd)")
    assert not run.failed, run.reply
    assert run.stdout.strip() == "2.00"
