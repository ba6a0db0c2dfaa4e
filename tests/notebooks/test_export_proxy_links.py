"""An exported notebook run behind a Jupyter server's proxy: its sandbox links become text."""

from __future__ import annotations

from bs4 import BeautifulSoup

from .conftest import load_runner

runner = load_runner()

PAGE = """<html><body><div class="infrai-card">
<a class="infrai-button" href="/user/alice/proxy/43117/checkout/tu_1">Open checkout</a>
<a href="#Top-up">Top up</a> <a href="//cdn.example.org/x">elsewhere</a>
<a href="https://api.infrai.cc/docs">docs</a></div></body></html>"""


def test_root_relative_proxy_links_become_text_with_the_sandbox_note() -> None:
    page = BeautifulSoup(runner.make_offline(PAGE), "html.parser")
    assert [a["href"] for a in page.find_all("a")] == [
        "#Top-up",
        "//cdn.example.org/x",
        "https://api.infrai.cc/docs",
    ]
    (text,) = page.select("span.infrai-offline-link")
    assert text.get_text() == "Open checkout"
    note = page.select_one("span.infrai-offline-link + small.infrai-offline-note")
    assert note is not None and note.get_text() == f" ({runner.SANDBOX_LINK_NOTE})"
