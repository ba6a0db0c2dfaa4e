"""The committed notebooks: valid, tagged where they fail on purpose, and leaking nothing.

Fast checks on the files themselves (no kernel): whatever outputs a notebook is
committed with must hold no full project key, no absolute path of the machine that ran
it and no port of a sandbox that is long gone.
"""

from __future__ import annotations

import json
import re
from typing import Any

import nbformat
import pytest

from .conftest import NOTEBOOKS, NOTEBOOKS_DIR, load_runner

runner = load_runner()

MACHINE_PATH = re.compile(r"/root\b|/home/|/tmp/|/work\b|/Users/|[A-Za-z]:\\\\Users")
LOOPBACK_PORT = re.compile(r"(?:127\.0\.0\.1|localhost|\[::1\]):\d{4,5}")


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS_DIR / name, as_version=4)


def _tags(cell: dict[str, Any]) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def test_the_notebooks_are_the_expected_ones() -> None:
    assert sorted(path.name for path in NOTEBOOKS_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_is_valid_nbformat_with_stable_cell_ids(name: str) -> None:
    notebook = _read(name)
    nbformat.validate(notebook)
    ids = [cell.id for cell in notebook.cells]
    assert len(ids) == len(set(ids)), "cell ids must be unique (the tests find cells by id)"
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_exactly_the_intentional_errors_are_tagged(name: str) -> None:
    notebook = _read(name)
    tagged = {cell.id for cell in notebook.cells if runner.ALLOWED_ERROR_TAG in _tags(cell)}
    assert tagged == NOTEBOOKS[name]
    failing = {
        cell.id
        for cell in notebook.cells
        if any(output.output_type == "error" for output in cell.get("outputs", []))
    }
    assert failing <= tagged, f"committed error outputs in untagged cells: {failing - tagged}"


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_committed_outputs_are_safe(name: str) -> None:
    notebook = _read(name)
    problems = []
    for cell in notebook.cells:
        shown = json.dumps(cell.get("outputs", []), ensure_ascii=False)
        for pattern, what in ((MACHINE_PATH, "absolute path"), (LOOPBACK_PORT, "loopback port")):
            problems += [f"cell {cell.id}: {what} {hit!r}" for hit in pattern.findall(shown)]
        problems += [f"cell {cell.id}: full key {hit}" for hit in runner.find_full_keys(shown)]
    saved_state = json.dumps(notebook.metadata, ensure_ascii=False)
    problems += [f"metadata: full key {hit}" for hit in runner.find_full_keys(saved_state)]
    problems += [f"metadata: loopback port {hit}" for hit in LOOPBACK_PORT.findall(saved_state)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_no_full_key_anywhere_in_the_file(name: str) -> None:
    text = (NOTEBOOKS_DIR / name).read_text(encoding="utf-8")
    assert runner.find_full_keys(text) == []


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_lessons_speak_of_the_api_reference_not_the_seed(name: str) -> None:
    notebook = _read(name)
    shown = "\n".join(cell.source for cell in notebook.cells).lower()
    assert "seed" not in shown


def test_the_classroom_lesson_starts_its_sandbox_in_one_line() -> None:
    (start,) = [cell for cell in _read("03_classroom.ipynb").cells if cell.id == "start"]
    assert "ClassSandbox(" in start.source
    for plumbing in ("subprocess", "threading", "import re", "socket"):
        assert plumbing not in start.source


def test_committed_without_outputs() -> None:
    """The repository keeps the notebooks clean; executed copies go to artifacts/."""
    for name in NOTEBOOKS:
        for cell in _read(name).cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (name, cell.id)


def test_the_key_check_tells_full_keys_from_masked_ones() -> None:
    full = "ifr_pk_proj_" + "Ab3_-x" * 6
    assert runner.find_full_keys(f"key: {full}.") == ["ifr_pk_proj_…3_-x (48 chars)"]
    assert (
        runner.find_full_keys("ifr_pk_proj_…a1b2 and ifr_pk_proj_... and ifr_pk_proj_wrong") == []
    )
    assert full not in " ".join(runner.find_full_keys(full)), "the report must mask what it found"


def test_the_path_and_port_checks_catch_what_they_should() -> None:
    assert MACHINE_PATH.search("saved to /home/ada/.infrai/credentials")
    assert MACHINE_PATH.search("database: /tmp/infrai-sandbox-x/db.sqlite3")
    assert not MACHINE_PATH.search("saved to: ~/.infrai/credentials")
    assert LOOPBACK_PORT.search("http://127.0.0.1:54321/checkout/tu_1")
    assert not LOOPBACK_PORT.search("http://127.0.0.1:9 and http://192.168.1.20:8765")
