"""Keep the message catalogues in step with the code: ``i18n.py update|compile|check``.

Two gettext domains, each with its own catalogue folder, because the sandbox shares
nothing but the contract with the rest of the package (the contract's few messages, an
amount's refusals, are in both):

- ``infrai_jupyter``: cards, error cards and hints, the form, the magics' help;
- ``infrai_sandbox``: the sandbox's own pages (checkout, add funds, the teacher's page).

``update`` extracts every marked message with Babel (``_``, ``gettext``, ``ngettext``,
``N_``, and each magic's docstring) and merges it into each language's ``.po``: new
messages arrive untranslated, vanished ones are dropped. Translate them in the ``.po``,
then ``compile`` writes the ``.mo`` files the package reads. ``check`` (run by the
tests) fails on a message without a translation, a translation whose ``{placeholders}``
differ from the English, or a ``.mo`` older than its ``.po``.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from inspect import cleandoc
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import (
    DEFAULT_KEYWORDS,
    extract_from_dir,
    extract_from_file,
    extract_python,
)
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "infrai_jupyter"
LANGUAGES = ("zh_CN",)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class Domain:
    """One catalogue: its name, the code it covers and where its files live."""

    name: str
    source: Path
    locale_dir: Path
    skip_dirs: tuple[str, ...] = ()
    shared_files: tuple[Path, ...] = ()  # files outside ``source`` whose messages it shows

    def po_path(self, language: str) -> Path:
        return self.locale_dir / language / "LC_MESSAGES" / f"{self.name}.po"

    def mo_path(self, language: str) -> Path:
        return self.po_path(language).with_suffix(".mo")


DOMAINS = (
    Domain(
        "infrai_jupyter",
        PACKAGE,
        PACKAGE / "locale",
        skip_dirs=("sandbox",),
        shared_files=(ROOT / "scripts" / "run_notebook.py",),  # the exported page's link note
    ),
    Domain(
        "infrai_sandbox",
        PACKAGE / "sandbox",
        PACKAGE / "sandbox" / "locale",
        shared_files=(PACKAGE / "contract" / "money.py",),  # why an amount is refused
    ),
)


def extract_with_magic_docstrings(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str | tuple[str, ...], list[str]]]:
    """Babel's Python extractor, plus the docstring of every ``@line_magic``.

    ``%name?`` shows a magic's docstring, so it is a shown message like any other;
    the magics translate it under the same (``cleandoc``-ed) text.
    """
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and _is_magic(node):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                yield node.lineno, "", cleandoc(docstring), []


def _is_magic(node: ast.FunctionDef) -> bool:
    names = {
        decorator.id if isinstance(decorator, ast.Name) else getattr(decorator, "attr", "")
        for decorator in node.decorator_list
    }
    return "line_magic" in names


def extract(domain: Domain) -> Catalog:
    """Every message ``domain``'s code marks, as a fresh template."""
    template = Catalog(domain=domain.name, project="infrai-jupyter", fuzzy=False)
    skipped = {domain.source / part for part in domain.skip_dirs}

    def keep_dir(path: str) -> bool:
        folder = domain.source / path
        return folder not in skipped and "locale" not in folder.parts

    found = extract_from_dir(
        domain.source,
        method_map=[("**.py", extract_with_magic_docstrings)],  # type: ignore[list-item]
        keywords=DEFAULT_KEYWORDS,
        directory_filter=keep_dir,
    )
    for filename, lineno, message, comments, context in found:
        where = [(filename, lineno)]
        template.add(message, locations=where, auto_comments=comments, context=context)
    for path in domain.shared_files:
        for lineno, message, comments, context in extract_from_file(
            extract_python, path, keywords=DEFAULT_KEYWORDS
        ):
            where = [(_shown_path(path), lineno)]
            template.add(message, locations=where, auto_comments=comments, context=context)
    return template


def _shown_path(path: Path) -> str:
    """A message's file as the catalogue names it: within the package, else the project."""
    return str(path.relative_to(PACKAGE if path.is_relative_to(PACKAGE) else ROOT))


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, include_lineno=False, sort_output=True)
    path.write_bytes(buffer.getvalue())


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def update(domains: tuple[Domain, ...] = DOMAINS) -> None:
    for domain in domains:
        template = extract(domain)
        for language in LANGUAGES:
            path = domain.po_path(language)
            catalog = read_catalog(path) if path.exists() else _new_catalog(domain, language)
            catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
            catalog.obsolete.clear()
            write_catalog(catalog, path)
            print(f"{path.relative_to(ROOT)}: {len(catalog)} messages")


def _new_catalog(domain: Domain, language: str) -> Catalog:
    authors = "infrai_jupyter developers"
    return Catalog(
        locale=language,
        domain=domain.name,
        project="infrai-jupyter",
        version="0.1",
        copyright_holder=authors,
        last_translator=authors,
        language_team=authors,
        fuzzy=False,
    )


def compile_all(domains: tuple[Domain, ...] = DOMAINS) -> None:
    for domain in domains:
        for language in LANGUAGES:
            catalog = read_catalog(domain.po_path(language))
            domain.mo_path(language).write_bytes(compiled(catalog))


def problems() -> list[str]:
    """Everything that would show a user English (or a broken sentence) in a catalogue."""
    found: list[str] = []
    for domain in DOMAINS:
        wanted = {(message.id, message.context) for message in extract(domain) if message.id}
        for language in LANGUAGES:
            found += _catalog_problems(domain, language, wanted)
    return found


def _catalog_problems(domain: Domain, language: str, wanted: set[Any]) -> list[str]:
    path = domain.po_path(language)
    where = path.relative_to(ROOT)
    if not path.exists():
        return [f"{where}: missing; run scripts/i18n.py update"]
    catalog = read_catalog(path)
    found = []
    for message_id, context in sorted(wanted, key=str):
        message = catalog.get(message_id, context)
        if message is None:
            found.append(f"{where}: not in the catalogue: {message_id!r}")
        elif message.fuzzy or not _translated(message.string):
            found.append(f"{where}: no translation for {message_id!r} ({context or 'no context'})")
        elif _placeholders(message.id) != _placeholders(message.string):
            found.append(f"{where}: placeholders differ for {message_id!r}")
    for message in catalog:
        if message.id and (message.id, message.context) not in wanted:
            found.append(f"{where}: no longer in the code: {message.id!r}")
    mo_path = domain.mo_path(language)
    if not mo_path.exists() or mo_path.read_bytes() != compiled(catalog):
        found.append(f"{mo_path.relative_to(ROOT)}: stale; run scripts/i18n.py compile")
    return found


def _translated(string: str | tuple[str, ...]) -> bool:
    return all(string) if isinstance(string, tuple) else bool(string)


def _placeholders(text: str | tuple[str, ...]) -> set[str]:
    texts = text if isinstance(text, tuple) else (text,)
    return {match for part in texts for match in _PLACEHOLDER.findall(part)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "compile", "check"])
    parser.add_argument(
        "--domain",
        choices=[domain.name for domain in DOMAINS],
        help="update or compile only this catalogue (default: both)",
    )
    arguments = parser.parse_args()
    command = arguments.command
    domains = tuple(d for d in DOMAINS if arguments.domain in (None, d.name))
    if command == "update":
        update(domains)
    elif command == "compile":
        compile_all(domains)
    else:
        issues = problems()
        print("\n".join(issues) or "catalogues complete")
        return 1 if issues else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
