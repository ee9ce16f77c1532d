"""Fields gitfleet accepts but does not implement: one warning per file and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitfleet.load import load_fleet
from gitfleet.load.unsupported import UNSUPPORTED
from load.repos import SELECT_DEPLOYMENTS, cluster, pp

SCHEMAS = Path(__file__).resolve().parents[2] / "policies-schema"
WORKLOAD_AFFINITY = SELECT_DEPLOYMENTS + "placement:\n  workloadAffinity: {affinity: {groupByLabelKey: app}}\n"


def test_reported_once_per_file_and_field() -> None:
    two_in_one = pp(WORKLOAD_AFFINITY, name="a") + b"---\n" + pp(WORKLOAD_AFFINITY, name="b")
    fleet = load_fleet({"one.yaml": two_in_one, "two.yaml": pp(WORKLOAD_AFFINITY, name="c")})
    assert [w.split(":")[0] for w in fleet.warnings] == ["one.yaml", "two.yaml"]
    assert all("spec.placement.workloadAffinity: not implemented by gitfleet" in w for w in fleet.warnings)
    # Every policy still records what it carries.
    assert [p.ignored_fields for p in fleet.propagation_policies] == [("spec.placement.workloadAffinity",)] * 3


@pytest.mark.parametrize(
    ("extra", "warned"),
    [
        ("preemption: Never\n", False),
        ("preemption: Always\nresourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: c}]\n", True),
        ("association: false\n", False),
        ("association: true\n", True),
        ("activationPreference: Lazy\n", True),
        ("dependentOverrides: [op]\n", True),
        ("schedulePriority: {priorityClassSource: KubePriorityClass, priorityClassName: high}\n", True),
        ("preserveResourcesOnDeletion: true\n", True),
    ],
)
def test_inert_defaults_are_not_reported(extra: str, warned: bool) -> None:
    spec = extra if "resourceSelectors" in extra else SELECT_DEPLOYMENTS + extra
    fleet = load_fleet({"p.yaml": pp(spec)})
    assert bool(fleet.warnings) is warned


def test_cluster_fields() -> None:
    extra = "  resourceModels:\n    - grade: 0\n      ranges: [{name: cpu, min: 0, max: 1}]\n"
    fleet = load_fleet({"c.yaml": cluster("m1", extra)})
    assert fleet.warnings == (("c.yaml:7:3: warning: spec.resourceModels: not implemented by gitfleet, "
                              "ignored: resource-model grading is not implemented; capacity comes from "
                              "status.resourceSummary allocatable/allocated/allocating"),)


def test_every_table_entry_is_accepted_by_the_schemas() -> None:
    files = {name: json.loads((SCHEMAS / name).read_text()) for name in ("defs.json", "cluster.json",
                                                                        "propagationpolicy.json")}

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            file, _, pointer = node["$ref"].partition("#")
            node = files[file]
            for part in pointer.strip("/").split("/"):
                node = node[part]
        return node

    for entry in UNSUPPORTED:
        node = files["cluster.json" if "Cluster" in entry.kinds else "propagationpolicy.json"]
        for step in entry.path:
            node = resolve(node)
            assert step in node["properties"], entry.name
            node = node["properties"][step]
