"""``reschedule()`` end to end on the doc's sequences (KARMADA-RESCHEDULING §1-§7):
render, record, change one thing, render again from the record."""

from __future__ import annotations

from fractions import Fraction

import pytest
from schedule_builders import (
    AGGREGATED,
    CONFIGMAP,
    DEPLOY,
    DUPLICATED,
    DYNAMIC,
    cluster,
    names,
    placement,
    static,
)

from gitfleet.model.cluster import Cluster, Taint
from gitfleet.model.keys import ResourceId
from gitfleet.model.plan import ScheduleResult
from gitfleet.model.policy import ClusterAffinityTerm, Placement, SpreadConstraint, Toleration
from gitfleet.model.rebalancer import Rebalancer
from gitfleet.model.state import EvictionTask, PreviousTarget, ResourceState
from gitfleet.schedule.reschedule import placement_json, reschedule
from gitfleet.schedule.workload import Workload

T0 = "2026-12-04T10:00:00Z"
T1 = "2026-12-04T11:00:00Z"
T2 = "2026-12-04T12:00:00Z"
UNREACHABLE = Taint("cluster.karmada.io/unreachable", "", "NoExecute", "2026-12-04T10:30:00Z")


def pods(n: int) -> Workload:
    return Workload(n, {"cpu": Fraction(1)})


def free(**cpus: int) -> list[Cluster]:
    return [cluster(name, cpu=n) for name, n in cpus.items()]


def state(p: Placement, observed: str | None = None, at: str = T0, **held: int) -> ResourceState:
    return ResourceState(
        DEPLOY.key, clusters=tuple(PreviousTarget(n, k) for n, k in sorted(held.items())),
        applied_placement=placement_json(p), observed_affinity=observed, last_scheduled=at,
    )


def shares(result: ScheduleResult) -> dict[str, int | None]:
    return {t.name: t.replicas for t in result.targets}


def test_first_render_records_what_it_scheduled() -> None:
    p = placement(DYNAMIC)
    result, recorded = reschedule(DEPLOY, pods(12), p, free(m1=10, m2=5, m3=30), None, T0)
    assert result.rescheduled is None and shares(result) == {"m1": 3, "m2": 1, "m3": 8}
    assert recorded == ResourceState(
        DEPLOY.key, clusters=(PreviousTarget("m1", 3), PreviousTarget("m2", 1), PreviousTarget("m3", 8)),
        applied_placement=placement_json(p), last_scheduled=T0,
    )


SEQUENCES = [
    # (name, placement, clusters, previous shares, workload, expected shares, rescheduled)
    ("divided-no-trigger-keeps-previous: a new cluster", placement(DYNAMIC), free(m1=60, m2=40, m3=20, m4=100),
     {"m1": 2, "m2": 4, "m3": 6}, pods(12), {"m1": 2, "m2": 4, "m3": 6}, False),
    ("divided-no-trigger-keeps-previous: then 22 replicas", placement(DYNAMIC), free(m1=60, m2=40, m3=20, m4=100),
     {"m1": 2, "m2": 4, "m3": 6}, pods(22), {"m1": 5, "m2": 6, "m3": 7, "m4": 4}, True),
    ("divided-static-new-cluster-waits-for-trigger",
     placement(static((names("m1", "m3"), 2), (names("m2"), 1))), free(m1=0, m2=0, m3=0),
     {"m1": 4, "m2": 2}, pods(6), {"m1": 4, "m2": 2}, False),
    ("divided-static-new-cluster: then 10 replicas",
     placement(static((names("m1", "m3"), 2), (names("m2"), 1))), free(m1=0, m2=0, m3=0),
     {"m1": 4, "m2": 2}, pods(10), {"m1": 4, "m2": 2, "m3": 4}, True),
    ("divided-noschedule-tainted-target-keeps-and-scales", placement(DYNAMIC),
     [cluster("m1", cpu=10, taints=(Taint("cordon", "", "NoSchedule"),)), cluster("m2", cpu=10)],
     {"m1": 2, "m2": 2}, pods(8), {"m1": 4, "m2": 4}, True),
    ("duplicated-keeps-tainted-targets", placement(DUPLICATED),
     [cluster("m1", taints=(Taint("cordon", "", "NoSchedule"),)), cluster("m2"),
      cluster("m3", taints=(Taint("cordon", "", "NoSchedule"),))],
     {"m1": 3, "m2": 3}, pods(3), {"m1": 3, "m2": 3}, True),
    ("cluster-removed-from-inventory: dynamic deals the orphans", placement(DYNAMIC), free(m1=20, m2=2),
     {"m1": 1, "m2": 3, "m3": 2}, pods(6), {"m1": 3, "m2": 3}, True),
    ("cluster-removed-from-inventory: static recomputes", placement(static((names("m1", "m2", "m3"), 1))),
     free(m1=0, m2=0), {"m1": 2, "m2": 2, "m3": 2}, pods(6), {"m1": 3, "m2": 3}, True),
    ("cluster-removed-from-inventory: duplicated drops it", placement(DUPLICATED), free(m1=0, m2=0),
     {"m1": 2, "m2": 2, "m3": 2}, pods(2), {"m1": 2, "m2": 2}, True),
    ("dynamic-unfit-cluster-kept-when-unschedulable", placement(DYNAMIC, affinity=names("m1", "m2")),
     free(m1=1, m2=1, m3=50), {"m1": 4, "m3": 4}, pods(12), {"m1": 4, "m3": 4}, True),
    ("dynamic-scale-up-unschedulable-keeps-previous", placement(DYNAMIC), free(m1=1, m2=1),
     {"m1": 2, "m2": 2}, pods(10), {"m1": 2, "m2": 2}, True),
]


@pytest.mark.parametrize(("p", "clusters", "before", "workload", "after", "rescheduled"),
                         [c[1:] for c in SEQUENCES], ids=[c[0] for c in SEQUENCES])
def test_sequences(p, clusters, before, workload, after, rescheduled) -> None:  # type: ignore[no-untyped-def]
    result, _ = reschedule(DEPLOY, workload, p, clusters, state(p, **before), T1)
    assert shares(result) == after
    assert result.rescheduled is rescheduled


def test_spread_dynamic_prefers_previous_clusters() -> None:
    """[spread-dynamic-prefers-previous-clusters]: maxGroups 2, free 10/5/30."""
    p = placement(DYNAMIC, spread=(SpreadConstraint("cluster", max_groups=2, min_groups=1),))
    first, s1 = reschedule(DEPLOY, pods(8), p, free(m1=10, m2=5, m3=30), None, T0)
    assert shares(first) == {"m1": 2, "m3": 6}
    second, s2 = reschedule(DEPLOY, pods(12), p, free(m1=10, m2=100, m3=30), s1, T1)
    assert shares(second) == {"m1": 3, "m3": 9}
    third, _ = reschedule(DEPLOY, pods(60), p, free(m1=10, m2=100, m3=30), s2, T2)
    assert shares(third) == {"m2": 39, "m3": 21}


def test_unschedulable_keeps_previous_with_a_warning_and_the_old_applied_placement() -> None:
    old = placement(DYNAMIC, affinity=names("m1", "m3"))
    new = placement(DYNAMIC, affinity=names("m1", "m2"))
    result, recorded = reschedule(DEPLOY, pods(12), new, free(m1=1, m2=1, m3=50), state(old, m1=4, m3=4), T1)
    assert shares(result) == {"m1": 4, "m3": 4} and result.error is None
    assert result.warnings and "previous placement is kept" in result.warnings[0]
    assert recorded.applied_placement == placement_json(old) and recorded.last_scheduled == T0


def test_fit_error_clears_the_previous_result() -> None:
    old = placement(DYNAMIC, affinity=names("m1"))
    new = placement(DYNAMIC, affinity=names("gone"))
    result, recorded = reschedule(DEPLOY, pods(4), new, free(m1=10), state(old, m1=4), T1)
    assert result.targets == () and result.error is not None and result.error.startswith("0/1 clusters")
    assert recorded.clusters == () and recorded.applied_placement == placement_json(new)


def test_only_feasible_cluster_removed_is_unplaced() -> None:
    p = placement(DYNAMIC, affinity=names("m3"))
    result, recorded = reschedule(DEPLOY, pods(4), p, free(m1=10), state(p, m3=4), T1)
    assert result.targets == () and result.error is not None and recorded.clusters == ()


@pytest.mark.parametrize(("p", "before", "clusters", "after"), [
    # [noexecute-evicts-dynamic-share] 2/1, m1 evicted -> m2 3
    (placement(DYNAMIC), {"m1": 2, "m2": 1}, [cluster("m1", cpu=10, taints=(UNREACHABLE,)), cluster("m2", cpu=10)],
     {"m2": 3}),
    # [noexecute-aggregated-fills-previous-first] 7/5 on m1/m3, m3 has 8 free -> m3 12
    (placement(AGGREGATED), {"m1": 7, "m3": 5},
     [cluster("m1", cpu=10, taints=(UNREACHABLE,)), cluster("m2", cpu=5), cluster("m3", cpu=8)], {"m3": 12}),
    # [noexecute-static-weight-failover] 1:2 -> m2 3
    (placement(static((names("m1"), 1), (names("m2"), 2))), {"m1": 1, "m2": 2},
     [cluster("m1", taints=(UNREACHABLE,)), cluster("m2")], {"m2": 3}),
    # [noexecute-evicted-replicas-unschedulable-shrinks] 2/4/6 -> 2/4
    (placement(DYNAMIC), {"m1": 2, "m2": 4, "m3": 6},
     [cluster("m1", cpu=1), cluster("m2", cpu=1), cluster("m3", cpu=10, taints=(UNREACHABLE,))], {"m1": 2, "m2": 4}),
    # [noexecute-duplicated-spread-replacement]: the survivor stays, the best other is added
    (placement(DUPLICATED, spread=(SpreadConstraint("cluster", max_groups=2, min_groups=1),)), {"m1": 3, "m2": 3},
     [cluster("m1", taints=(UNREACHABLE,)), cluster("m2"), cluster("m3")], {"m2": 3, "m3": 3}),
], ids=["dynamic", "aggregated", "static", "shrinks", "duplicated-spread"])
def test_noexecute_eviction(p: Placement, before: dict[str, int], clusters: list[Cluster], after: dict[str, int]) -> None:
    result, recorded = reschedule(DEPLOY, pods(sum(before.values()) if p.replica_scheduling.type == "Divided"
                                              else 3), p, clusters, state(p, **before), T1)
    assert shares(result) == after
    evicted = before.keys() - {t.name for t in recorded.clusters} - after.keys()
    assert {t.cluster for t in recorded.eviction_tasks} >= evicted
    assert result.evictions and result.evictions[0].startswith("m")


def test_eviction_is_explained_and_recorded_with_the_purge_mode() -> None:
    p = placement(DYNAMIC, tolerations=(Toleration(UNREACHABLE.key, "Exists", "", "NoExecute", 300),))
    taint = Taint(UNREACHABLE.key, "", "NoExecute", "2026-12-04T10:02:11Z")
    clusters = [cluster("m1", cpu=10), cluster("member3", cpu=10, taints=(taint,))]
    result, recorded = reschedule(DEPLOY, pods(4), p, clusters, state(p, m1=2, member3=2), "2026-12-04T10:10:00Z",
                                  purge_mode="Directly")
    assert result.evictions == (
        "member3 evicted: taint cluster.karmada.io/unreachable:NoExecute since 10:02:11Z, tolerated 300 s",
    )
    assert shares(result) == {"m1": 4}
    assert recorded.eviction_tasks == (EvictionTask(
        "member3", 2, "Directly", "taint cluster.karmada.io/unreachable:NoExecute since 10:02:11Z, tolerated 300 s",
        "2026-12-04T10:10:00Z",
    ),)


def test_tolerated_taint_waits_and_the_switch_turns_eviction_off() -> None:
    p = placement(DYNAMIC, tolerations=(Toleration(UNREACHABLE.key, "Exists", "", "NoExecute", 3600),))
    clusters = [cluster("m1", cpu=10), cluster("m2", cpu=10, taints=(UNREACHABLE,))]
    waiting, _ = reschedule(DEPLOY, pods(4), p, clusters, state(p, m1=2, m2=2), T1)
    assert shares(waiting) == {"m1": 2, "m2": 2} and waiting.rescheduled is False
    assert any("stays until" in line for line in waiting.arithmetic)
    off, _ = reschedule(DEPLOY, pods(4), p, clusters, state(p, m1=2, m2=2), T2, no_execute_eviction=False)
    assert shares(off) == {"m1": 2, "m2": 2} and not off.evictions


def test_taint_removed_nothing_returns_for_divided() -> None:
    p = placement(DYNAMIC)
    tainted = [cluster("m1", cpu=10, taints=(UNREACHABLE,)), cluster("m2", cpu=10)]
    _, s1 = reschedule(DEPLOY, pods(3), p, tainted, state(p, m1=2, m2=1), T1)
    healed = [cluster("m1", cpu=10), cluster("m2", cpu=10)]
    result, _ = reschedule(DEPLOY, pods(3), p, healed, s1, T2)
    assert shares(result) == {"m2": 3} and result.rescheduled is False


def test_an_eviction_task_keeps_a_duplicated_resource_off_the_cluster_while_it_lives() -> None:
    p = placement(DUPLICATED, tolerations=(Toleration(UNREACHABLE.key, "Exists", "", "NoExecute", 0),))
    tainted = [cluster("m1", taints=(UNREACHABLE,)), cluster("m2")]
    _, s1 = reschedule(DEPLOY, pods(2), p, tainted, state(p, m1=2, m2=2), T1)
    assert [t.cluster for t in s1.eviction_tasks] == ["m1"]
    healed = [cluster("m1"), cluster("m2")]
    soon, s2 = reschedule(DEPLOY, pods(2), p, healed, s1, "2026-12-04T11:05:00Z")
    assert shares(soon) == {"m2": 2}
    assert any(v.step == "ClusterEviction" and not v.passed for v in soon.verdicts)
    later, s3 = reschedule(DEPLOY, pods(2), p, healed, s2, T2)  # the 10-minute task timed out
    assert shares(later) == {"m1": 2, "m2": 2} and s3.eviction_tasks == ()


def _affinities(*terms: tuple[str, tuple[str, ...]]) -> Placement:
    return placement(DUPLICATED, terms=tuple(ClusterAffinityTerm(n, names(*c)) for n, c in terms))


def test_affinities_stick_to_the_observed_term() -> None:
    """[affinities-duplicated-sticks-to-observed-term], [affinities-placement-edit-resumes-observed-term]."""
    p = _affinities(("primary", ("m1",)), ("backup", ("m2",)))
    down = [cluster("m1", taints=(Taint("x", "", "NoSchedule"),)), cluster("m2")]
    first, s1 = reschedule(CONFIGMAP, None, p, down, None, T0)
    assert shares(first) == {"m2": None} and s1.observed_affinity == "backup"
    healed = [cluster("m1"), cluster("m2")]
    again, s2 = reschedule(CONFIGMAP, None, p, healed, s1, T1)
    assert shares(again) == {"m2": None} and s2.observed_affinity == "backup"
    edited = _affinities(("primary", ("m1",)), ("backup", ("m2", "m3")))
    moved, _ = reschedule(CONFIGMAP, None, edited, [*healed, cluster("m3")], s2, T2)
    assert shares(moved) == {"m2": None, "m3": None}
    renamed = _affinities(("primary", ("m1",)), ("backup-2", ("m2",)))
    restarted, s3 = reschedule(CONFIGMAP, None, renamed, healed, s2, T2)
    assert shares(restarted) == {"m1": None} and s3.observed_affinity == "primary"


def test_affinities_unplaced_from_the_observed_term_on() -> None:
    p = _affinities(("primary", ("m1",)), ("backup", ("m2",)))
    s = ResourceState(CONFIGMAP.key, clusters=(PreviousTarget("m2"),), applied_placement=placement_json(p),
                      observed_affinity="backup", last_scheduled=T0)
    result, recorded = reschedule(CONFIGMAP, None, p, [cluster("m1")], s, T1)
    assert result.targets == () and result.error is not None and recorded.clusters == ()


REBALANCE = Rebalancer("r1", T1, (DEPLOY,))


def test_a_rebalancer_fires_once_fresh_and_from_term_zero() -> None:
    """[rebalancer-fresh-dynamic-once]: m2 holds 3, free 20/10 -> weights 20:13 -> 2/1."""
    p = placement(DYNAMIC)
    clusters = free(m1=20, m2=10)
    fired, s1 = reschedule(DEPLOY, pods(3), p, clusters, state(p, m2=3), T1, rebalancers=[REBALANCE])
    assert shares(fired) == {"m1": 2, "m2": 1} and fired.reason == "forced by WorkloadRebalancer r1"
    assert s1.rebalancers == ("r1@" + T1,) and s1.last_scheduled == T1
    again, s2 = reschedule(DEPLOY, pods(3), p, clusters, s1, T2, rebalancers=[REBALANCE])
    assert again.rescheduled is False and s2 == s1


def test_a_resource_added_to_an_old_rebalancer_does_not_fire_if_scheduled_since() -> None:
    p = placement(DYNAMIC)
    old = Rebalancer("r0", T0, (DEPLOY,))
    result, _ = reschedule(DEPLOY, pods(3), p, free(m1=20, m2=10), state(p, at=T1, m2=3), T2, rebalancers=[old])
    assert result.rescheduled is False


def test_rebalancer_aggregated_consolidates() -> None:
    p = placement(AGGREGATED)
    clusters = free(m1=6, m2=8, m3=20)
    kept, s1 = reschedule(DEPLOY, pods(12), p, clusters, state(p, m1=5, m2=7), T1)
    assert shares(kept) == {"m1": 5, "m2": 7}
    fired, _ = reschedule(DEPLOY, pods(12), p, clusters, s1, T2, rebalancers=[Rebalancer("r", T2, (DEPLOY,))])
    assert shares(fired) == {"m3": 12}


def test_no_trigger_is_explained() -> None:
    p = placement(DYNAMIC)
    result, recorded = reschedule(DEPLOY, pods(6), p, free(m1=1, m2=1, m3=100), state(p, m1=4, m2=2), T1)
    assert result.rescheduled is False and "a new cluster" in result.reason and "Divided" in result.reason
    assert recorded == state(p, m1=4, m2=2)


def test_other_resources_are_not_touched_by_a_rebalancer() -> None:
    other = ResourceId("apps/v1", "Deployment", "shop", "other")
    p = placement(DYNAMIC)
    result, _ = reschedule(DEPLOY, pods(3), p, free(m1=20, m2=10), state(p, m2=3), T1,
                           rebalancers=[Rebalancer("r", T1, (other,))])
    assert result.rescheduled is False


def test_overflow_tiers_keep_the_primary_share_and_overflow_only_the_rest() -> None:
    """§3.7: each tier takes min(remaining, its available), Steady within the tier."""
    term = ClusterAffinityTerm("t", names("m1", "m2"), overflow=(names("m3"),))
    p = placement(DYNAMIC, terms=(term,))
    first, s1 = reschedule(DEPLOY, pods(6), p, free(m1=2, m2=4, m3=50), None, T0)
    assert shares(first) == {"m1": 2, "m2": 4}
    grown, _ = reschedule(DEPLOY, pods(10), p, free(m1=0, m2=0, m3=50), s1, T1)
    assert shares(grown) == {"m1": 2, "m2": 4, "m3": 4}
    assert any(line.startswith("overflow 1 tier (m3): takes 4 of 4") for line in grown.arithmetic)


def test_no_trigger_names_what_was_kept() -> None:
    p = placement(DYNAMIC)
    result, _ = reschedule(DEPLOY, pods(6), p, free(m1=0, m2=0), state(p, m1=4, m2=2), T1)
    assert result.arithmetic == ("previous result kept: m1 4, m2 2",)
