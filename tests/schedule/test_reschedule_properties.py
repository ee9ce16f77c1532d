"""Invariants of scheduling with memory (issue 10): no memory is first scheduling;
a render is a fixed point of its own record; a Steady scale-up never lowers a share
and places every replica when capacity allows."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st
from schedule_builders import AGGREGATED, DEPLOY, DUPLICATED, DYNAMIC, cluster, names, placement, static

from gitfleet.model.cluster import Cluster, Taint
from gitfleet.model.policy import ClusterAffinityTerm, Placement, SpreadConstraint, Toleration
from gitfleet.model.state import PreviousTarget, ResourceState
from gitfleet.schedule import schedule
from gitfleet.schedule.reschedule import reschedule
from gitfleet.schedule.scheduler import FilterMemo
from gitfleet.schedule.workload import Workload

NAMES = ("m1", "m2", "m3", "m4", "m5")
T0, T1 = "2026-12-04T10:00:00Z", "2026-12-04T11:00:00Z"
SPREAD = (SpreadConstraint("cluster", max_groups=2, min_groups=1),)
TAINTS = (
    (), (Taint("cordon", "", "NoSchedule"),), (Taint("gone", "", "NoExecute", "2026-12-04T09:00:00Z"),),
)

PLACEMENTS: tuple[Placement, ...] = (
    placement(DUPLICATED),
    placement(DYNAMIC),
    placement(AGGREGATED),
    placement(static((names("m1", "m2"), 2), (names("m3", "m4", "m5"), 1))),
    placement(DYNAMIC, spread=SPREAD),
    placement(DUPLICATED, spread=SPREAD),
    placement(DYNAMIC, affinity=names("m1", "m2", "m3")),
    placement(DYNAMIC, tolerations=(Toleration("gone", "Exists", "", "NoExecute", 60),)),
    placement(DUPLICATED, terms=(ClusterAffinityTerm("a", names("m1")), ClusterAffinityTerm("b", names("m2", "m3")))),
)


@st.composite
def fleets(draw: st.DrawFn) -> list[Cluster]:
    chosen = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
    return [cluster(n, cpu=draw(st.integers(0, 30)), taints=draw(st.sampled_from(TAINTS))) for n in chosen]


workloads = st.one_of(st.none(), st.builds(lambda n: Workload(n, {"cpu": Fraction(1)}), st.integers(0, 40)))


@settings(max_examples=150)
@given(p=st.sampled_from(PLACEMENTS), clusters=fleets(), workload=workloads)
def test_no_memory_is_first_scheduling(p: Placement, clusters: list[Cluster], workload: Workload | None) -> None:
    assert reschedule(DEPLOY, workload, p, clusters, None, T0)[0] == schedule(DEPLOY, workload, p, clusters)


@settings(max_examples=150)
@given(p=st.sampled_from(PLACEMENTS), clusters=fleets(), workload=workloads)
def test_an_empty_record_schedules_like_the_first_time(
    p: Placement, clusters: list[Cluster], workload: Workload | None
) -> None:
    """A record holding nothing (a failed first schedule) runs the memory pipeline,
    which must then place exactly as first scheduling does."""
    got, _ = reschedule(DEPLOY, workload, p, clusters, ResourceState(DEPLOY.key), T0)
    want = schedule(DEPLOY, workload, p, clusters)
    assert (got.targets, got.error, got.affinity_term) == (want.targets, want.error, want.affinity_term)


@settings(max_examples=150)
@given(p=st.sampled_from(PLACEMENTS), clusters=fleets(), workload=workloads, first=st.booleans())
def test_a_render_is_a_fixed_point_of_its_record(
    p: Placement, clusters: list[Cluster], workload: Workload | None, first: bool
) -> None:
    start = None if first else ResourceState(DEPLOY.key)
    r1, s1 = reschedule(DEPLOY, workload, p, clusters, start, T0)
    r2, s2 = reschedule(DEPLOY, workload, p, clusters, s1, T0)
    r3, s3 = reschedule(DEPLOY, workload, p, clusters, s1, T1)
    # An expired NoExecute toleration evicts what first scheduling placed, and a
    # non-workload comes back once the eviction task ends: Karmada oscillates there
    # (KARMADA-RESCHEDULING §6). Everywhere else nothing moves, even later on.
    if not r2.evictions and not r3.evictions:
        assert (r2.targets, r2.error) == (r1.targets, r1.error) and s2 == s1
        assert (r3.targets, r3.error) == (r1.targets, r1.error) and s3 == s1


@settings(max_examples=150)
@given(
    frees=st.lists(st.integers(0, 30), min_size=5, max_size=5),
    replicas=st.integers(1, 30),
    extra=st.integers(1, 60),
    aggregated=st.booleans(),
)
def test_steady_scale_up_keeps_every_share_and_places_every_replica(
    frees: list[int], replicas: int, extra: int, aggregated: bool
) -> None:
    p = placement(AGGREGATED if aggregated else DYNAMIC)
    clusters = [cluster(n, cpu=f) for n, f in zip(NAMES, frees, strict=True)]
    before, s1 = reschedule(DEPLOY, Workload(replicas, {"cpu": Fraction(1)}), p, clusters, None, T0)
    if before.error is not None:
        return
    after, _ = reschedule(DEPLOY, Workload(replicas + extra, {"cpu": Fraction(1)}), p, clusters, s1, T1)
    got = {t.name: t.replicas or 0 for t in after.targets}
    assert all(got[t.name] >= (t.replicas or 0) for t in before.targets)
    if sum(frees) >= extra:
        assert after.error is None and not after.warnings and sum(got.values()) == replicas + extra


@settings(max_examples=100)
@given(clusters=fleets(), workload=workloads, held=st.lists(st.sampled_from(NAMES), max_size=3, unique=True))
def test_one_filter_memo_for_a_plan_changes_nothing(
    clusters: list[Cluster], workload: Workload | None, held: list[str]
) -> None:
    """Current targets skip two filters: their verdicts must not leak through the memo
    into another resource's filtering, nor the other way round."""
    memo = FilterMemo()
    record = ResourceState(DEPLOY.key, clusters=tuple(PreviousTarget(n, 1) for n in held))
    for p in PLACEMENTS:
        for previous in (None, record, ResourceState(DEPLOY.key)):
            shared = reschedule(DEPLOY, workload, p, clusters, previous, T0, memo=memo)
            alone = reschedule(DEPLOY, workload, p, clusters, previous, T0)
            assert shared == alone
