"""Karmada's fieldOverrider: JSON Patch inside a JSON or YAML document that is held in
a string field (a ConfigMap's ``data`` entry, an annotation...).

The string is parsed, patched through the ``jsonpatch`` library and written back: JSON
compact, with the key order kept and ``<``, ``>``, ``&`` escaped as Go's encoder does;
YAML with sorted keys and 2-space indent, as ``sigs.k8s.io/yaml``'s JSONToYAML does.
YAML is read with 1.1 rules (``yes`` is true) but timestamps stay strings, as in
go-yaml v2, and non-string keys become strings, as JSON requires.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import yaml

from gitfleet.model.policy import FieldOverrider, PatchOp
from gitfleet.override._doc import (
    Cow,
    OverriderFailure,
    first_missing,
    format_pointer,
    get,
    json_copy,
    parse_pointer,
)


class _Loader(yaml.CSafeLoader):
    """Safe loader without the timestamp resolver (go-yaml v2 keeps them as strings)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}

_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _json_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_json_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise OverriderFailure(f"YAML value {value} has no JSON representation")
    if isinstance(value, bytes):
        raise OverriderFailure("YAML binary values have no JSON representation")
    return value


def dump_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if any(ch in text for ch in _GO_ESCAPES):
        text = "".join(_GO_ESCAPES.get(ch, ch) for ch in text)
    return text


def dump_yaml(value: Any) -> str:
    text = yaml.dump(
        value, Dumper=yaml.CSafeDumper, sort_keys=True, default_flow_style=False, indent=2, allow_unicode=True
    )
    # PyYAML ends a bare scalar document with an explicit end marker; go-yaml does not.
    if text.endswith("\n...\n"):
        text = text[: -len("...\n")]
    return text


def _patch(document: Any, ops: tuple[PatchOp, ...], kind: str) -> Any:
    for op in ops:
        if op.op not in ("add", "remove", "replace"):
            raise OverriderFailure(f"unsupported operator {op.op!r} for subPath {op.path}")
        operation: dict[str, Any] = {"op": op.op, "path": op.path}
        if op.op != "remove":
            operation["value"] = json_copy(op.value)
        try:
            tokens = parse_pointer(op.path)
        except OverriderFailure as exc:
            raise OverriderFailure(f"subPath {op.path!r}: {exc.message}") from None
        missing = first_missing(document, tokens if op.op != "add" else tokens[:-1])
        if missing is not None:
            raise OverriderFailure(f"cannot {op.op} subPath {op.path} of the {kind} document: {missing} does not exist")
        import jsonpatch  # here, not at import: newer releases import difflib, a plain render needs neither
        import jsonpointer

        try:
            document = jsonpatch.JsonPatch([operation]).apply(document, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise OverriderFailure(f"cannot {op.op} subPath {op.path} of the {kind} document: {exc}") from None
    return document


def rewrite(text: str, overrider: FieldOverrider) -> str:
    """The new text of the field (YAML sub-operations win when both are given, and
    with neither the field becomes empty, as in Karmada)."""
    if overrider.yaml_ops:
        try:
            data = _jsonable(yaml.load(text, Loader=_Loader))
        except yaml.YAMLError as exc:
            raise OverriderFailure(f"the value is not valid YAML: {exc}") from None
        return dump_yaml(_patch(data, overrider.yaml_ops, "YAML"))
    if overrider.json_ops:
        if text == "":
            # evanphx/json-patch returns an empty document untouched.
            return text
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise OverriderFailure(f"the value is not valid JSON: {exc}") from None
        return dump_json(_patch(data, overrider.json_ops, "JSON"))
    return ""


def apply_field_overriders(doc: Mapping[str, Any], overriders: tuple[FieldOverrider, ...]) -> Mapping[str, Any]:
    """Apply fieldOverrider entries in order; returns a new document, or ``doc`` when
    nothing changed. The target must exist and be a string."""
    cow = Cow(doc)
    for number, overrider in enumerate(overriders):
        try:
            tokens = parse_pointer(overrider.field_path)
            found, text = get(cow.root, tokens)
            if not found:
                missing = first_missing(cow.root, tokens)
                raise OverriderFailure(f"fieldPath {overrider.field_path}: {missing} does not exist")
            if not isinstance(text, str):
                raise OverriderFailure(
                    f"fieldPath {format_pointer(tokens)} holds {type(text).__name__ if text is not None else 'null'},"
                    " not a string"
                )
            try:
                new = rewrite(text, overrider)
            except OverriderFailure as exc:
                raise OverriderFailure(f"fieldPath {overrider.field_path}: {exc.message}") from None
            if new != text:
                cow.set(tokens, new)
        except OverriderFailure as exc:
            raise OverriderFailure(f"entry {number}: {exc.message}") from None
    result: Mapping[str, Any] = cow.root
    return result
