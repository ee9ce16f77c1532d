"""Secret values must never appear in clear on the status branch, in a diff, in a log
line or in an error message. This module replaces each value of a Secret's ``data`` and
``stringData`` by a digest, so that a changed value still shows up as a change.

The digest is ``sha256:<first 16 hex digits>`` of
``gitfleet-secret-v1 \\0 <namespace>/<name>/<key> \\0 <value bytes>``, where the value
bytes are the base64-decoded ``data`` value (so the same secret written in ``data`` or in
``stringData`` gets the same digest) or the UTF-8 ``stringData`` value. Binding the digest
to the object and key stops one table of precomputed digests from serving every Secret;
it does not make a short, guessable password safe to publish, so the status branch
should stay as private as the fleet repo.

Masking is idempotent: a value that already has the digest's exact shape is left as it
is, so masking a masked manifest (a status-branch file read back) changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from gitfleet.model.plan import Plan

DIGEST_PREFIX = "sha256:"
_DIGEST = re.compile(r"^sha256:[0-9a-f]{16}$")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def is_secret(manifest: Mapping[str, Any]) -> bool:
    return manifest.get("kind") == "Secret" and str(manifest.get("apiVersion", "")) == "v1"


def digest(scope: str, value: bytes) -> str:
    """The masked form of one value; ``scope`` is ``<namespace>/<name>/<key>``."""
    h = hashlib.sha256()
    h.update(b"gitfleet-secret-v1\0")
    h.update(scope.encode())
    h.update(b"\0")
    h.update(value)
    return DIGEST_PREFIX + h.hexdigest()[:16]


def _mask(scope: str, value: Any, data: bool) -> str:
    text = "" if value is None else str(value)
    if _DIGEST.match(text):
        return text
    return digest(scope, _data_bytes(text) if data else text.encode())


def _data_bytes(value: Any) -> bytes:
    text = "" if value is None else str(value)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        # Not valid base64 (the API server would refuse it): digest the text as written.
        return text.encode()


def mask_manifest(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    """``manifest`` with every Secret value replaced by its digest; other kinds are
    returned as they are (the same object, so callers can compare by identity)."""
    if not is_secret(manifest):
        return manifest
    meta = manifest.get("metadata") or {}
    prefix = f"{meta.get('namespace') or ''}/{meta.get('name') or ''}/"
    out = dict(manifest)
    data = manifest.get("data")
    if isinstance(data, Mapping):
        out["data"] = {k: _mask(prefix + str(k), v, data=True) for k, v in data.items()}
    string_data = manifest.get("stringData")
    if isinstance(string_data, Mapping):
        out["stringData"] = {k: _mask(prefix + str(k), v, data=False) for k, v in string_data.items()}
    annotations = meta.get("annotations")
    if isinstance(annotations, Mapping) and _LAST_APPLIED in annotations:
        # kubectl copies the whole object, values included, into this annotation.
        out["metadata"] = {
            **meta,
            "annotations": {
                **annotations,
                _LAST_APPLIED: _mask(prefix + _LAST_APPLIED, annotations[_LAST_APPLIED], data=False),
            },
        }
    return out


def mask_manifests(manifests: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """One cluster's ``key -> manifest`` map, masked."""
    return {key: mask_manifest(m) for key, m in manifests.items()}


def mask_plan(plan: Plan) -> Plan:
    """``plan`` with every Secret manifest masked (placements are untouched)."""
    return replace(plan, manifests={c: mask_manifests(m) for c, m in plan.manifests.items()})


def secret_values(manifests: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every clear-text value (as written and, for ``data``, decoded) of the Secrets in
    ``manifests``, for :func:`redact` to scrub from free text such as log lines."""
    values: set[str] = set()
    for manifest in manifests:
        if not is_secret(manifest):
            continue
        for field in ("data", "stringData"):
            block = manifest.get(field)
            if not isinstance(block, Mapping):
                continue
            for value in block.values():
                if value is None or str(value) == "":
                    continue
                values.add(str(value))
                if field == "data":
                    decoded = _data_bytes(value)
                    try:
                        values.add(decoded.decode())
                    except UnicodeDecodeError:
                        pass
    return values


def redact(text: str, values: Iterable[str]) -> str:
    """``text`` with each of ``values`` replaced by ``***`` (longest first, so a value
    that contains another is scrubbed whole)."""
    for value in sorted((v for v in values if len(v) >= 3), key=len, reverse=True):
        text = text.replace(value, "***")
    return text
