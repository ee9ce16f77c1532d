"""The observed per-node capacity survives the health record on the status branch."""

from __future__ import annotations

import pytest

from gitfleet.model.cluster import NodeCapacity, ResourceSummary, Taint
from gitfleet.model.health import ClusterHealth
from gitfleet.status.health import HealthError, health_files, read_health

SUMMARY = ResourceSummary(
    allocatable={"cpu": "8", "memory": "32Gi", "pods": "220"},
    allocated={"cpu": "2", "pods": "10"},
    nodes=(NodeCapacity(2, {"cpu": "3", "memory": "16Gi", "pods": "105"}),
           NodeCapacity(1, {"cpu": "1", "pods": "5"}, (Taint("gpu", "true", "NoSchedule"),))),
)


def test_nodes_round_trip() -> None:
    files = health_files({"m1": ClusterHealth("m1", resource_summary=SUMMARY)})
    again = read_health(files)["m1"].resource_summary
    assert again is not None and again.nodes is not None
    assert [n.count for n in again.nodes] == [2, 1]
    assert health_files({"m1": ClusterHealth("m1", resource_summary=again)}) == files


@pytest.mark.parametrize("nodes", ["[{count: -1}]", "{x: 1}", "[{count: 1, free: {cpu: 1e9999999}}]"])
def test_a_hostile_nodes_record_is_refused_at_its_place(nodes: str) -> None:
    path = next(iter(health_files({"m1": ClusterHealth("m1", resource_summary=SUMMARY)})))
    raw = f"version: 1\ncluster: m1\nresourceSummary:\n  nodes: {nodes}\n".encode()
    with pytest.raises(HealthError) as err:
        read_health({path: raw})
    assert err.value.path == path and err.value.line >= 3
