"""Hostile WorkloadRebalancer documents and hostile re-scheduling records (issue 10).

A rebalancer arrives in a pull request like any file: every malformed one is exit 1 at
``path:line:col``. The re-scheduling memory comes from the status branch, which a
hostile push can edit: ``reschedule`` must take any record without raising and never
place outside the inventory."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hostile import assert_rejected, run_cli, write_repo

from gitfleet.model.cluster import Cluster, ResourceSummary, Taint
from gitfleet.model.keys import ResourceId
from gitfleet.model.policy import Placement, ReplicaScheduling
from gitfleet.model.rebalancer import Rebalancer
from gitfleet.model.state import EvictionTask, PreviousTarget, ResourceState, TaintSeen
from gitfleet.schedule.reschedule import reschedule
from gitfleet.schedule.workload import Workload

BASE = {
    "fleet.yaml": "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: f}\n",
    "clusters/m1.yaml": "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: m1}\n"
                        "spec: {syncMode: Push}\n",
}
HEAD = "apiVersion: apps.karmada.io/v1alpha1\nkind: WorkloadRebalancer\nmetadata:\n  name: r\n"
REF = "    - {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: web}\n"

DOCS = {
    "workloads-a-string": HEAD + "spec:\n  workloads: everything\n",
    "workloads-nested-lists": HEAD + "spec:\n  workloads: [[[[[]]]]]\n",
    "name-a-mapping": HEAD.replace("name: r", "name: {a: b}") + "spec:\n  workloads:\n" + REF,
    "name-10k-chars": HEAD.replace("name: r", "name: " + "r" * 10_000) + "spec:\n  workloads:\n" + REF,
    "creation-time-an-integer": HEAD + "  creationTimestamp: 99999999999999999999\nspec:\n  workloads:\n" + REF,
    "creation-time-year-99999": HEAD + "  creationTimestamp: '99999-01-01T00:00:00Z'\nspec:\n  workloads:\n" + REF,
    "namespace-a-list": HEAD + "spec:\n  workloads:\n    - {apiVersion: v1, kind: Pod, namespace: [a], name: p}\n",
    "spec-a-list": HEAD + "spec: [1, 2]\n",
    "spec-missing": HEAD,
    "unknown-ref-field-with-a-secret-look": HEAD + "spec:\n  workloads:\n"
    "    - {apiVersion: v1, kind: Secret, name: s, data: {password: aHVudGVyMg==}}\n",
}


@pytest.mark.parametrize("doc", DOCS.values(), ids=DOCS.keys())
def test_a_hostile_rebalancer_is_rejected_at_its_position(tmp_path: Path, doc: str) -> None:
    write_repo(tmp_path / "repo", {**BASE, "ops/rebalance.yaml": doc})
    code, out, err = run_cli(["validate", "repo"], cwd=tmp_path)
    assert_rejected(code, out, err, "ops/rebalance.yaml")
    assert "aHVudGVyMg==" not in out + err


DEPLOY = ResourceId("apps/v1", "Deployment", "shop", "web")
DYNAMIC = Placement(replica_scheduling=ReplicaScheduling(
    type="Divided", division_preference="Weighted", has_weight_preference=True, dynamic_weight="AvailableReplicas",
))
CLUSTERS = [
    Cluster("m1", resource_summary=ResourceSummary(allocatable={"pods": 110, "cpu": 10})),
    Cluster("m2", resource_summary=ResourceSummary(allocatable={"pods": 110, "cpu": 10}),
            taints=(Taint("t", "", "NoExecute", "not a time"),)),
]
NOW = "2026-12-04T12:00:00Z"


def _record(**fields: object) -> ResourceState:
    return ResourceState(DEPLOY.key, **fields)  # type: ignore[arg-type]


RECORDS = {
    "applied-placement-not-json": _record(applied_placement="{{{{", clusters=(PreviousTarget("m1", 3),)),
    "applied-placement-deep-json": _record(applied_placement="[" * 100_000 + "]" * 100_000),
    "applied-tolerations-garbage": _record(
        applied_placement='{"tolerations": [{"key": 1, "toleration_seconds": "x"}, null]}',
        clusters=(PreviousTarget("m2", 3),),
    ),
    "negative-and-duplicate-targets": _record(clusters=(PreviousTarget("m1", -5), PreviousTarget("m1", 9),
                                                        PreviousTarget("m2", 2**40))),
    "targets-not-in-inventory": _record(clusters=(PreviousTarget("../../etc", 3), PreviousTarget("", 1))),
    "eviction-task-bad-times": _record(eviction_tasks=(
        EvictionTask("m1", 3, since="yesterday"), EvictionTask("m2", -1, since="9" * 10_000, grace_period_seconds=-5),
        EvictionTask("m1", 1, since=NOW, grace_period_seconds=2**62),
    )),
    "last-scheduled-garbage": _record(last_scheduled="\x00" * 100, rebalancers=("x@",) * 1000),
    "observed-term-unknown": _record(observed_affinity="no-such-term", clusters=(PreviousTarget("m1", 3),)),
}


@pytest.mark.parametrize("record", RECORDS.values(), ids=RECORDS.keys())
def test_a_hostile_record_never_raises_nor_places_outside_the_inventory(record: ResourceState) -> None:
    seen = (TaintSeen("m2", "t", "", "NoExecute", "\udcff garbage"),)
    rebalancers = [Rebalancer("r", "not a time", (DEPLOY,)), Rebalancer("r2", "", (DEPLOY,))]
    result, state = reschedule(DEPLOY, Workload(6, {"cpu": Fraction(1)}), DYNAMIC, CLUSTERS, record, NOW,
                               rebalancers, seen)
    assert {t.name for t in result.targets} <= {"m1", "m2"}
    assert all(t.replicas >= 0 for t in state.clusters)
    assert len({t.name for t in state.clusters}) == len(state.clusters)
