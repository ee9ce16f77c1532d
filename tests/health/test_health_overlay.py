"""apply_observed: the observed health taints and live capacity on top of the inventory."""

from __future__ import annotations

import pytest

from gitfleet.health import apply_observed
from gitfleet.model.cluster import UNREACHABLE_TAINT, Cluster, ResourceSummary, Taint
from gitfleet.model.health import ClusterHealth

STATIC = ResourceSummary(allocatable={"pods": 10})
LIVE = ResourceSummary(allocatable={"pods": 110}, allocated={"pods": 3})
NS = Taint(UNREACHABLE_TAINT, effect="NoSchedule")
NE = Taint(UNREACHABLE_TAINT, effect="NoExecute", time_added="2026-12-04T10:00:00Z")
HAND_NE = Taint(UNREACHABLE_TAINT, effect="NoExecute")
GPU = Taint("gpu", "true", "NoSchedule")


@pytest.mark.parametrize(("inventory", "observed", "taints", "summary"), [
    # nothing observed: the inventory as it is
    (Cluster("m1", taints=(GPU,), resource_summary=STATIC), None, (GPU,), STATIC),
    # observed healthy, no live capacity: the inventory's taints and static summary
    (Cluster("m1", taints=(GPU,), resource_summary=STATIC), ClusterHealth("m1"), (GPU,), STATIC),
    # observed down: its taints after the inventory's own
    (Cluster("m1", taints=(GPU,)), ClusterHealth("m1", taints=(NS, NE)), (GPU, NS, NE), None),
    # the same key and effect in the inventory gives way to the observed one (timeAdded)
    (Cluster("m1", taints=(HAND_NE, GPU)), ClusterHealth("m1", taints=(NS, NE)), (GPU, NS, NE), None),
    # a hand-set taint the observation does not repeat stays
    (Cluster("m1", taints=(HAND_NE,)), ClusterHealth("m1"), (HAND_NE,), None),
    # live capacity replaces the static one
    (Cluster("m1", resource_summary=STATIC), ClusterHealth("m1", resource_summary=LIVE), (), LIVE),
    (Cluster("m1"), ClusterHealth("m1", resource_summary=LIVE), (), LIVE),
])
def test_apply_observed(inventory: Cluster, observed: ClusterHealth | None, taints: tuple[Taint, ...],
                        summary: ResourceSummary | None) -> None:
    (out,) = apply_observed([inventory], {"m1": observed} if observed else {})
    assert out.taints == taints and out.resource_summary == summary
    assert (out.name, out.labels, out.pos) == (inventory.name, inventory.labels, inventory.pos)


def test_order_kept_unchanged_clusters_shared_and_strangers_ignored() -> None:
    a, b = Cluster("a"), Cluster("b")
    out = apply_observed([b, a], {"a": ClusterHealth("a", taints=(NS,)), "zzz": ClusterHealth("zzz", taints=(NS,))})
    assert [c.name for c in out] == ["b", "a"] and out[0] is b and out[1].taints == (NS,)
