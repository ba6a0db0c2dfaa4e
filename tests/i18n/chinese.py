"""What a reader sees of a card or a form, and the English left in it.

``english_runs`` is the check that catches a string someone forgot to mark: it removes
what is English on purpose, then reports every run of two or more English words. What
it removes, and why, is the whole allowlist:

- URLs, and paths under ``~/.infrai``: addresses, typed or clicked as they are;
- masked project keys (``ifr_pk_proj_…a1b2``): a key is shown as it is;
- commands: ``%infrai…`` with its arguments, ``python -m …``, and Python calls such as
  ``infra.activate()`` or ``account.topup(amount_usd=...)``: typed as they are;
- the product's name with its noun, ``infrai API``;
- text the test itself passes as a server's (``server_words``): the API's words are
  not ours to translate.

Single English words stay allowed (ids, codes, tier and region names, ``HTTP``, ``USD``,
``ms``), so only a phrase, which a forgotten message always is, fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bs4 import BeautifulSoup

_CODE = (
    r"https?://\S+",
    r"~?/?[\w./-]*\.infrai/credentials\b",
    r"ifr_pk_proj_\S*",
    r"%infrai\w*(?:[ \t]+(?:--?[\w-]+|\d+(?:\.\d+)?))*",
    r"python -m [\w.]+",
    r"\b[\w.]+\([^()]*\)",
    r"\binfrai API\b",
)
_CODE_PATTERN = re.compile("|".join(f"(?:{pattern})" for pattern in _CODE))
# A word: letters only, at least two of them, not all capitals (HTTP, USD, CET are codes).
_WORD = r"(?:[A-Za-z][a-z]+|[a-z]{2,})(?:['\u2019][a-z]+)?"
_RUN = re.compile(rf"\b{_WORD}(?:[ \t]+{_WORD})+\b")


def english_runs(text: str, server_words: Iterable[str] = ()) -> list[str]:
    """Every run of 2+ English words in ``text`` once the allowlist above is removed."""
    for words in server_words:
        text = text.replace(words, " ")
    return _RUN.findall(_CODE_PATTERN.sub(" ", text))


def visible_text(html: str) -> str:
    """The text a reader (or a screen reader) meets in ``html``: no style sheets."""
    soup = BeautifulSoup(html, "html.parser")
    for style in soup.find_all("style"):
        style.decompose()
    labels = [
        str(element.get(attribute))
        for attribute in ("aria-label", "title", "placeholder")
        for element in soup.find_all(attrs={attribute: True})
    ]
    return "\n".join([soup.get_text("\n"), *labels])
