"""Fixtures for the credentials suite: a private ``HOME`` and no ``INFRAI_*`` variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrai_jupyter.contract import PROJECT_KEY_PREFIX


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``HOME``, so ``~/.infrai`` is per test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("INFRAI_API_KEY", raising=False)
    monkeypatch.delenv("INFRAI_BASE_URL", raising=False)
    return home


def canary(name: str) -> str:
    """A well-formed key whose secret middle is easy to search for in any text."""
    return f"{PROJECT_KEY_PREFIX}CANARY{name}secretsecret{name}Tail"


def assert_masked(text: str, key: str) -> None:
    """Neither the key nor its secret middle appears in ``text``."""
    middle = key[len(PROJECT_KEY_PREFIX) : -4]
    assert key not in text and middle not in text
