"""The public ``schedule()`` end to end on small inventories (KARMADA-SEMANTICS §2, §9)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schedule_builders import (
    AGGREGATED,
    CONFIGMAP,
    DEPLOY,
    DUPLICATED,
    DYNAMIC,
    cluster,
    deployment,
    labelled,
    names,
    placement,
    static,
)

from gitfleet.model.cluster import Cluster, Taint
from gitfleet.model.plan import ClusterTarget, ScheduleResult
from gitfleet.model.policy import ClusterAffinity, ClusterAffinityTerm, Placement, SpreadConstraint
from gitfleet.schedule import interpret, schedule
from gitfleet.schedule.workload import Workload

PROD_TAINT = Taint("env", "prod", "NoSchedule")


def inventory() -> list[Cluster]:
    return [
        cluster("member1", labels={"env": "prod"}, region="eu", cpu="8"),
        cluster("member2", labels={"env": "prod"}, region="eu", cpu="4"),
        cluster("member3", labels={"env": "dev"}, region="us", cpu="2"),
        cluster("member4", labels={"env": "prod"}, region="us", cpu="16", taints=(PROD_TAINT,)),
    ]


def targets(result: ScheduleResult) -> dict[str, int | None]:
    return {t.name: t.replicas for t in result.targets}


CPU_1 = interpret(deployment(7, cpu="1"))


@pytest.mark.parametrize(
    ("workload", "plc", "expected"),
    [
        (interpret(deployment(3)), placement(DUPLICATED), {"member1": 3, "member2": 3, "member3": 3}),
        (interpret(deployment(14)),
         placement(static((names("member1"), 3), (names("member2"), 2), (names("member3"), 1))),
         {"member1": 7, "member2": 5, "member3": 2}),
        (CPU_1, placement(DYNAMIC), {"member1": 4, "member2": 2, "member3": 1}),
        (CPU_1, placement(AGGREGATED), {"member1": 7}),
        (None, placement(static((names("member1"), 1))), {"member1": None, "member2": None, "member3": None}),
        (interpret(deployment(0)), placement(static((names("member1"), 1))),
         {"member1": 0, "member2": 0, "member3": 0}),
        (interpret(deployment(0, cpu="1")), placement(DUPLICATED), {}),
        (interpret(deployment(5)), placement(DUPLICATED, affinity=labelled(env="prod")), {"member1": 5, "member2": 5}),
    ],
    ids=["duplicated", "static-3:2:1-of-14", "dynamic", "aggregated", "non-workload-divided",
         "zero-replicas-no-requests", "zero-replicas-with-requests", "affinity"],
)
def test_schedule_per_replica_type(workload: Workload | None, plc: Placement, expected: dict[str, int | None]) -> None:
    result = schedule(DEPLOY, workload, plc, inventory())
    assert result.error is None
    assert targets(result) == expected
    assert list(result.targets) == sorted(result.targets)


def test_arithmetic_reads_like_the_division() -> None:
    plc = placement(static((names("member1"), 3), (names("member2"), 2), (names("member3"), 1)))
    result = schedule(DEPLOY, interpret(deployment(14)), plc, inventory())
    assert "static weights member1:3 member2:2 member3:1 -> Webster over 14 replicas -> 7/5/2" in result.arithmetic


def test_dynamic_arithmetic_shows_available_replicas() -> None:
    result = schedule(DEPLOY, CPU_1, placement(DYNAMIC), inventory())
    assert result.arithmetic[0].startswith("available replicas: member1 8 (pods 110, cpu 8000m/1000m=8)")
    assert result.arithmetic[-1] == "Webster over 7 replicas -> 4/2/1"


def test_fit_error_is_a_sorted_histogram() -> None:
    clusters = [cluster(f"t{i}", labels={"env": "prod"}, taints=(PROD_TAINT,)) for i in range(3)]
    clusters += [cluster(f"d{i}", labels={"env": "dev"}) for i in range(3)]
    result = schedule(DEPLOY, interpret(deployment(2)), placement(affinity=labelled(env="prod")), clusters)
    assert result.targets == ()
    assert result.error == (
        "0/6 clusters are available: 3 cluster(s) did not match the placement cluster affinity constraint, "
        "3 cluster(s) had untolerated taint {env=prod:NoSchedule}."
    )
    steps = [(v.cluster, v.step, v.passed) for v in result.verdicts]
    # A cluster stops at its first failing filter.
    assert ("t0", "TaintToleration", False) in steps and ("t0", "ClusterAffinity", False) not in steps
    assert ("d0", "ClusterAffinity", False) in steps


def test_no_clusters_at_all() -> None:
    result = schedule(DEPLOY, interpret(deployment(1)), placement(), [])
    assert result.error == "0/0 clusters are available: no cluster exists."


@pytest.mark.parametrize(
    ("workload", "plc", "message"),
    [
        (interpret(deployment(3, cpu="100m")), placement(DYNAMIC),
         "clusters available replicas 0 are not enough to schedule 3 replicas"),
        (interpret(deployment(3)), placement(spread=(SpreadConstraint("cluster", min_groups=1),)),
         "failed to assign replicas: no clusters available to schedule"),
        (interpret(deployment(3)), placement(DYNAMIC, spread=(SpreadConstraint("cluster", min_groups=1),)),
         "no enough resource when selecting 0 clusters"),
        (interpret(deployment(3)), placement(spread=(SpreadConstraint(spread_by_label="team"),)),
         "just support cluster and region spread constraint"),
        (interpret(deployment(3)), placement(spread=(SpreadConstraint("zone", max_groups=3),)),
         "0/2 clusters are available: 2 cluster(s) did not have zones property."),
    ],
    ids=["dynamic-without-resource-summary", "max-groups-unset", "max-groups-unset-divided", "spread-by-label",
         "zone-filter"],
)
def test_scheduling_failures(workload: Workload | None, plc: Placement, message: str) -> None:
    clusters = [cluster("a"), cluster("b")]
    result = schedule(DEPLOY, workload, plc, clusters)
    assert result.targets == ()
    assert result.error is not None and message in result.error


def test_static_weights_ignore_spread_constraints() -> None:
    plc = placement(static((names("member1"), 1), (names("member2"), 1)),
                    spread=(SpreadConstraint("cluster", min_groups=1, max_groups=1),))
    result = schedule(DEPLOY, interpret(deployment(4)), plc, inventory())
    assert targets(result) == {"member1": 2, "member2": 2}


def test_tolerated_cluster_is_feasible() -> None:
    from gitfleet.model.policy import Toleration

    plc = placement(tolerations=(Toleration(key="env", operator="Exists"),))
    result = schedule(DEPLOY, interpret(deployment(1)), plc, inventory())
    assert "member4" in targets(result)


def term(name: str, affinity: ClusterAffinity, *overflow: ClusterAffinity) -> ClusterAffinityTerm:
    return ClusterAffinityTerm(name, affinity, tuple(overflow))


def test_cluster_affinities_first_success_wins() -> None:
    plc = placement(terms=(term("gone", names("ghost")), term("eu", labelled(env="dev")), term("all", ClusterAffinity())))
    result = schedule(DEPLOY, interpret(deployment(2)), plc, inventory())
    assert result.affinity_term == "eu"
    assert targets(result) == {"member3": 2}
    assert result.arithmetic[0] == (
        "clusterAffinities term 'gone' failed: 0/4 clusters are available: 1 cluster(s) had untolerated taint "
        "{env=prod:NoSchedule}, 3 cluster(s) did not match the placement cluster affinity constraint."
    )
    assert all(v.reason.startswith(("term gone: ", "term eu: ")) for v in result.verdicts)


def test_cluster_affinities_all_failing_report_the_first_error() -> None:
    plc = placement(DYNAMIC, terms=(term("gone", names("ghost")), term("poor", names("member3"))))
    result = schedule(DEPLOY, interpret(deployment(50, cpu="1")), plc, inventory())
    assert result.targets == ()
    assert result.error is not None and result.error.startswith("0/4 clusters are available")
    assert result.affinity_term == "poor"
    assert any("term 'poor' failed: failed to assign replicas" in line for line in result.arithmetic)


def test_overflow_tiers_fill_in_order() -> None:
    plc = placement(DYNAMIC, terms=(term("local", names("member3"), names("member1", "member2")),))
    result = schedule(DEPLOY, CPU_1, plc, inventory())
    # The primary tier holds 2 (cpu 2); the other 5 go to the overflow tier by Webster over 8:4.
    assert targets(result) == {"member1": 3, "member2": 2, "member3": 2}
    assert result.affinity_term == "local"


def test_overflow_runs_out() -> None:
    plc = placement(DYNAMIC, terms=(term("local", names("member3"), names("member2")),))
    result = schedule(DEPLOY, interpret(deployment(9, cpu="1")), plc, inventory())
    assert result.error is not None and "3 of 9 replicas left after the last overflow tier" in result.error


def test_overflow_does_not_apply_to_non_workloads() -> None:
    plc = placement(DYNAMIC, terms=(term("local", names("member3"), names("member1")),))
    result = schedule(CONFIGMAP, None, plc, inventory())
    assert targets(result) == {"member3": None}


def test_verdicts_cover_every_step_that_ran() -> None:
    result = schedule(DEPLOY, interpret(deployment(1)), placement(AGGREGATED), inventory())
    by_step: dict[str, set[str]] = {}
    for v in result.verdicts:
        by_step.setdefault(v.step, set()).add(v.cluster)
    assert by_step["APIEnablement"] == {"member1", "member2", "member3", "member4"}
    assert by_step["Select"] == {"member1", "member2", "member3"}
    assert by_step["Assign"] == {"member1", "member2", "member3"}
    assert targets(result) == {"member1": 1}
    dropped = [v for v in result.verdicts if v.step == "Assign" and not v.passed]
    assert {v.cluster for v in dropped} == {"member2", "member3"}


PLACEMENTS: list[Placement] = [
    placement(DUPLICATED),
    placement(static((names("member1"), 2), (labelled(env="prod"), 1))),
    placement(DYNAMIC),
    placement(AGGREGATED),
    placement(DYNAMIC, spread=(SpreadConstraint("region", min_groups=1, max_groups=2),
                               SpreadConstraint("cluster", min_groups=1, max_groups=2))),
]


@settings(max_examples=40, deadline=None)
@given(order=st.permutations(range(4)), which=st.integers(0, len(PLACEMENTS) - 1),
       replicas=st.integers(0, 20))
def test_output_ignores_inventory_order(order: list[int], which: int, replicas: int) -> None:
    base = inventory()
    workload = interpret(deployment(replicas, cpu="500m"))
    expected = schedule(DEPLOY, workload, PLACEMENTS[which], base)
    shuffled = schedule(DEPLOY, workload, PLACEMENTS[which], [base[i] for i in order])
    assert shuffled == expected
    if expected.error is None and replicas and PLACEMENTS[which].replica_scheduling.type == "Divided":
        assert sum(t.replicas or 0 for t in expected.targets) == replicas


def test_result_is_plain_model_data() -> None:
    result = schedule(DEPLOY, interpret(deployment(2)), placement(), inventory())
    assert all(type(v).__name__ == "FilterVerdict" for v in result.verdicts)
    assert all(isinstance(t, ClusterTarget) for t in result.targets)
