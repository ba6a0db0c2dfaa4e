from __future__ import annotations

import ast
import pathlib
import sys

import infrai_jupyter.display as display


def test_public_surface_is_locked() -> None:
    assert display.__all__ == [
        "Card",
        "CardField",
        "CardFooter",
        "CardLink",
        "CardTable",
        "CardView",
        "format_usd",
        "is_safe_link",
        "origin_of",
        "redact",
        "render_html",
        "render_markdown",
        "render_text",
    ]
    assert all(hasattr(display, name) for name in display.__all__)


def test_display_imports_only_the_standard_library() -> None:
    """The renderers must stay importable (and cheap) without IPython or the client."""
    package = pathlib.Path(display.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                assert top == "__future__" or top in sys.stdlib_module_names, (module, name)
