"""JSON Schema validation of Karmada's kinds and ``fleet.yaml``.

The schemas in ``policies-schema/`` (installed as ``gitfleet/schemas``) are the one
source of truth, also usable by editors. This module only loads them and turns
``jsonschema`` errors into ``path:line:col`` problems. ``jsonschema`` is imported when
the first document is validated: it costs a fresh process ~60-100 ms, and many runs
(``status``, an incremental ``render --commit`` of a changed template) validate nothing.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from gitfleet.load.names import shown
from gitfleet.load.report import Reporter
from gitfleet.load.schema_check import Check, compile_schema
from gitfleet.load.yamlio import JsonPath

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

SCHEMA_BASE = "https://gitfleet.io/schemas/"

# (apiVersion, kind) -> schema file
KIND_SCHEMAS: Mapping[tuple[str, str], str] = {
    ("cluster.karmada.io/v1alpha1", "Cluster"): "cluster.json",
    ("policy.karmada.io/v1alpha1", "PropagationPolicy"): "propagationpolicy.json",
    ("policy.karmada.io/v1alpha1", "ClusterPropagationPolicy"): "clusterpropagationpolicy.json",
    ("policy.karmada.io/v1alpha1", "OverridePolicy"): "overridepolicy.json",
    ("policy.karmada.io/v1alpha1", "ClusterOverridePolicy"): "clusteroverridepolicy.json",
}
FLEET_SCHEMA = "fleet.json"
_FILES = ("defs.json", FLEET_SCHEMA, *KIND_SCHEMAS.values())


def _read_schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("gitfleet").joinpath("schemas", name).read_text())
    return data


@cache
def _registry() -> Registry:
    from referencing import Registry, Resource

    return Registry().with_resources(
        (SCHEMA_BASE + name, Resource.from_contents(_read_schema(name))) for name in _FILES
    )


@cache
def validator(name: str) -> Draft202012Validator:
    """The compiled validator of one schema file (``cluster.json``, ...)."""
    from jsonschema import Draft202012Validator

    schema = _registry().contents(SCHEMA_BASE + name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry())


@cache
def valid_check(name: str) -> Check:
    """The compiled "certainly valid" check of one schema file (see ``schema_check``)."""
    base = SCHEMA_BASE + name
    return compile_schema(_registry().contents(base), _registry().resolver(base))


def _sort_key(err: ValidationError) -> tuple[str, ...]:
    return tuple(str(p) for p in err.absolute_path) + (err.validator or "",)


# Parsed documents are cached and shared, so the same object is validated again at every
# load of an unchanged file: remember its violations. The document itself is kept in
# the entry, so its id cannot be reused while the entry exists.
_MEMO_SIZE = 8192
_memo: OrderedDict[tuple[str, int], tuple[Any, list[tuple[JsonPath, str]]]] = OrderedDict()
_memo_lock = threading.Lock()


def validate(doc: Any, name: str, report: Reporter) -> None:
    """Report every schema violation of ``doc`` against schema file ``name``."""
    for where, message in violations(doc, name):
        report.error(where, message)


def violations(doc: Any, name: str) -> list[tuple[JsonPath, str]]:
    """``(path, message)`` of every violation, sorted by path; remembered per document object."""
    key = (name, id(doc))
    with _memo_lock:
        hit = _memo.get(key)
    if hit is not None and hit[0] is doc:
        return hit[1]
    found = _violations(doc, name)
    with _memo_lock:
        _memo[key] = (doc, found)
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return found


def _violations(doc: Any, name: str) -> list[tuple[JsonPath, str]]:
    if valid_check(name)(doc):
        return []  # jsonschema only for documents that may have errors: it is slow
    found: list[tuple[JsonPath, str]] = []
    for err in sorted(validator(name).iter_errors(doc), key=_sort_key):
        where = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set((err.schema.get("properties") or {}).keys())
            for key in err.instance:
                if key not in allowed:
                    hint = f" (known fields here: {', '.join(sorted(allowed))})" if allowed else ""
                    found.append((where + (key,), f"unknown field{hint}"))
            continue
        found.append((where, _message(err)))
    return found


def _message(err: ValidationError) -> str:
    if err.validator == "required":
        return str(err.message).replace("is a required property", "is required")
    if err.validator == "minItems":
        return f"needs at least {err.validator_value} entr{'y' if err.validator_value == 1 else 'ies'}"
    if err.validator == "const":
        return f"must be {err.validator_value!r}, not {err.instance!r}"
    if err.validator == "enum":
        allowed = ", ".join(repr(v) for v in err.validator_value)
        value = shown(err.instance) if isinstance(err.instance, str) else repr(err.instance)
        return f"{value} is not one of {allowed}"
    if err.validator == "type":
        expected = err.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        value = shown(err.instance) if isinstance(err.instance, str) else repr(err.instance)
        return f"must be of type {expected}, not {_json_type(err.instance)} ({value})"
    if err.validator == "oneOf" and isinstance(err.schema, dict) and err.schema.get("description"):
        # "is not valid under any of the given schemas" names none of them: say what is.
        value = shown(err.instance) if isinstance(err.instance, str) else repr(err.instance)
        return f"{value} is not valid: {err.schema['description']}"
    return str(err.message)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
