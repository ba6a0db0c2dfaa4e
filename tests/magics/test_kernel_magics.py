"""Every magic in a real ipykernel, against the sandbox over loopback, as a notebook sees it.

One kernel serves the whole module (a kernel start costs seconds), so the tests run
in the order a user would work: load the extension, read the help, start the
sandbox, activate, look at every card, fail with 402, pay, upgrade, watch, and then
break the connection in the ways real networks do (401, refused, an HTML 502).
The last test searches everything the kernel ever sent for the project key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import nbformat
import pytest
from bs4 import BeautifulSoup, Tag

from infrai_jupyter import InfraiClient
from infrai_jupyter.sandbox import SandboxServer
from widgets.conftest import settle_checkout

from .conftest import MAGICS
from .kernel import CellRun, Kernel, start_kernel

RESULT_MIME = "application/vnd.infrai.result+json"
CARD_MIMES = {"text/plain", "text/html", "text/markdown"}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
BOGUS_KEY = "ifr_pk_proj_bogusbogusbogusbogus0000"

# Modules whose import at %load_ext would make loading the extension expensive.
HEAVY_MODULES = ("httpx", "httpcore", "pydantic", "ipywidgets", "uvicorn", "fastapi", "starlette")


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    with start_kernel() as kernel:
        yield kernel


def ok(kernel: Kernel, code: str) -> CellRun:
    """Run a cell that must succeed."""
    run = kernel.run(code)
    assert not run.failed, f"{code!r} failed: {run.reply}\n{run.stderr}"
    return run


def printed_json(kernel: Kernel, code: str) -> Any:
    """Run ``code`` (which prints one JSON document) and return the document."""
    return json.loads(ok(kernel, code).stdout)


def result_bundle(run: CellRun) -> dict[str, Any]:
    """The MIME bundle of the cell's value (``Out[n]``)."""
    results = run.of_type("execute_result")
    assert len(results) == 1, f"{run.code!r} has {len(results)} results: {run.messages}"
    return dict(results[0]["data"])


def card(html: str) -> Tag:
    """The single ``.infrai-card`` of an HTML output, parsed."""
    cards = BeautifulSoup(html, "html.parser").select("div.infrai-card")
    assert len(cards) == 1, html
    return cards[0]


def fields(card_tag: Tag) -> dict[str, str]:
    """A card's labelled fields, ``{label: text}``."""
    dl = card_tag.select_one("dl.infrai-fields")
    assert dl is not None
    labels = [dt.get_text() for dt in dl.find_all("dt")]
    values = [dd.get_text() for dd in dl.find_all("dd")]
    return dict(zip(labels, values, strict=True))


def assert_one_line_failure(run: CellRun, ename: str = "InfraiCellError") -> str:
    """The cell failed with a single traceback line (no frames) and returns that line."""
    assert run.failed
    assert run.reply["ename"] == ename
    (error,) = run.errors
    assert len(error["traceback"]) == 1, error["traceback"]
    line = str(error["traceback"][0])
    assert line.startswith(f"{ename}: ")
    assert "Traceback" not in line and "File " not in line
    return line


def error_card(run: CellRun) -> Tag:
    """The error card shown (as display_data) by a failing magic."""
    (html,) = [b["text/html"] for b in run.bundles("display_data") if "text/html" in b]
    tag = card(html)
    assert "infrai-tone-error" in tag["class"]
    return tag


# --------------------------------------------------------------------- loading


def test_load_ext_imports_nothing_heavy_and_touches_no_network(kernel: Kernel) -> None:
    ok(
        kernel,
        "import json, os, sys, threading\n"
        "_main = threading.get_ident()\n"
        "_seen, _watching = [], [True]\n"
        "def _audit(event, args):\n"
        "    if not _watching[0] or threading.get_ident() != _main:\n"
        "        return\n"
        "    if event.startswith(('socket.', 'urllib.', 'http.', 'subprocess.', 'os.system')):\n"
        "        _seen.append(event)\n"
        "    elif event == 'open' and '.infrai' in str(args[0]):\n"
        "        _seen.append(f'open {args[0]}')\n"
        "sys.addaudithook(_audit)\n"
        "_modules_before = set(sys.modules)\n"
        "_threads_before = threading.active_count()",
    )
    ok(kernel, "%load_ext infrai_jupyter")
    report = printed_json(
        kernel,
        "_watching[0] = False\n"
        "print(json.dumps({'events': _seen, 'threads': threading.active_count() - _threads_before,"
        " 'new': sorted(set(sys.modules) - _modules_before)}))",
    )
    assert report["events"] == []
    assert report["threads"] == 0
    assert "infrai_jupyter.magics" in report["new"]
    # IPython's own small modules (magic_arguments) may load; nothing from anyone else.
    assert all(name.startswith(("infrai_jupyter", "IPython")) for name in report["new"]), report[
        "new"
    ]
    loaded_here = {name.split(".")[0] for name in report["new"]}
    assert not loaded_here & set(HEAVY_MODULES)
    for lazy in ("_client", "_default", "results", "sandbox", "widgets", "display"):
        assert f"infrai_jupyter.{lazy}" not in report["new"]


def test_loading_twice_is_harmless_and_unload_removes_the_magics(kernel: Kernel) -> None:
    again = ok(kernel, "%load_ext infrai_jupyter")
    assert [o["output_type"] for o in again.outputs] == ["stream"]  # IPython: "already loaded"
    count = (
        "ip = get_ipython()\n"
        "print(json.dumps([sum(type(c).__name__ == 'InfraiMagics' for c in ip.configurables),"
        " sorted(n for n in ip.magics_manager.magics['line'] if n.startswith('infrai'))]))"
    )
    assert printed_json(kernel, count) == [1, sorted(MAGICS)]

    ok(kernel, "%unload_ext infrai_jupyter")
    assert printed_json(kernel, count) == [0, []]
    gone = kernel.run("%infrai")
    assert gone.failed and gone.reply["ename"] == "UsageError"
    # An unloaded extension takes no settings either.
    assert kernel.run("%config InfraiMagics").reply["ename"] == "UsageError"

    ok(kernel, "%load_ext infrai_jupyter")
    assert printed_json(kernel, count) == [1, sorted(MAGICS)]
    ok(kernel, "%reload_ext infrai_jupyter")
    assert printed_json(kernel, count) == [1, sorted(MAGICS)]


# ------------------------------------------------------------- help and usage


@pytest.mark.parametrize("magic", MAGICS)
def test_help_shows_usage_and_an_example(kernel: Kernel, magic: str) -> None:
    page = re.sub(r"\x1b\[[0-9;]*m", "", ok(kernel, f"%{magic}?").help_page())
    assert "Example::" in page
    example = page.split("Example::", 1)[1]
    assert f"%{magic}" in example
    if magic != "infrai":  # %infrai takes no arguments, so there is no usage line to show
        assert re.search(rf"^\s+%{magic}\b", page, re.MULTILINE), page


def test_help_documents_each_option(kernel: Kernel) -> None:
    pages = {
        magic: ok(kernel, f"%{magic}?").help_page()
        for magic in ("infrai_activate", "infrai_balance", "infrai_topup", "infrai_sandbox")
    }
    assert all(o in pages["infrai_activate"] for o in ("--region", "--no-write", "--sandbox"))
    assert "--watch" in pages["infrai_balance"]
    assert all(o in pages["infrai_topup"] for o in ("--return-url", "--idempotency-key"))
    assert all(o in pages["infrai_sandbox"] for o in ("start", "stop", "status", "--port"))


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("%infrai_topup abc", "“abc” is not a number of dollars"),
        ("%infrai_topup -5", "The amount must be at least $0.01."),
        ("%infrai_topup nan", "“nan” is not an amount of dollars"),
        ("%infrai_topup 9.999", "Use at most 2 decimals (whole cents)"),
        ("%infrai_balance --watch 0", "--watch takes a positive number"),
        ("%infrai_balance --watch soon", "invalid float value"),
        ("%infrai_balance --bogus", "unrecognized arguments: --bogus"),
        ("%infrai_keys everything", "%infrai_keys takes no arguments"),
        ("%infrai_upgrade", "Name the tier to move to, e.g. %infrai_upgrade pro. Tiers: free"),
        ("%infrai_activate --region mars", "invalid choice: 'mars'"),
        ("%infrai_sandbox explode", "invalid choice: 'explode'"),
    ],
)
def test_bad_arguments_are_one_clear_line(kernel: Kernel, line: str, says: str) -> None:
    run = kernel.run(line)
    assert run.failed and run.reply["ename"] == "UsageError"
    assert run.errors == []  # no traceback output at all
    assert run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith("UsageError: ") and says in run.stderr


# ------------------------------------------------------------------- settings


def test_config_traits_take_effect_on_the_client(kernel: Kernel) -> None:
    show = (
        "from infrai_jupyter._default import default_client\n"
        "c = default_client(); print(json.dumps([c.timeout.read, c.max_retries]))"
    )
    ok(kernel, "%config InfraiMagics.timeout = 10")
    ok(kernel, "%config InfraiMagics.max_retries = 0")  # keeps the failure tests below fast
    assert printed_json(kernel, show) == [10.0, 0]
    shown = printed_json(kernel, "t = %config InfraiMagics.timeout\nprint(json.dumps(t))")
    assert shown == 10.0


# -------------------------------------------------------- the sandbox and cards


def test_sandbox_start_and_the_session_card(kernel: Kernel) -> None:
    started = ok(kernel, "%infrai_sandbox start")
    bundle = result_bundle(started)
    assert set(bundle) == CARD_MIMES
    sandbox = fields(card(bundle["text/html"]))
    assert sandbox["URL"].startswith("http://127.0.0.1:")

    session = result_bundle(ok(kernel, "%infrai"))
    assert set(session) == CARD_MIMES
    tag = card(session["text/html"])
    shown = fields(tag)
    assert shown["Connected to"] == sandbox["URL"]
    assert shown["Mode"] == "sandbox (running in this kernel)"
    assert shown["Project key"] == "(none)"
    listed = [row.find("td").get_text() for row in tag.select("table.infrai-table tbody tr")]
    assert [item.split()[0].lstrip("%") for item in listed] == list(MAGICS)


def test_activate_card_masks_the_key_and_the_session_uses_it(kernel: Kernel) -> None:
    # Log lines land in the outputs too, so the last test checks them for the key as well.
    ok(
        kernel,
        "import logging\n"
        "for name in ('infrai_jupyter', 'httpx'):\n"
        "    logging.getLogger(name).addHandler(logging.StreamHandler(sys.stderr))\n"
        "    logging.getLogger(name).setLevel(logging.DEBUG)",
    )
    run = ok(kernel, "%infrai_activate --no-write")
    bundle = result_bundle(run)
    assert set(bundle) == CARD_MIMES | {RESULT_MIME}
    data = bundle[RESULT_MIME]
    assert data["primary_api_key"].startswith("ifr_pk_proj_…")
    shown = fields(card(bundle["text/html"]))
    assert shown["Project key"] == data["primary_api_key"]
    assert shown["Account"] == data["account_id"]
    # The test reads the real key from a file the kernel writes: it is never printed.
    ok(
        kernel,
        "from infrai_jupyter._default import default_client\n"
        "with open(os.path.join(os.environ['HOME'], 'key.txt'), 'w') as f:\n"
        "    f.write(default_client().config.api_key)",
    )
    key = (kernel.home / "key.txt").read_text()
    assert key.startswith("ifr_pk_proj_") and key.endswith(data["primary_api_key"][-4:])

    session = fields(card(result_bundle(ok(kernel, "%infrai"))["text/html"]))
    assert session["Project key"] == data["primary_api_key"]
    assert session["Key from"] == "activation in this session"
    assert session["Region"] == data["region"]
    # A sandbox key never replaces the user's saved one.
    assert not (kernel.home / ".infrai" / "credentials").exists()


@pytest.mark.parametrize(
    ("line", "kind", "value_field"),
    [
        ("%infrai_balance", "balance", "balance_usd"),
        ("%infrai_topup 25", "topup", "amount_usd"),
        ("%infrai_keys", "keys", "items"),
    ],
)
def test_result_cards_carry_data_request_id_and_origin(
    kernel: Kernel, line: str, kind: str, value_field: str
) -> None:
    bundle = result_bundle(ok(kernel, line))
    assert set(bundle) == CARD_MIMES | {RESULT_MIME}  # and never application/json
    data = bundle[RESULT_MIME]
    assert value_field in data
    tag = card(bundle["text/html"])
    assert f"infrai-card-{kind}" in tag["class"]
    footer = tag.select_one("div.infrai-footer")
    assert footer is not None
    request_id = data["_metadata"]["request_id"]
    assert request_id and f"request {request_id}" in footer.get_text()
    assert "sandbox" in footer.get_text().split(" · ")
    # The plain-text copy inside the HTML is the text/plain form.
    plain = tag.select_one("pre.infrai-plain")
    assert plain is not None and plain.get_text() == bundle["text/plain"]
    assert request_id in bundle["text/plain"]
    assert request_id.replace("-", "\\-") in bundle["text/markdown"]


def test_topup_card_links_to_checkout(kernel: Kernel) -> None:
    bundle = result_bundle(ok(kernel, "%infrai_topup 5 --return-url https://example.com/back"))
    data = bundle[RESULT_MIME]
    assert data["state"] == "requires_payment" and data["return_url"] == "https://example.com/back"
    (link,) = card(bundle["text/html"]).select("a")
    assert link["href"] == data["checkout_url"]
    assert link["target"] == "_blank" and link["rel"] == ["noopener", "noreferrer"]


def test_a_form_keeps_working_after_the_session_changes_its_client(kernel: Kernel) -> None:
    """``%config`` replaces (and closes) the session's client; a form shown before still works."""
    ok(kernel, "form = %infrai_topup")
    ok(kernel, "magics = get_ipython().magics_manager.registry['InfraiMagics']")
    ok(kernel, "previous, magics.timeout = magics.timeout, magics.timeout + 1")
    run = ok(kernel, "form.amount.value = '5'; form.submit.click(); print(form.topup_id)")
    ok(kernel, "magics.timeout = previous")
    assert run.stdout.strip().startswith("tu_")
    # Closing the form closes the client copy it was given, never the session's.
    closed = printed_json(kernel, "form.close(); print(json.dumps(form._client.is_closed))")
    assert closed is True
    ok(kernel, "%infrai_balance")


def test_magic_returns_the_result_object(kernel: Kernel) -> None:
    shown = printed_json(
        kernel,
        "bal = %infrai_balance\n"
        "print(json.dumps([type(bal).__name__, str(bal.get('balance_usd')), bal.ok,"
        " bal['_metadata']['vendor']]))",
    )
    assert shown == ["Balance", "2.00", True, "sandbox"]


def test_402_shows_a_card_with_a_topup_and_fails_in_one_line(kernel: Kernel) -> None:
    run = kernel.run("%infrai_upgrade pro")
    line = assert_one_line_failure(run)
    assert "INSUFFICIENT_CREDIT" in line
    tag = error_card(run)
    assert tag.select_one("strong.infrai-title").get_text() == "Not enough credit"
    assert fields(tag)["Code"] == "INSUFFICIENT_CREDIT (HTTP 402)"
    commands = tag.select_one("pre.infrai-commands")
    assert commands is not None and commands.get_text() == "%infrai_topup 18.00"
    footer = tag.select_one("div.infrai-footer").get_text()
    assert re.search(r"request [0-9a-f-]{36}", footer) and "sandbox" in footer
    # In a kernel the top-up form comes right under the card.
    assert any(WIDGET_MIME in bundle for bundle in run.bundles("display_data"))


def test_pay_then_upgrade_shows_the_account_card(kernel: Kernel) -> None:
    topup = result_bundle(ok(kernel, "%infrai_topup 25"))[RESULT_MIME]
    settle_checkout(topup["checkout_url"], "pay")
    bundle = result_bundle(ok(kernel, "%infrai_upgrade pro"))
    assert set(bundle) == CARD_MIMES | {RESULT_MIME}
    assert bundle[RESULT_MIME]["tier"] == "pro"
    tag = card(bundle["text/html"])
    assert tag.select_one("strong.infrai-title").get_text() == "Tier: pro"  # said once
    assert "Tier" not in fields(tag)
    assert tag.select_one("div.infrai-hero").get_text() == "$7.00"  # 2 + 25 - 20


def test_verbose_errors_bring_the_traceback_back(kernel: Kernel) -> None:
    ok(kernel, "%config InfraiMagics.verbose_errors = True")
    try:
        run = kernel.run("%infrai_upgrade team")
    finally:
        ok(kernel, "%config InfraiMagics.verbose_errors = False")
    assert run.failed and run.reply["ename"] == "InsufficientCreditError"
    assert len(run.errors[0]["traceback"]) > 1
    error_card(run)  # the card is still shown above it


# ---------------------------------------------------------------------- watch


def test_watch_updates_one_display_in_place(kernel: Kernel) -> None:
    ok(kernel, "%config InfraiMagics.watch_interval = 0.2")
    run = ok(kernel, "%infrai_balance --watch 1")
    assert run.of_type("execute_result") == []
    shown = [m for m in run.messages if m["msg_type"].endswith("display_data")]
    cards = [m for m in shown if RESULT_MIME in m["content"]["data"]]
    assert cards[0]["msg_type"] == "display_data" and len(cards) >= 2
    assert {m["msg_type"] for m in cards[1:]} == {"update_display_data"}
    ids = {m["content"]["transient"]["display_id"] for m in cards}
    assert len(ids) == 1 and ids != {""}
    # A live line says it is live, until when, and how to stop; then that it stopped.
    status = [m["content"]["data"]["text/plain"] for m in shown if m not in cards]
    assert re.fullmatch(
        r"Updating every 0\.2 s until \d\d:\d\d \S+ — Interrupt the kernel to stop\.", status[0]
    )
    assert re.fullmatch(r"Stopped at [\d:]+ \S+, as planned: run it again to go on\.", status[-1])


def test_watch_stops_cleanly_on_interrupt(kernel: Kernel) -> None:
    messages: list[dict[str, Any]] = []

    def interrupt_after_first_update(message: dict[str, Any]) -> None:
        messages.append(message)
        if [m["msg_type"] for m in messages].count("update_display_data") == 1:
            kernel.interrupt()  # inside the refresh loop for sure: one update went out

    reply = kernel.client.execute_interactive(
        "%infrai_balance --watch 600", timeout=60, output_hook=interrupt_after_first_update
    )
    assert reply["content"]["status"] == "ok"
    assert not [m for m in messages if m["msg_type"] == "error"]
    streams = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert "KeyboardInterrupt" not in streams and "Traceback" not in streams
    updates = [m["content"]["data"]["text/plain"] for m in messages if "data" in m["content"]]
    assert "the card shows the last balance" in updates[-1] and "Stopped at" in updates[-1]
    assert printed_json(kernel, "print(json.dumps(1 + 1))") == 2  # the kernel carries on


# ------------------------------------------------- failures of the connection


def test_sandbox_stop_keeps_the_configured_limits(kernel: Kernel) -> None:
    stopped = result_bundle(ok(kernel, "%infrai_sandbox stop"))
    assert card(stopped["text/html"]).select_one("strong.infrai-title").get_text() == (
        "Sandbox stopped"
    )
    again = result_bundle(ok(kernel, "%infrai_sandbox stop"))
    assert card(again["text/html"]).select_one("strong.infrai-title").get_text() == (
        "No sandbox was running"
    )
    ok(kernel, "%infrai")
    shown = printed_json(
        kernel, "c = default_client(); print(json.dumps([c.timeout.read, c.max_retries]))"
    )
    assert shown == [10.0, 0]


def test_401_tells_how_to_sign_in_and_the_advice_works(
    kernel: Kernel, outer_sandbox: SandboxServer
) -> None:
    ok(kernel, f"%env INFRAI_BASE_URL={outer_sandbox.url}")
    ok(kernel, f"%env INFRAI_API_KEY={BOGUS_KEY}")
    run = kernel.run("%infrai_balance")
    assert "Not signed in" in assert_one_line_failure(run)
    tag = error_card(run)
    assert tag.select_one("strong.infrai-title").get_text() == "Not signed in"
    # The user's terms, not the server's header advice.
    assert "did not accept this session's project key" in fields(tag)["Message"]
    assert "Bearer" not in tag.get_text() and "Authorization" not in tag.get_text()
    text = tag.get_text()
    assert "%infrai_activate" in text and "%infrai_login" in text
    assert "%env" not in text  # advice that would save a key in the notebook
    assert fields(tag)["Code"].endswith("(HTTP 401)")
    assert outer_sandbox.url in tag.select_one("div.infrai-footer").get_text()

    # In plain Python the typed exception is raised, traceback and all.
    plain = kernel.run("from infrai_jupyter import account\naccount.balance()")
    assert plain.failed and plain.reply["ename"] == "AuthenticationError"
    assert len(plain.errors[0]["traceback"]) > 1

    # Following the card's advice (set INFRAI_API_KEY, run again) works in the same session.
    with InfraiClient(base_url=outer_sandbox.url) as client:
        client.activate(write_credentials=False, device_fingerprint="kernel-test-401-advice")
        good_key = client.config.api_key
    assert good_key is not None
    (kernel.home / "good-key.txt").write_text(good_key)
    ok(
        kernel,
        "os.environ['INFRAI_API_KEY'] = "
        "open(os.path.join(os.environ['HOME'], 'good-key.txt')).read()",
    )
    balance = result_bundle(ok(kernel, "%infrai_balance"))[RESULT_MIME]
    assert balance["balance_usd"] == 2.0


def test_connection_refused_names_the_url_and_suggests_the_sandbox(
    kernel: Kernel, closed_port_url: str
) -> None:
    ok(kernel, f"os.environ['INFRAI_BASE_URL'] = {closed_port_url!r}")
    ok(kernel, f"os.environ['INFRAI_API_KEY'] = {BOGUS_KEY!r}")  # signed in, server gone
    run = kernel.run("%infrai_balance")
    assert assert_one_line_failure(run).startswith("InfraiCellError: APIConnectionError: ")
    tag = error_card(run)
    assert tag.select_one("strong.infrai-title").get_text() == "Cannot reach the infrai API"
    assert closed_port_url in fields(tag)["Message"]
    assert closed_port_url in tag.select_one("div.infrai-footer").get_text()
    assert tag.select_one("pre.infrai-commands").get_text() == "%infrai_sandbox start"


def test_html_502_is_called_not_the_api(kernel: Kernel, proxy_502_url: str) -> None:
    ok(kernel, f"os.environ['INFRAI_BASE_URL'] = {proxy_502_url!r}")
    run = kernel.run("%infrai_balance")
    assert "MalformedResponseError" in assert_one_line_failure(run)
    tag = error_card(run)
    assert tag.select_one("strong.infrai-title").get_text() == "That server is not the infrai API"
    message = fields(tag)["Message"]
    assert proxy_502_url in message and "not the infrai API envelope" in message
    assert fields(tag)["Answer"] == "HTTP 502 text/html"
    assert tag.select_one("pre.infrai-commands").get_text() == "%infrai"
    # The page itself is not echoed into the card as markup.
    assert tag.find("h1") is None and tag.find("center") is None


def test_a_server_that_echoes_the_key_gets_it_masked_everywhere(
    kernel: Kernel, echo_key_url: str
) -> None:
    secret = "EchoEchoEchoEchoEcho" + "z9y8"
    ok(kernel, f"os.environ['INFRAI_BASE_URL'] = {echo_key_url!r}")
    ok(kernel, f"os.environ['INFRAI_API_KEY'] = 'ifr_pk_proj_{secret}'")
    run = kernel.run("%infrai_balance")
    line = assert_one_line_failure(run)
    assert line.startswith("InfraiCellError: BAD_KEY_ifr_pk_proj_…z9y8")
    tag = error_card(run)
    assert fields(tag)["Code"].startswith("BAD_KEY_ifr_pk_proj_…z9y8")
    everything = run.everything()
    assert secret[:-4] not in everything
    for invisible in ("\\u001b", "\\u0007", "\\u202e", "\\u2066", "\\u2069"):
        assert invisible not in everything  # as JSON writes them
    assert len(everything) < 100_000  # 200 kB of message became a few lines
    assert tag.find("script") is None


# ---------------------------------------------------------------------- keys


def test_no_full_key_in_any_output_or_the_saved_notebook(kernel: Kernel) -> None:
    key = (kernel.home / "key.txt").read_text()
    good_key = (kernel.home / "good-key.txt").read_text()
    ok(kernel, "%infrai")  # the session card with the env key, masked
    saved = nbformat.writes(kernel.notebook())
    assert len(kernel.runs) > 40 and '"output_type": "display_data"' in saved
    for secret in (key, good_key):
        hidden = secret[len("ifr_pk_proj_") : -4]  # what the mask never shows
        assert len(hidden) >= 16
        for run in kernel.runs:
            outputs = json.dumps(
                [m["content"] for m in run.messages if m["msg_type"] != "execute_input"]
            )
            assert hidden not in outputs, f"key leaked by {run.code!r}"
        saved_outputs = json.dumps([cell.outputs for cell in nbformat.reads(saved, 4).cells])
        assert hidden not in saved_outputs
