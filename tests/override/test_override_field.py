"""fieldOverrider: JSON or YAML held in a string field (KARMADA-SEMANTICS §4.2)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from gitfleet.model import FieldOverrider, PatchOp
from gitfleet.override._doc import OverriderFailure
from gitfleet.override.field import apply_field_overriders


def op(kind: str, path: str, value: Any = None) -> PatchOp:
    return PatchOp(kind, path, value, kind != "remove")


def configmap(**data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": dict(data)}


JSON_CASES = [
    ("replace keeps key order, compact", '{"b": 1, "a": {"x": 1}}', (op("replace", "/a/x", 2),),
     '{"b":1,"a":{"x":2}}'),
    ("add appends to list", '{"l": [1]}', (op("add", "/l/-", {"k": "v"}),), '{"l":[1,{"k":"v"}]}'),
    ("remove", '{"a": 1, "b": 2}', (op("remove", "/a"),), '{"b":2}'),
    ("html escaped like Go", '{"a": "x"}', (op("replace", "/a", "<b>&</b>"),),
     '{"a":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"}'),
    ("unicode kept", '{"a": "x"}', (op("replace", "/a", "é"),), '{"a":"é"}'),
    ("array document", "[1, 2]", (op("replace", "/0", 3),), "[3,2]"),
    ("empty string untouched", "", (op("add", "/a", 1),), ""),
    ("ops in order", "{}", (op("add", "/a", {}), op("add", "/a/b", 1), op("replace", "/a/b", 2)),
     '{"a":{"b":2}}'),
]


@pytest.mark.parametrize(("text", "ops", "expected"), [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES])
def test_json(text: str, ops: tuple[PatchOp, ...], expected: str) -> None:
    doc = configmap(cfg=text)
    out = apply_field_overriders(doc, (FieldOverrider("/data/cfg", json_ops=ops),))
    assert out["data"]["cfg"] == expected
    assert doc["data"]["cfg"] == text


YAML_CASES = [
    ("sorted keys, 2-space indent", "z: 1\na:\n  y: [1, 2]\n  x: old\n", (op("replace", "/a/x", "new"),),
     "a:\n  x: new\n  y:\n  - 1\n  - 2\nz: 1\n"),
    ("timestamps stay strings", "when: 2024-01-02\n", (op("add", "/n", 1),), "n: 1\nwhen: '2024-01-02'\n"),
    ("yaml 1.1 booleans", "flag: yes\n", (op("add", "/other", "no"),), "flag: true\nother: 'no'\n"),
    ("non-string keys become strings", "2: a\ntrue: b\n", (op("remove", "/2"),), "'true': b\n"),
    ("nested add", "server:\n  port: 80\n", (op("add", "/server/tls", {"enabled": True}),),
     "server:\n  port: 80\n  tls:\n    enabled: true\n"),
]


@pytest.mark.parametrize(("text", "ops", "expected"), [c[1:] for c in YAML_CASES], ids=[c[0] for c in YAML_CASES])
def test_yaml(text: str, ops: tuple[PatchOp, ...], expected: str) -> None:
    out = apply_field_overriders(configmap(cfg=text), (FieldOverrider("/data/cfg", yaml_ops=ops),))
    assert out["data"]["cfg"] == expected
    # the result is still the same data, as YAML
    patched = yaml.safe_load(expected)
    assert isinstance(patched, dict)


def test_field_in_annotation_with_escaped_pointer() -> None:
    doc = {"kind": "Deployment", "metadata": {"annotations": {"example.com/cfg": '{"replicas":1}'}}}
    out = apply_field_overriders(doc, (FieldOverrider("/metadata/annotations/example.com~1cfg",
                                                      json_ops=(op("replace", "/replicas", 5),)),))
    assert json.loads(out["metadata"]["annotations"]["example.com/cfg"]) == {"replicas": 5}


def test_field_inside_a_list() -> None:
    doc = {"kind": "X", "items": [{"cfg": "a: 1\n"}]}
    out = apply_field_overriders(doc, (FieldOverrider("/items/0/cfg", yaml_ops=(op("replace", "/a", 2),)),))
    assert out["items"][0]["cfg"] == "a: 2\n"


def test_neither_json_nor_yaml_empties_the_field() -> None:
    out = apply_field_overriders(configmap(cfg="{}"), (FieldOverrider("/data/cfg"),))
    assert out["data"]["cfg"] == ""


ERRORS = [
    ("missing field", "/data/nope", None, (op("add", "/a", 1),), "/data/nope does not exist"),
    ("missing parent", "/spec/x", None, (op("add", "/a", 1),), "/spec does not exist"),
    ("not a string", "/metadata", None, (op("add", "/a", 1),), "holds dict, not a string"),
    ("invalid json", "/data/cfg", "{nope", (op("add", "/a", 1),), "not valid JSON"),
    ("invalid yaml", "/data/cfg", "a: [", None, "not valid YAML"),
    ("sub add to missing parent", "/data/cfg", "{}", (op("add", "/a/b", 1),),
     "cannot add subPath /a/b of the JSON document: /a does not exist"),
    ("sub replace missing", "/data/cfg", "{}", (op("replace", "/a", 1),), "cannot replace subPath /a"),
    ("sub remove missing", "/data/cfg", "{}", (op("remove", "/a"),), "cannot remove subPath /a"),
    ("bad sub path", "/data/cfg", "{}", (op("add", "a", 1),), "subPath 'a'"),
    ("bad field path", "data/cfg", "{}", (op("add", "/a", 1),), "must start with '/'"),
]


@pytest.mark.parametrize(("path", "text", "ops", "message"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors(path: str, text: str | None, ops: tuple[PatchOp, ...] | None, message: str) -> None:
    doc = configmap(cfg=text if text is not None else "{}")
    overrider = (FieldOverrider(path, yaml_ops=(op("add", "/a", 1),)) if ops is None
                 else FieldOverrider(path, json_ops=ops))
    with pytest.raises(OverriderFailure, match=message) as info:
        apply_field_overriders(doc, (overrider,))
    assert info.value.message.startswith("entry 0: ")
