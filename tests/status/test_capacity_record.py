"""The per-node capacity record (``resourceSummary.nodes``): round trip and defensive reading."""

from __future__ import annotations

from typing import Any

import pytest

from gitfleet.model.cluster import NodeCapacity, Taint
from gitfleet.schedule.estimator import observe
from gitfleet.status.capacity import NodesRecordError, nodes_record, read_nodes


def _node(name: str, cpu: str, taints: list[dict[str, str]] | None = None) -> dict[str, Any]:
    allocatable = {"cpu": cpu, "memory": "8Gi", "pods": "110"}
    return {"metadata": {"name": name}, "spec": {"taints": taints or []}, "status": {"allocatable": allocatable}}


def test_an_observation_round_trips() -> None:
    summary = observe([_node("a", "4"), _node("b", "4"), _node("c", "2500m", [{"key": "k", "effect": "NoExecute"}]),
                       _node("d", "1", [{"key": "d", "value": "v", "effect": "NoSchedule"}])], [])
    assert summary.nodes is not None
    record = nodes_record(summary.nodes)
    assert record[0] == {"count": 2, "free": {"cpu": "4", "memory": "8Gi", "pods": "110"}}
    assert record[1]["taints"] == [{"key": "d", "value": "v", "effect": "NoSchedule"}]
    assert read_nodes(record) == summary.nodes


@pytest.mark.parametrize(
    ("case", "value", "where"),
    [
        ("not a list", {"count": 1}, ()),
        ("an entry that is not a map", ["x"], (0,)),
        ("an unknown field", [{"count": 1, "free": {}, "extra": 1}], (0, "extra")),
        ("count zero", [{"count": 0, "free": {}}], (0, "count")),
        ("count boolean", [{"count": True, "free": {}}], (0, "count")),
        ("count huge", [{"count": 10**12, "free": {}}], (0, "count")),
        ("free missing", [{"count": 1}], (0, "free")),
        ("a bad quantity", [{"count": 1, "free": {"cpu": "lots"}}], (0, "free", "cpu")),
        ("a nested quantity", [{"count": 1, "free": {"cpu": {"a": 1}}}], (0, "free", "cpu")),
        ("an infinite quantity", [{"count": 1, "free": {"cpu": float("inf")}}], (0, "free", "cpu")),
        ("an enormous quantity", [{"count": 1, "free": {"memory": "1e40"}}], (0, "free", "memory")),
        ("an exponent that would take seconds to compute", [{"count": 1, "free": {"cpu": "1e9999999"}}],
         (0, "free", "cpu")),
        ("a long quantity", [{"count": 1, "free": {"memory": "1" * 5000}}], (0, "free", "memory")),
        ("a taint with a bad effect", [{"count": 1, "free": {}, "taints": [{"key": "k", "effect": "Maybe"}]}],
         (0, "taints", 0, "effect")),
        ("a taint that is a string", [{"count": 1, "free": {}, "taints": ["k:NoSchedule"]}], (0, "taints", 0)),
        ("too many groups", [{"count": 1, "free": {}}] * 10_001, ()),
    ],
)
def test_a_bad_record_names_the_place(case: str, value: Any, where: tuple[Any, ...]) -> None:
    with pytest.raises(NodesRecordError) as caught:
        read_nodes(value)
    assert caught.value.where == where


def test_a_good_record_with_numbers() -> None:
    assert read_nodes([{"count": 3, "free": {"cpu": 2, "pods": 10}, "taints": [{"key": "k", "effect": "NoSchedule"}]}]) == (
        NodeCapacity(3, {"cpu": 2, "pods": 10}, (Taint("k", "", "NoSchedule"),)),)
