"""Available replicas from status.resourceSummary (KARMADA-SEMANTICS §2.4, pitfall 7)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from schedule_builders import cluster

from gitfleet.model.cluster import ResourceSummary
from gitfleet.schedule.capacity import MAX_INT32, estimate, non_workload_estimate
from gitfleet.schedule.errors import CapacityError
from gitfleet.schedule.workload import Workload

CPU_500M = Workload(3, {"cpu": Fraction(1, 2)})


@pytest.mark.parametrize(
    ("rs", "workload", "replicas"),
    [
        (None, Workload(3), 0),
        (ResourceSummary(allocatable={"pods": 110}), Workload(3), 110),
        (ResourceSummary(allocatable={"pods": 110}, allocated={"pods": 100}, allocating={"pods": 4}), Workload(3), 6),
        (ResourceSummary(allocatable={"pods": 10}, allocated={"pods": 12}), Workload(3), 0),
        (ResourceSummary(allocatable={"cpu": "8"}), Workload(3), 0),
        (ResourceSummary(allocatable={"pods": 110, "cpu": "4"}, allocated={"cpu": "1500m"}), CPU_500M, 5),
        (ResourceSummary(allocatable={"pods": 3, "cpu": "4"}), CPU_500M, 3),
        (ResourceSummary(allocatable={"pods": 110, "cpu": "4", "memory": "16Gi"}),
         Workload(3, {"cpu": Fraction(1, 2), "memory": Fraction(3 * 2**30)}), 5),
        (ResourceSummary(allocatable={"pods": 110, "cpu": "4"}), Workload(1, {"nvidia.com/gpu": Fraction(1)}), 0),
        (ResourceSummary(allocatable={"pods": 110, "cpu": "4"}, allocated={"cpu": "4"}), CPU_500M, 0),
        (ResourceSummary(allocatable={"pods": 110, "cpu": "1"}, allocated={"cpu": "999500u"}),
         Workload(1, {"cpu": Fraction(1, 10000)}), 1),
        (ResourceSummary(allocatable={"pods": "110", "memory": "1.5"}), Workload(1, {"memory": Fraction(1)}), 2),
    ],
    ids=["no-summary", "pods-only", "pods-used", "pods-overcommitted", "no-pods-entry", "cpu-millicores",
         "pods-bound", "min-over-resources", "missing-resource", "cpu-exhausted", "sub-millicore-rounds-up",
         "memory-rounds-up"],
)
def test_estimate(rs: ResourceSummary | None, workload: Workload, replicas: int) -> None:
    assert estimate(cluster("m1", rs=rs), workload).replicas == replicas


def test_estimate_explains_the_bound() -> None:
    rs = ResourceSummary(allocatable={"pods": 110, "cpu": "4"}, allocated={"cpu": "1500m"})
    assert estimate(cluster("m1", rs=rs), CPU_500M).reason == "pods 110, cpu 2500m/500m=5"


def test_non_workloads_have_unbounded_capacity() -> None:
    assert non_workload_estimate().replicas == MAX_INT32


def test_unparsable_summary_names_the_cluster() -> None:
    rs = ResourceSummary(allocatable={"pods": 110, "cpu": "four"})
    with pytest.raises(CapacityError, match="cluster m1: status.resourceSummary cpu"):
        estimate(cluster("m1", rs=rs), CPU_500M)
