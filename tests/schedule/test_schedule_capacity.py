"""Available replicas from status.resourceSummary (KARMADA-SEMANTICS §2.4, pitfall 7)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from schedule_builders import cluster

from gitfleet.model.cluster import ResourceSummary
from gitfleet.model.quantity import parse_quantity
from gitfleet.schedule.capacity import MAX_INT32, estimate, estimate_each, non_workload_estimate
from gitfleet.schedule.errors import CapacityError
from gitfleet.schedule.units import milli_value, value
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
        (ResourceSummary(allocatable={"pods": "1.5"}, allocated={"pods": "250m"}), Workload(3), 1),
    ],
    ids=["no-summary", "pods-only", "pods-used", "pods-overcommitted", "no-pods-entry", "cpu-millicores",
         "pods-bound", "min-over-resources", "missing-resource", "cpu-exhausted", "sub-millicore-rounds-up",
         "memory-rounds-up", "pods-rounded-one-by-one"],
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


# Quantities as an inventory may write them: strings with suffixes, ints, floats.
_RAW = st.one_of(
    st.integers(min_value=0, max_value=500),
    st.sampled_from(["0", "1", "4", "1500m", "250m", "999500u", "1.5", "16Gi", "3Gi", "512Mi", "1e3", "2k"]),
    st.fractions(min_value=0, max_value=200, max_denominator=4).map(lambda f: f"{float(f)}"),
    st.sampled_from([0.5, 2.0, 7.25]),
    st.none(),
)
_SUMMARIES = st.builds(
    ResourceSummary,
    allocatable=st.fixed_dictionaries({"pods": _RAW}, optional={"cpu": _RAW, "memory": _RAW}),
    allocated=st.fixed_dictionaries({}, optional={"pods": _RAW, "cpu": _RAW, "memory": _RAW}),
    allocating=st.fixed_dictionaries({}, optional={"pods": _RAW, "cpu": _RAW}),
)
_WORKLOADS = st.builds(
    Workload,
    st.integers(min_value=1, max_value=20),
    st.fixed_dictionaries({}, optional={
        "cpu": st.fractions(min_value=0, max_value=4, max_denominator=10000),
        "memory": st.fractions(min_value=0, max_value=2**34, max_denominator=2),
    }),
)


def _left_of(rs: ResourceSummary, name: str) -> Fraction:
    return sum(
        (sign * (parse_quantity(part[name]) if part.get(name) is not None else Fraction(0))
         for sign, part in ((1, rs.allocatable), (-1, rs.allocated), (-1, rs.allocating))),
        Fraction(0),
    )


def _reference_replicas(rs: ResourceSummary, workload: Workload) -> int:
    """KARMADA-SEMANTICS §2.4 written out directly, without any memo."""
    pods = sum(
        sign * value(parse_quantity(part["pods"]) if part.get("pods") is not None else Fraction(0))
        for sign, part in ((1, rs.allocatable), (-1, rs.allocated), (-1, rs.allocating))
    )
    best = min(max(pods, 0), MAX_INT32)
    for name, request in sorted(workload.requests.items()):
        if best == 0 or value(request) <= 0:
            continue
        if name not in rs.allocatable or value(_left_of(rs, name)) <= 0:
            return 0
        left = _left_of(rs, name)
        bound = milli_value(left) // milli_value(request) if name == "cpu" else value(left) // value(request)
        best = min(best, bound)
    return best


@given(_SUMMARIES, _WORKLOADS)
def test_estimate_matches_the_definition(rs: ResourceSummary, workload: Workload) -> None:
    # Twice: the second call is answered from the memo and must not differ.
    first = estimate(cluster("m1", rs=rs), workload)
    assert first.replicas == _reference_replicas(rs, workload)
    assert estimate(cluster("m2", rs=rs), workload) == first


@given(st.lists(_SUMMARIES, max_size=5), _WORKLOADS)
def test_estimate_each_is_estimate_per_cluster(summaries: list[ResourceSummary], workload: Workload) -> None:
    clusters = [cluster(f"m{i}", rs=rs) for i, rs in enumerate(summaries)]
    assert estimate_each(clusters, workload) == [estimate(c, workload) for c in clusters]


@pytest.mark.parametrize(
    ("rs", "words"),
    [
        (ResourceSummary(allocatable={"pods": [110]}), "pods"),
        (ResourceSummary(allocatable={"pods": True}), "pods"),
        (ResourceSummary(allocatable={"pods": 110}, allocating={"pods": "lots"}), "pods"),
        (ResourceSummary(allocatable={"pods": 110, "cpu": "4"}, allocated={"cpu": {"used": 1}}), "cpu"),
    ],
    ids=["unhashable-pods", "bool-pods", "unparsable-allocating", "unhashable-allocated-cpu"],
)
def test_malformed_summaries_raise_for_every_cluster(rs: ResourceSummary, words: str) -> None:
    # Failures are not memoised: each cluster's error names that cluster.
    for name in ("m1", "m2"):
        with pytest.raises(CapacityError, match=f"cluster {name}: status.resourceSummary {words}: invalid quantity"):
            estimate(cluster(name, rs=rs), CPU_500M)
