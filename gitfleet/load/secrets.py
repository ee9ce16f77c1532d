"""Secrets validated as the API server validates them (``ValidateSecret`` and the JSON
decoding of ``corev1.Secret``), so a malformed Secret is an error at load instead of a
value that some later stage prints in clear:

- ``data`` is a map from config keys (``[-._a-zA-Z0-9]+``, at most 253 characters) to
  base64 strings (standard alphabet, padded; line breaks ignored, as Go's decoder does);
- ``stringData`` is a map from config keys to strings;
- ``type``, when given, is a string;
- together the values hold at most 1 MiB.

Messages name the field and point at it (``path:line:col``) but never print a key or a
value: a value written in the wrong shape is still somebody's password, and a key
written without its value (``data: {Sup3rS3cret}``) is one too. A null value is refused
for the same reason, although the API server would store it empty.

Kinds that only look like ``Secret`` in the core group (``secret``, ``Secrets``) are
refused with a hint: the API server knows no such kind, and their values are masked
like a Secret's (:mod:`gitfleet.redaction`) until they are fixed.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from gitfleet.errors import Problem
from gitfleet.load.kinds import _shared_letters_ratio
from gitfleet.load.report import Reporter
from gitfleet.load.yamlio import JsonPath
from gitfleet.model.scope import group_of
from gitfleet.sops.format import SopsError, looks_encrypted, parse_enc

_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_CONFIG_KEY_MAX = 253
MAX_SECRET_SIZE = 1 << 20  # corev1.MaxSecretSize
_SCALARS = {bool: "a boolean", int: "a number", float: "a number"}


def _error(report: Reporter, where: JsonPath, message: str) -> None:
    # Reporter.error would prefix the dotted path, which holds the key.
    line, col = report.position(where)
    report.problems.append(Problem(report.path, line, col, message))


def _key_problem(key: Any) -> str | None:
    if not isinstance(key, str) or not key:
        return "must be a non-empty string"
    if len(key) > _CONFIG_KEY_MAX:
        return f"must be no more than {_CONFIG_KEY_MAX} characters"
    if key in (".", ".."):
        return "must not be '.' or '..'"
    if not _CONFIG_KEY.match(key):
        return "must consist of alphanumeric characters, '-', '_' or '.'"
    return None


def _decoded_size(value: str) -> int | None:
    try:
        return len(base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True))
    except (binascii.Error, ValueError):
        return None


def _encrypted_size(value: str) -> int:
    """The clear size of an ``ENC[...]`` value (AES-GCM keeps the length), so the 1 MiB
    bound holds offline too; a malformed one is reported by the SOPS checks."""
    try:
        return len(parse_enc(value).data)
    except SopsError:
        return 0


def _looks_like_secret(kind: str) -> bool:
    if kind.lower() == "secret":
        return True
    if len(kind) not in (5, 6, 7) or kind[0] not in "sS" or _shared_letters_ratio(kind, "Secret") < 0.8:
        return False  # cheap: most kinds (Service too) never reach difflib, not imported for a plain render
    import difflib

    return bool(difflib.get_close_matches(kind, ["Secret"], 1, 0.8))


def check_secret(doc: dict[str, Any], report: Reporter, *, encrypted: bool = False) -> None:
    """Errors of a ``v1 Secret`` (and of core look-alikes); other documents pass. With
    ``encrypted`` (a SOPS file read without its key) an ``ENC[...]`` value stands for a
    value that is checked once decrypted (:mod:`gitfleet.load.sops_files`)."""
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str) or group_of(api_version) != "":
        return
    if kind != "Secret" and _looks_like_secret(kind):
        report.error(("kind",), f"unknown core kind {kind!r}; did you mean Secret?")
        return
    if kind != "Secret":
        return
    size = 0
    for field in ("data", "stringData"):
        if field not in doc:
            continue
        block = doc[field]
        if not isinstance(block, dict):
            shape = "a list" if isinstance(block, list) else "a string" if isinstance(block, str) else (
                "null" if block is None else f"a {type(block).__name__}")
            _error(report, (field,), f"Secret {field} must be a map of keys to "
                   f"{'base64 strings' if field == 'data' else 'strings'}, not {shape} (the value is not shown)")
            continue
        for key, value in block.items():
            where: JsonPath = (field, key)
            problem = _key_problem(key)
            if problem is not None:
                _error(report, where, f"a key of Secret {field} {problem} (the key is not shown)")
            if encrypted and looks_encrypted(value):
                # data holds base64 text, which decodes to three quarters of its length
                size += _encrypted_size(value) * (3 if field == "data" else 4) // 4
                continue
            if not isinstance(value, str):
                shape = "null" if value is None else "a map or a list" if isinstance(value, (dict, list)) else (
                    f"{_SCALARS.get(type(value), 'another type')}; quote it")
                _error(report, where, f"a value of Secret {field} must be a "
                       f"{'base64 string' if field == 'data' else 'string'}, not {shape} (the value is not shown)")
                continue
            if field == "data":
                decoded = _decoded_size(value)
                if decoded is None:
                    _error(report, where, "a value of Secret data is not valid base64 (the value is not shown); "
                           "encode it, or put the clear text under stringData")
                    continue
                size += decoded
            else:
                size += len(value.encode())
    if size > MAX_SECRET_SIZE:
        _error(report, (), f"Secret data must be no more than {MAX_SECRET_SIZE} bytes in all")
    if "type" in doc and not isinstance(doc["type"], str):
        _error(report, ("type",), "Secret type must be a string (the value is not shown)")
