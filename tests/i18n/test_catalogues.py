"""Every message the code marks has a Simplified Chinese translation, compiled and loaded."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from infrai_jupyter import _i18n


def test_every_marked_message_is_translated_and_compiled(catalogue_tool: ModuleType) -> None:
    problems = catalogue_tool.problems()
    assert not problems, "run scripts/i18n.py update, translate, compile:\n" + "\n".join(problems)


def test_the_compiled_catalogue_is_what_the_package_reads(catalogue_tool: ModuleType) -> None:
    domain = catalogue_tool.DOMAINS[0]
    catalogue = catalogue_tool.read_catalog(domain.po_path("zh_CN"))
    translated = [message for message in catalogue if message.id and isinstance(message.id, str)]
    assert translated, "the catalogue is empty"
    with _i18n.language("zh-CN"):
        for message in translated:
            assert _read(message) == message.string
    with _i18n.language("en"):
        for message in translated:
            assert _read(message) == message.id


def _read(message: Any) -> str:
    """The message as the package reads it: by its context, when it has one."""
    if message.context:
        return _i18n.pgettext(message.context, message.id)
    return _i18n.gettext(message.id)
