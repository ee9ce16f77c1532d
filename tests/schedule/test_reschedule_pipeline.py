"""One pass with a previous result (KARMADA-RESCHEDULING §2): filter exemptions for
current targets, ClusterLocality and the held-inclusive candidate order, spread keeping
current targets, and the clusterAffinities term to start from."""

from __future__ import annotations

from fractions import Fraction

import pytest
from schedule_builders import CONFIGMAP, DEPLOY, DUPLICATED, DYNAMIC, cluster, names, placement

from gitfleet.model.cluster import Cluster, Taint
from gitfleet.model.policy import ClusterAffinityTerm, Placement, SpreadConstraint
from gitfleet.schedule.reschedule.pipeline import Memory, run, start_term
from gitfleet.schedule.workload import Workload

CORDON = Taint("cordon", "", "NoSchedule")
GONE = Taint("gone", "", "NoExecute")
NO_API = frozenset({("v1", "Service")})


EVERYWHERE = placement(DUPLICATED)


def verdicts(clusters: list[Cluster], memory: Memory, p: Placement = EVERYWHERE) -> dict[str, str]:
    """Per cluster: the first failing step, or 'ok'."""
    out = run(CONFIGMAP, None, p, clusters, memory, None)
    failed: dict[str, str] = {}
    for v in out.verdicts:
        if not v.passed:
            failed.setdefault(v.cluster, v.step)
    return {c.name: failed.get(c.name, "ok") for c in clusters}


FILTER_CASES = [
    # (name, cluster, memory, first failing step or ok)
    ("NoSchedule taint, current target", cluster("m1", taints=(CORDON,)), Memory({"m1": 0}), "ok"),
    ("NoSchedule taint, other cluster", cluster("m1", taints=(CORDON,)), Memory({"m9": 0}), "TaintToleration"),
    ("NoExecute taint, current target", cluster("m1", taints=(GONE,)), Memory({"m1": 0}), "ok"),
    ("API missing, current target", cluster("m1", apis=NO_API), Memory({"m1": 0}), "ok"),
    ("API missing, other cluster", cluster("m1", apis=NO_API), Memory({}), "APIEnablement"),
    ("eviction task, current target too", cluster("m1"), Memory({"m1": 0}, frozenset({"m1"})), "ClusterEviction"),
    ("eviction task, other cluster", cluster("m1"), Memory({}, frozenset({"m1"})), "ClusterEviction"),
]


@pytest.mark.parametrize(("c", "memory", "expected"), [f[1:] for f in FILTER_CASES], ids=[f[0] for f in FILTER_CASES])
def test_filter_exemptions(c: Cluster, memory: Memory, expected: str) -> None:
    assert verdicts([c], memory)[c.name] == expected


def test_affinity_has_no_exemption() -> None:
    p = placement(DUPLICATED, affinity=names("m2"))
    assert verdicts([cluster("m1"), cluster("m2")], Memory({"m1": 0}), p) == {"m1": "ClusterAffinity", "m2": "ok"}


def test_a_cluster_under_eviction_is_a_fit_error_when_it_is_the_only_one() -> None:
    out = run(CONFIGMAP, None, placement(DUPLICATED), [cluster("m1")], Memory({}, frozenset({"m1"})), None)
    assert out.fit_error and out.error == "0/1 clusters are available: 1 cluster(s) is in the process of eviction."


@pytest.mark.parametrize(("held", "expected"), [
    # [duplicated-spread-keeps-previous-clusters]: current targets first, whatever the capacity
    ({"m1": 0, "m2": 0}, {"m1", "m2"}),
    ({"m3": 0}, {"m3", "m4"}),
    ({}, {"m3", "m4"}),  # no previous result: capacity decides (free 1/2/30/20)
], ids=["keeps-both", "keeps-one-adds-best", "fresh"])
def test_spread_keeps_current_targets(held: dict[str, int], expected: set[str]) -> None:
    p = placement(DUPLICATED, spread=(SpreadConstraint("cluster", max_groups=2, min_groups=1),))
    clusters = [cluster("m1", cpu=1), cluster("m2", cpu=2), cluster("m3", cpu=30), cluster("m4", cpu=20)]
    out = run(DEPLOY, Workload(1, {"cpu": Fraction(1)}), p, clusters, Memory(held), None)
    assert {t.name for t in out.targets} == expected


def test_available_replicas_include_held_ones() -> None:
    """§2.2: AvailableReplicas = estimate + held; the Divided swap compares those."""
    p = placement(DYNAMIC, spread=(SpreadConstraint("cluster", max_groups=1, min_groups=1),))
    clusters = [cluster("m1", cpu=2), cluster("m2", cpu=9)]
    # m1 holds 8 and has 2 free: 10 available beats m2's 9, so no swap.
    out = run(DEPLOY, Workload(10, {"cpu": Fraction(1)}), p, clusters, Memory({"m1": 8}), None)
    assert [(t.name, t.replicas) for t in out.targets] == [("m1", 10)]


TERMS = placement(DUPLICATED, terms=(
    ClusterAffinityTerm("a", names("m1")), ClusterAffinityTerm("b", names("m2")), ClusterAffinityTerm("c", names("m3")),
))


@pytest.mark.parametrize(("observed", "fresh", "expected"), [
    (None, False, 0), ("a", False, 0), ("b", False, 1), ("c", False, 2), ("renamed", False, 0), ("c", True, 0),
], ids=["none", "first", "second", "third", "gone", "rebalance"])
def test_start_term(observed: str | None, fresh: bool, expected: int) -> None:
    assert start_term(TERMS, observed, fresh) == expected


@pytest.mark.parametrize(("observed", "clusters", "targets", "fit_error"), [
    ("b", ["m1", "m2"], {"m2"}, False),  # a recovered earlier term is not used again
    ("b", ["m1", "m3"], {"m3"}, False),  # forward only
    ("c", ["m1", "m2"], set(), True),  # from the observed term on nothing fits: unplaced
    (None, ["m1", "m2"], {"m1"}, False),
], ids=["sticks", "moves-forward", "unplaced-although-earlier-fits", "fresh-order"])
def test_terms_from_the_observed_one_forward(
    observed: str | None, clusters: list[str], targets: set[str], fit_error: bool
) -> None:
    out = run(CONFIGMAP, None, TERMS, [cluster(n) for n in clusters], Memory({}), observed)
    assert ({t.name for t in out.targets}, out.fit_error) == (targets, fit_error)


def test_the_first_term_tried_decides_fit_or_capacity() -> None:
    """§2.4: a capacity error on the observed term keeps the result even if a later
    term has no feasible cluster."""
    p = placement(DYNAMIC, terms=(ClusterAffinityTerm("a", names("m1")), ClusterAffinityTerm("b", names("m9"))))
    out = run(DEPLOY, Workload(5, {"cpu": Fraction(1)}), p, [cluster("m1", cpu=1)], Memory({"m1": 1}), "a")
    assert out.error is not None and not out.fit_error
