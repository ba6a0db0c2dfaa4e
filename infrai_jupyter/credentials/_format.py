"""The credentials file's format: every field of its type, and every key checked."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import TypeVar

from .._i18n import N_, gettext
from ..contract import HOSTED_BASE_URL
from ..contract.keys import ApiKey, KeyFormatError, check_key
from ..errors import CredentialsError, InvalidKeyError
from ._kept import (
    KeptAccount,
    StoredCredentials,
    keep,
)
from ._key_problems import key_problem

API_KEY_ENV = "INFRAI_API_KEY"
BASE_URL_ENV = "INFRAI_BASE_URL"
FieldT = TypeVar("FieldT", str, bool)


def parse(data: bytes, path: Path) -> tuple[StoredCredentials, list[KeptAccount]]:
    """The default account and every kept one in ``data``, each field of its type.

    A file of an earlier version has no ``accounts``: its one account is kept, active.
    """
    document = _json_object(data, path)
    default = _parse_account(document, path)
    entries = document.get("accounts", [])
    if not isinstance(entries, list):
        raise unusable(
            path,
            gettext("{path} has accounts = {kind}, not a list.").format(
                path=path, kind=_json_kind(entries)
            ),
        )
    kept: list[KeptAccount] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise unusable(
                path,
                gettext("{path} lists {kind} among its accounts.").format(
                    path=path, kind=_json_kind(entry)
                ),
            )
        kept.append(KeptAccount(_parse_account(entry, path), _field(entry, "active", False, path)))
    return default, keep(kept, default, activate=False)


def _parse_account(document: dict[str, object], path: Path) -> StoredCredentials:
    api_key = document.get("api_key")
    if not isinstance(api_key, str):
        if "api_key" not in document:
            problem = gettext("{path} has no api_key, where the project key belongs.")
        else:
            problem = gettext("{path} has api_key = {kind}, where the project key belongs.")
        raise unusable(path, problem.format(path=path, kind=_json_kind(api_key)))
    stored = StoredCredentials(
        api_key=checked_key(api_key, str(path), _file_fix(path)),
        base_url=_field(document, "base_url", HOSTED_BASE_URL, path),
        region=_field(document, "region", "auto", path),
        account_id=_field(document, "account_id", "", path),
        project_id=_field(document, "project_id", "", path),
        sandbox=_field(document, "sandbox", False, path),
    )
    if not stored.base_url:
        raise unusable(
            path,
            gettext("{path} has an empty base_url: the key's server is unknown.").format(path=path),
        )
    return stored


def _field(document: dict[str, object], name: str, default: FieldT, path: Path) -> FieldT:
    value = document.get(name, default)
    if type(value) is not type(default):
        expected = gettext("true or false") if isinstance(default, bool) else gettext("text")
        raise unusable(
            path,
            gettext("{path} has {name} = {kind}, not {expected}.").format(
                path=path, name=name, kind=_json_kind(value), expected=expected
            ),
        )
    return value


def _json_object(data: bytes, path: Path) -> dict[str, object]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        raise unusable(
            path, gettext("{path} is UTF-16 or binary, not UTF-8 text.").format(path=path)
        )
    try:
        document = json.loads(data.decode("utf-8-sig"))  # a BOM from Notepad is harmless
    except UnicodeDecodeError:
        raise unusable(path, gettext("{path} is not UTF-8 text.").format(path=path)) from None
    except (ValueError, RecursionError):
        raise unusable(path, gettext("{path} is not JSON.").format(path=path)) from None
    if not isinstance(document, dict):
        raise unusable(
            path,
            gettext("{path} holds {kind}, not a JSON object.").format(
                path=path, kind=_json_kind(document)
            ),
        )
    return document


def _json_kind(value: object) -> str:
    """Name a JSON value's type without showing it: it may be a key."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    kinds = {
        str: N_("text"),
        int: N_("a number"),
        float: N_("a number"),
        list: N_("a list"),
        dict: N_("an object"),
    }
    kind = kinds.get(type(value))
    return gettext(kind) if kind else type(value).__name__


def unusable(path: Path, problem: str) -> CredentialsError:
    repair = gettext(
        "Repair the file by hand, or move it aside and run infra.activate() again; or set "
        "{variable}, which is used instead of the file. Keep the old file: it may hold your "
        "only copy of a key, and the key is the account."
    ).format(variable=API_KEY_ENV)
    return CredentialsError(f"{problem} {repair}")


def checked_key(key: str | ApiKey, source: str, fix: str) -> str:
    """The key from ``source`` once :func:`check_key` accepts it, else an InvalidKeyError.

    The error names where the key came from and how to fix it there; the key is masked.
    ``fix`` is a sentence, or a constant marked with ``N_`` (translated here). What is
    wrong with the key is the contract's reason, said in the user's language.
    """
    try:
        return check_key(key)
    except KeyFormatError as exc:
        raise InvalidKeyError(
            gettext("{problem} It came from {source}. {fix}").format(
                problem=key_problem(exc), source=source, fix=gettext(fix)
            )
        ) from None


def _file_fix(path: Path) -> str:
    return gettext(
        "Correct it in {path}, or set {variable} to a valid key. Do not delete the file if it "
        "holds your only copy of the key: the key is the account and its money."
    ).format(path=path, variable=API_KEY_ENV)
