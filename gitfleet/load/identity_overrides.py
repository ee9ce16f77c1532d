"""Overrides may not change what identifies an object: ``apiVersion``, ``kind``,
``metadata.name`` and ``metadata.namespace`` (Karmada's identity of a resource, from
which its ResourceBinding and its Work are named). An override that changed them would
put a different object than the one placed on the cluster, and could turn a Secret into
a kind whose values nobody masks. So validation refuses every overrider that can write
there: a ``plaintext`` path, a ``fieldOverrider`` ``fieldPath`` and an
``imageOverrider`` ``predicate.path`` that is one of these fields, holds one of them
(``/metadata``, the whole document ``""``) or lies below one. The other overriders
write only labels, annotations and container fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitfleet.load.report import Reporter
from gitfleet.load.yamlio import JsonPath

IDENTITY: tuple[tuple[str, ...], ...] = (("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"))


def _tokens(pointer: str) -> tuple[str, ...] | None:
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        return None  # not a pointer: the syntax check reports it
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/"))


def touched_identity(pointer: str) -> str | None:
    """The identity field ``pointer`` would change (dotted), or None."""
    tokens = _tokens(pointer)
    if tokens is None:
        return None
    for field in IDENTITY:
        n = min(len(tokens), len(field))
        if tokens[:n] == field[:n]:
            return ".".join(field) if len(tokens) >= len(field) else (".".join(tokens) or "the whole object")
    return None


def _m(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _paths(ov: dict[str, Any]) -> Iterator[tuple[JsonPath, str, Any]]:
    for i, patch in enumerate(_l(ov.get("plaintext"))):
        yield ("plaintext", i, "path"), "plaintext", _m(patch).get("path")
    for i, entry in enumerate(_l(ov.get("fieldOverrider"))):
        yield ("fieldOverrider", i, "fieldPath"), "fieldOverrider", _m(entry).get("fieldPath")
    for i, image in enumerate(_l(ov.get("imageOverrider"))):
        yield ("imageOverrider", i, "predicate", "path"), "imageOverrider", _m(_m(image).get("predicate")).get("path")


def check_identity_overrides(ov: dict[str, Any], at: JsonPath, report: Reporter) -> None:
    """Errors for the overriders of one rule (``ov``, at ``at``) that write identity."""
    for where, overrider, pointer in _paths(ov):
        if not isinstance(pointer, str):
            continue
        field = touched_identity(pointer)
        if field is not None:
            report.error(at + where, f"{overrider} may not change {field}: apiVersion, kind, metadata.name and "
                         "metadata.namespace identify the object (Karmada's resource identity); "
                         "override other fields, or write another template")
