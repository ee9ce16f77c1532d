"""Replica division with a previous result (KARMADA-RESCHEDULING §3): Steady scale-up,
scale-down and unchanged for dynamic weights and Aggregated, stateless static weights,
Fresh on a rebalance. Each row is a worked example of the doc, named in brackets there."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from schedule_builders import AGGREGATED, DUPLICATED, DYNAMIC, cluster, names, placement, static

from gitfleet.schedule.candidate import Candidate, ranked
from gitfleet.schedule.errors import SchedulingError
from gitfleet.schedule.reschedule import steady


def _cands(free: dict[str, int], held: dict[str, int]) -> list[Candidate]:
    """Candidates in Karmada's order: current targets score 100, available = free + held."""
    return ranked(
        Candidate(cluster(n), score=100 if n in held else 0, available=f + held.get(n, 0), allocatable=f)
        for n, f in free.items()
    )


CASES = [
    # (name, replica scheduling, free, held, desired, fresh, expected)
    ("dynamic-scale-up-keeps-shares", DYNAMIC, {"m1": 10, "m2": 10, "m3": 10}, {"m1": 2, "m2": 4, "m3": 6}, 24, False,
     {"m1": 6, "m2": 8, "m3": 10}),
    ("dynamic-cluster-replaced-delta-only", DYNAMIC, {"m1": 3, "m2": 3}, {"m1": 6}, 12, False, {"m1": 9, "m2": 3}),
    ("divided-no-trigger-keeps-previous (scale 12 -> 22)", DYNAMIC,
     {"m1": 60, "m2": 40, "m3": 20, "m4": 100}, {"m1": 2, "m2": 4, "m3": 6}, 22, False,
     {"m1": 5, "m2": 6, "m3": 7, "m4": 4}),
    ("dynamic-delta-webster-starts-from-zero", DYNAMIC, {"m1": 10, "m2": 10}, {"m1": 5, "m2": 1}, 7, False,
     {"m1": 6, "m2": 1}),
    ("dynamic-delta scale-down 7 -> 3 over 6:1", DYNAMIC, {"m1": 10, "m2": 10}, {"m1": 6, "m2": 1}, 3, False,
     {"m1": 3, "m2": 0}),
    ("dynamic-scale-down-by-previous-shares", DYNAMIC, {"m1": 0, "m2": 0, "m3": 0}, {"m1": 2, "m2": 4, "m3": 6}, 6,
     False, {"m1": 1, "m2": 2, "m3": 3}),
    ("dynamic-scale-down-ignores-dropped-clusters", DYNAMIC, {"m1": 0, "m2": 0}, {"m1": 2, "m2": 4}, 4, False,
     {"m1": 1, "m2": 3}),
    ("duplicated 6/6/6 switched to dynamic, 6 replicas", DYNAMIC, {"m1": 0, "m2": 1, "m3": 99},
     {"m1": 6, "m2": 6, "m3": 6}, 6, False, {"m1": 2, "m2": 2, "m3": 2}),
    ("placement-change-is-steady-not-fresh", DYNAMIC, {"m1": 0, "m2": 0, "m3": 100}, {"m1": 4, "m2": 2}, 6, False,
     {"m1": 4, "m2": 2}),
    ("aggregated-scale-up-prior-clusters-first", AGGREGATED, {"m1": 4, "m2": 6, "m3": 8}, {"m1": 4, "m2": 8}, 24, False,
     {"m1": 7, "m2": 12, "m3": 5}),
    ("aggregated-scale-up-stays-on-previous", AGGREGATED, {"m1": 6, "m2": 6, "m3": 20}, {"m1": 4, "m2": 8}, 24, False,
     {"m1": 10, "m2": 14}),
    ("aggregated-scale-down-concentrates (6)", AGGREGATED, {"m1": 50, "m2": 0}, {"m1": 4, "m2": 8}, 6, False,
     {"m2": 6}),
    ("aggregated-scale-down-concentrates (8)", AGGREGATED, {"m1": 50, "m2": 0}, {"m1": 4, "m2": 8}, 8, False,
     {"m2": 8}),
    ("aggregated-cluster-replaced", AGGREGATED, {"m1": 4, "m3": 8, "m4": 12}, {"m1": 4}, 24, False,
     {"m1": 7, "m3": 7, "m4": 10}),
    ("noexecute-aggregated-fills-previous-first", AGGREGATED, {"m2": 5, "m3": 8}, {"m3": 5}, 12, False, {"m3": 12}),
    ("rebalancer-fresh-dynamic-once", DYNAMIC, {"m1": 20, "m2": 10}, {"m2": 3}, 3, True, {"m1": 2, "m2": 1}),
    ("rebalancer-aggregated-consolidates", AGGREGATED, {"m1": 6, "m2": 8, "m3": 20}, {"m1": 5, "m2": 7}, 12, True,
     {"m3": 12}),
    ("static-weight-scale-is-stateless (9 -> 8)", static((names("m1"), 2), (names("m2"), 1), (names("m3"), 1),
                                                         (names("m4"), 1)),
     {"m1": 0, "m2": 0, "m3": 0, "m4": 0}, {"m1": 3, "m2": 2, "m3": 2, "m4": 2}, 8, False,
     {"m1": 3, "m2": 2, "m3": 2, "m4": 1}),
    ("duplicated ignores the previous result", DUPLICATED, {"m1": 0, "m2": 0}, {"m1": 9}, 4, False,
     {"m1": 4, "m2": 4}),
]


@pytest.mark.parametrize(("rs", "free", "held", "desired", "fresh", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_division_with_a_previous_result(rs, free, held, desired, fresh, expected) -> None:  # type: ignore[no-untyped-def]
    division = steady.assign(placement(rs), _cands(free, held), desired, held, fresh=fresh)
    got = {name: n for name, n in division.assignment}
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}


def test_scale_up_explains_the_arithmetic() -> None:
    held = {"m1": 2, "m2": 4, "m3": 6}
    division = steady.assign(placement(DYNAMIC), _cands({"m1": 10, "m2": 10, "m3": 10}, held), 24, held, fresh=False)
    assert division.lines == (
        (
            "steady scale-up: previous 2/4/6 (m1/m2/m3) kept; delta 12 dealt by available replicas 10:10:10 "
            "(m1/m2/m3) -> 4/4/4; result m1 6, m2 8, m3 10"
        ),
    )


@pytest.mark.parametrize(("rs", "free", "held", "desired", "fresh"), [
    (DYNAMIC, {"m1": 2, "m2": 2}, {"m1": 2, "m2": 4}, 12, False),  # delta 6 > 4 allocatable
    (AGGREGATED, {"m1": 1}, {"m1": 4}, 6, False),
    (DYNAMIC, {"m1": 1, "m2": 1}, {"m1": 1}, 4, True),  # fresh: 1+1+1 < 4
], ids=["dynamic-scale-up-unschedulable", "aggregated-scale-up-unschedulable", "fresh-unschedulable"])
def test_short_capacity_is_an_error(rs, free, held, desired, fresh) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SchedulingError, match="not enough"):
        steady.assign(placement(rs), _cands(free, held), desired, held, fresh=fresh)


_shares = st.dictionaries(st.sampled_from(["m1", "m2", "m3", "m4", "m5"]), st.integers(0, 20), min_size=1)


@given(free=_shares, held=_shares, extra=st.integers(1, 60), aggregated=st.booleans())
def test_steady_scale_up_never_lowers_a_share_and_sums_to_desired(free, held, extra, aggregated) -> None:  # type: ignore[no-untyped-def]
    free = {n: free.get(n, 0) for n in set(free) | set(held)}
    desired = sum(held.values()) + extra
    rs = AGGREGATED if aggregated else DYNAMIC
    try:
        division = steady.assign(placement(rs), _cands(free, held), desired, held, fresh=False)
    except SchedulingError:
        # Only the delta needs room: what the clusters hold is never re-checked.
        assert sum(free.values()) < extra
        return
    got = dict(division.assignment)
    assert all(got.get(n, 0) >= k for n, k in held.items())
    assert sum(got.values()) == desired
