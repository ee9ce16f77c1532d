"""labelsOverrider / annotationsOverrider (KARMADA-SEMANTICS §4.2)."""

from __future__ import annotations

from typing import Any

import pytest

from gitfleet.model import MetadataOverrider
from gitfleet.override._doc import OverriderFailure
from gitfleet.override.metadata import apply_annotations_overriders, apply_labels_overriders

ABSENT = object()

CASES = [
    ("add sets new and existing keys", {"a": "1", "b": "2"}, MetadataOverrider("add", {"b": "x", "c": "3"}),
     {"a": "1", "b": "x", "c": "3"}),
    ("add creates the map", ABSENT, MetadataOverrider("add", {"env": "prod"}), {"env": "prod"}),
    ("add to null map", None, MetadataOverrider("add", {"env": "prod"}), {"env": "prod"}),
    ("add with nothing keeps missing map", ABSENT, MetadataOverrider("add", {}), ABSENT),
    ("replace only existing keys", {"a": "1"}, MetadataOverrider("replace", {"a": "2", "b": "3"}), {"a": "2"}),
    ("replace on missing map", ABSENT, MetadataOverrider("replace", {"a": "2"}), ABSENT),
    ("remove only existing keys, value ignored", {"a": "1", "b": "2"},
     MetadataOverrider("remove", {"a": "anything", "z": ""}), {"b": "2"}),
    ("remove last key leaves empty map", {"a": "1"}, MetadataOverrider("remove", {"a": ""}), {}),
    ("keys with slash", {"example.com/team": "a"},
     MetadataOverrider("replace", {"example.com/team": "b"}), {"example.com/team": "b"}),
    ("add key with slash", {}, MetadataOverrider("add", {"karmada.io/x~y": "1"}), {"karmada.io/x~y": "1"}),
    ("remove with non-map is skipped", "oops", MetadataOverrider("remove", {"a": ""}), "oops"),
]


def _doc(field: str, value: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "x"}
    if value is not ABSENT:
        meta[field] = value
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}


@pytest.mark.parametrize("field", ["labels", "annotations"])
@pytest.mark.parametrize(("before", "overrider", "after"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_labels_and_annotations(field: str, before: Any, overrider: MetadataOverrider, after: Any) -> None:
    doc = _doc(field, before)
    apply = apply_labels_overriders if field == "labels" else apply_annotations_overriders
    out = apply(doc, (overrider,))
    assert out["metadata"].get(field, ABSENT) == after
    other = "annotations" if field == "labels" else "labels"
    assert other not in out["metadata"]
    assert doc == _doc(field, before)


def test_missing_metadata_is_created_by_add() -> None:
    out = apply_labels_overriders({"kind": "ConfigMap"}, (MetadataOverrider("add", {"a": "1"}),))
    assert out["metadata"] == {"labels": {"a": "1"}}


def test_non_object_metadata_is_skipped() -> None:
    doc = {"kind": "ConfigMap", "metadata": "x"}
    assert apply_labels_overriders(doc, (MetadataOverrider("add", {"a": "1"}),)) is doc


def test_add_to_non_map_fails() -> None:
    with pytest.raises(OverriderFailure, match="/metadata/labels is not a map"):
        apply_labels_overriders(_doc("labels", ["a"]), (MetadataOverrider("add", {"a": "1"}),))


def test_unknown_operator_fails() -> None:
    with pytest.raises(OverriderFailure, match="unsupported operator 'merge'"):
        apply_labels_overriders(_doc("labels", {}), (MetadataOverrider("merge", {"a": "1"}),))


def test_entries_apply_in_order() -> None:
    out = apply_labels_overriders(_doc("labels", ABSENT), (
        MetadataOverrider("replace", {"a": "0"}),
        MetadataOverrider("add", {"a": "1"}),
        MetadataOverrider("replace", {"a": "2"}),
        MetadataOverrider("add", {"b": "1"}),
        MetadataOverrider("remove", {"b": ""}),
    ))
    assert out["metadata"]["labels"] == {"a": "2"}
