"""The exported page on its own: what ``make_offline`` keeps, drops and turns into text."""

from __future__ import annotations

from bs4 import BeautifulSoup

from .conftest import load_runner

runner = load_runner()

PAGE = """<html><head>
<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js"></script>
<script src="//cdn.jsdelivr.net/npm/mathjax@2/MathJax.js"></script>
<link rel="stylesheet" href="https://fonts.example.com/face.css">
<script>var inline = 1;</script><style>.jp-Cell{margin:0}</style>
<script type="text/x-mathjax-config">MathJax.Hub.Config({});</script>
<script type="module">const m = (await import("https://cdnjs.example/mermaid.mjs")).default;</script>
</head><body>
<div class="infrai-card"><a class="infrai-button" href="http://127.0.0.1:43117/checkout/t_1">Open
checkout</a> <a href="http://localhost:8000/admin">admin</a> <a href="http://[::1]:9/x">v6</a>
<a href="https://api.infrai.cc/docs">docs</a><iframe src="https://example.com/embed"></iframe>
</div></body></html>"""


def test_remote_scripts_styles_frames_and_imports_are_dropped_and_inline_ones_kept() -> None:
    page = BeautifulSoup(runner.make_offline(PAGE), "html.parser")
    assert page.find_all(["script", "link", "iframe"], src=True) == []
    assert page.find_all("link") == []
    assert page.script is not None and page.script.get_text() == "var inline = 1;"
    assert page.style is not None


def test_sandbox_links_become_text_with_a_note_and_others_stay_links() -> None:
    page = BeautifulSoup(runner.make_offline(PAGE), "html.parser")
    assert [a["href"] for a in page.find_all("a")] == ["https://api.infrai.cc/docs"]
    texts = [span.get_text() for span in page.select("span.infrai-offline-link")]
    assert texts == ["Open\ncheckout", "admin", "v6"]
    notes = page.select("span.infrai-offline-link + small.infrai-offline-note")
    assert len(notes) == 3
    assert notes[0].get_text() == f" ({runner.SANDBOX_LINK_NOTE})"


def test_the_note_speaks_the_language_of_the_card_holding_the_link() -> None:
    page = BeautifulSoup(
        runner.make_offline(
            '<html lang="en"><body>'
            '<div class="infrai-card" lang="zh-CN"><a href="http://127.0.0.1:9/checkout/t_1">'
            "打开支付页面</a></div>"
            '<div class="infrai-card" lang="en"><a href="/user/ada/proxy/9/checkout/t_2">'
            "Open checkout</a></div>"
            '<p><a href="http://localhost:9/admin">admin</a></p></body></html>'
        ),
        "html.parser",
    )
    notes = [note.get_text() for note in page.select("small.infrai-offline-note")]
    assert notes == [
        " (这个链接指向运行本笔记本的内核里的沙盒，现已无法打开)",  # noqa: RUF001
        f" ({runner.SANDBOX_LINK_NOTE})",
        f" ({runner.SANDBOX_LINK_NOTE})",
    ]
