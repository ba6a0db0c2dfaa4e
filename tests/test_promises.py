"""The Promises tables (README.md and docs/promises.md) name tests that exist.

Each promise is only as good as the test that proves it: a renamed or deleted test would
leave a promise standing on nothing, so every node id the tables cite must still be a test
function in the file it names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_ID = re.compile(r"`(tests/[\w/]+\.py)::(?:(\w+)::)?(\w+)(?:\[[^\]`]*\])?`")


def cited_tests() -> list[tuple[str, str]]:
    cited = set()
    for document in ("README.md", "docs/promises.md"):
        for match in NODE_ID.finditer((ROOT / document).read_text(encoding="utf-8")):
            cited.add((match.group(1), match.group(3)))
    return sorted(cited)


def defined_tests(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name.startswith("test_")
    }


def test_every_test_a_promise_cites_exists() -> None:
    cited = cited_tests()
    assert len(cited) > 50  # the tables were found and read
    missing = [
        f"{path}::{name}"
        for path, name in cited
        if not (ROOT / path).is_file() or name not in defined_tests(path)
    ]
    assert missing == [], "promises cite tests that do not exist"
