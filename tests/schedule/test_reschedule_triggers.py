"""What triggers a reschedule (KARMADA-RESCHEDULING §1), in Karmada's order, and the
placement comparison with only the observed clusterAffinities term (§1.1)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from schedule_builders import AGGREGATED, DUPLICATED, DYNAMIC, labelled, names, placement

from gitfleet.model.policy import ClusterAffinityTerm, Placement, Toleration
from gitfleet.model.state import PreviousTarget, ResourceState
from gitfleet.schedule.reschedule import needs_reschedule, placement_changed, placement_json
from gitfleet.schedule.workload import Workload

DIVIDED = placement(DYNAMIC, affinity=names("m1", "m2"))
HELD = (PreviousTarget("m1", 4), PreviousTarget("m2", 2))


def _state(p: Placement, held: tuple[PreviousTarget, ...] = HELD, observed: str | None = None) -> ResourceState:
    return ResourceState("k", clusters=held, applied_placement=placement_json(p), observed_affinity=observed)


CASES = [
    # (name, workload, placement now, state, held, evicted, gone, rebalancers, fires, reason starts with)
    ("divided-no-trigger-keeps-previous", Workload(6), DIVIDED, _state(DIVIDED), HELD, (), (), (), False, "no trigger"),
    ("placement changed", Workload(6), placement(DYNAMIC, affinity=names("m1", "m2", "m3")), _state(DIVIDED), HELD,
     (), (), (), True, "placement changed"),
    ("tolerations are part of the placement", Workload(6),
     replace(DIVIDED, tolerations=(Toleration("k", "Exists"),)), _state(DIVIDED), HELD, (), (), (), True,
     "placement changed"),
    ("strategy switch is a placement change", Workload(6), placement(AGGREGATED, affinity=names("m1", "m2")),
     _state(DIVIDED), HELD, (), (), (), True, "placement changed"),
    ("scale up", Workload(9), DIVIDED, _state(DIVIDED), HELD, (), (), (), True, "replicas changed"),
    ("eviction", Workload(6), DIVIDED, _state(DIVIDED), HELD[1:], ("m1",), (), (), True,
     "replicas changed: evicted from m1"),
    ("failed first schedule", Workload(6), DIVIDED, _state(DIVIDED, ()), (), (), (), (), True, "nothing placed"),
    ("rebalancer", Workload(6), DIVIDED, _state(DIVIDED), HELD, (), (), ("r1",), True,
     "forced by WorkloadRebalancer r1"),
    ("duplicated always", Workload(6), placement(DUPLICATED), _state(placement(DUPLICATED)), HELD, (), (), (), True,
     "Duplicated"),
    ("non-workload under Divided always", None, DIVIDED, _state(DIVIDED), HELD, (), (), (), True, "not a workload"),
    ("a target left the inventory", Workload(6), DIVIDED, _state(DIVIDED), HELD, (), ("m2",), (), True,
     "previous target left the inventory: m2"),
    ("unreadable applied placement", Workload(6), DIVIDED, replace(_state(DIVIDED), applied_placement="{"), HELD,
     (), (), (), True, "placement changed"),
]


@pytest.mark.parametrize(
    ("workload", "now", "state", "held", "evicted", "gone", "rebalancers", "fires", "reason"),
    [c[1:] for c in CASES], ids=[c[0] for c in CASES],
)
def test_needs_reschedule(workload, now, state, held, evicted, gone, rebalancers, fires, reason) -> None:  # type: ignore[no-untyped-def]
    trigger = needs_reschedule(workload, now, state, held=held, evicted=evicted, gone=gone, rebalancers=rebalancers)
    assert (trigger.fires, trigger.reason.startswith(reason)) == (fires, True), trigger.reason


def _terms(*terms: tuple[str, tuple[str, ...]]) -> Placement:
    return placement(DUPLICATED, terms=tuple(ClusterAffinityTerm(n, names(*c)) for n, c in terms))


APPLIED = _terms(("a", ("m1",)), ("b", ("m2",)), ("c", ("m3",)))

# Test_needConsideredPlacementChanged: only the observed term counts.
AFFINITY_CASES = [
    ("same", APPLIED, "b", False),
    ("another term edited", _terms(("a", ("m9",)), ("b", ("m2",)), ("c", ("m3",))), "b", False),
    ("another term added", _terms(("a", ("m1",)), ("b", ("m2",)), ("c", ("m3",)), ("d", ("m4",))), "b", False),
    ("another term deleted", _terms(("b", ("m2",)), ("c", ("m3",))), "b", False),
    ("observed term edited", _terms(("a", ("m1",)), ("b", ("m2", "m4")), ("c", ("m3",))), "b", True),
    ("observed term renamed", _terms(("a", ("m1",)), ("b2", ("m2",)), ("c", ("m3",))), "b", True),
    ("observed term deleted", _terms(("a", ("m1",)), ("c", ("m3",))), "b", True),
    ("no observed term: any edit", _terms(("a", ("m9",)), ("b", ("m2",)), ("c", ("m3",))), None, True),
    ("outside clusterAffinities", replace(APPLIED, tolerations=(Toleration("x", "Exists"),)), "b", True),
    ("clusterAffinity replaced by labels", placement(DUPLICATED, affinity=labelled(env="prod")), "b", True),
]


@pytest.mark.parametrize(("now", "observed", "changed"), [c[1:] for c in AFFINITY_CASES],
                         ids=[c[0] for c in AFFINITY_CASES])
def test_placement_changed_counts_only_the_observed_term(now: Placement, observed: str | None, changed: bool) -> None:
    assert placement_changed(now, placement_json(APPLIED), observed) is changed


@pytest.mark.parametrize("applied", [None, "", "[]", "{", "null", '"x"'])
def test_a_missing_or_unreadable_record_is_a_change(applied: str | None) -> None:
    assert placement_changed(APPLIED, applied, "a")
