"""Replica division (KARMADA-SEMANTICS §2.6, pitfalls 1, 6 and 7)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from schedule_builders import (
    AGGREGATED,
    DUPLICATED,
    DYNAMIC,
    WEIGHTED_NO_PREFERENCE,
    cand,
    labelled,
    placement,
    static,
)

from gitfleet.model.cluster import Cluster
from gitfleet.model.policy import ClusterAffinity, ReplicaScheduling, StaticWeight
from gitfleet.schedule.candidate import Candidate
from gitfleet.schedule.divide import (
    AGGREGATED as AGGREGATED_STRATEGY,
)
from gitfleet.schedule.divide import (
    DUPLICATED as DUPLICATED_STRATEGY,
)
from gitfleet.schedule.divide import (
    DYNAMIC_WEIGHT,
    STATIC_WEIGHT,
    assign,
    dynamic,
    static_weighted,
    strategy,
)
from gitfleet.schedule.errors import SchedulingError


def named(*names: str) -> ClusterAffinity:
    return ClusterAffinity(cluster_names=names)


def three() -> list[Candidate]:
    return [cand("member1"), cand("member2"), cand("member3")]


@pytest.mark.parametrize(
    ("rs", "expected"),
    [
        (DUPLICATED, DUPLICATED_STRATEGY),
        (static((named("a"), 1)), STATIC_WEIGHT),
        (WEIGHTED_NO_PREFERENCE, STATIC_WEIGHT),
        (ReplicaScheduling(type="Divided"), STATIC_WEIGHT),
        (DYNAMIC, DYNAMIC_WEIGHT),
        (AGGREGATED, AGGREGATED_STRATEGY),
    ],
    ids=["duplicated", "static", "weighted-default", "divided-default", "dynamic", "aggregated"],
)
def test_strategy(rs: ReplicaScheduling, expected: str) -> None:
    assert strategy(placement(rs)) == expected


@pytest.mark.parametrize(
    ("weights", "replicas", "expected"),
    [
        ([(named("member1"), 3), (named("member2"), 2), (named("member3"), 1)], 14,
         {"member1": 7, "member2": 5, "member3": 2}),
        # The highest matching entry counts, not the sum or the first.
        ([(labelled(tier="any"), 1), (named("member1"), 4), (named("member1", "member2"), 2)], 8,
         {"member1": 5, "member2": 3}),
        # Clusters no entry matches are left out entirely.
        ([(named("member1"), 1), (named("member2"), 1)], 5, {"member1": 3, "member2": 2}),
        # Nothing matches: every cluster weighs 1.
        ([(named("ghost"), 5)], 4, {"member1": 2, "member2": 1, "member3": 1}),
        ([], 3, {"member1": 1, "member2": 1, "member3": 1}),
    ],
    ids=["3:2:1-of-14", "max-over-entries", "unmatched-left-out", "nobody-matches", "no-list"],
)
def test_static_weights(weights: list[tuple[ClusterAffinity, int]], replicas: int, expected: dict[str, int]) -> None:
    entries = [StaticWeight(a, w) for a, w in weights]
    division = static_weighted(three(), entries, replicas)
    assert {n: r for n, r in division.assignment if r} == expected
    assert sum(r for _, r in division.assignment) == replicas


def test_static_weights_explain_the_arithmetic() -> None:
    entries = [StaticWeight(named("member1"), 3), StaticWeight(named("member2"), 2), StaticWeight(named("member3"), 1)]
    division = static_weighted(three(), entries, 14)
    assert division.lines[-1] == "static weights member1:3 member2:2 member3:1 -> Webster over 14 replicas -> 7/5/2"


def test_static_weights_ignore_capacity() -> None:
    poor = [cand("a", 0), cand("b", 0)]
    division = static_weighted(poor, [], 4)
    assert dict(division.assignment) == {"a": 2, "b": 2}


@pytest.mark.parametrize(
    ("available", "replicas", "aggregated", "expected"),
    [
        ({"a": 6, "b": 3, "c": 0}, 6, False, {"a": 4, "b": 2}),
        ({"m1": 8, "m2": 4, "m3": 2}, 7, False, {"m1": 4, "m2": 2, "m3": 1}),
        ({"a": 5, "b": 5}, 10, False, {"a": 5, "b": 5}),
        # Aggregated keeps the shortest prefix by capacity, then splits it by Webster.
        ({"a": 10, "b": 8, "c": 5}, 12, True, {"a": 7, "b": 5}),
        ({"m1": 8, "m2": 4, "m3": 2}, 7, True, {"m1": 7}),
        ({"b": 4, "a": 4}, 3, True, {"b": 3}),
    ],
    ids=["dynamic", "dynamic-three", "dynamic-full", "aggregated-prefix-split", "aggregated-one",
         "aggregated-stable-order"],
)
def test_dynamic(available: dict[str, int], replicas: int, aggregated: bool, expected: dict[str, int]) -> None:
    candidates = [cand(n, a) for n, a in available.items()]
    division = dynamic(candidates, replicas, aggregated)
    assert {n: r for n, r in division.assignment if r} == expected


@pytest.mark.parametrize("aggregated", [False, True], ids=["dynamic", "aggregated"])
def test_dynamic_never_places_partially(aggregated: bool) -> None:
    with pytest.raises(SchedulingError, match="clusters available replicas 5 are not enough to schedule 8"):
        dynamic([cand("a", 3), cand("b", 2)], 8, aggregated)


def test_duplicated_gives_everyone_the_full_count() -> None:
    division = assign(placement(DUPLICATED), [cand("a", 0), cand("b", 1)], 5)
    assert dict(division.assignment) == {"a": 5, "b": 5}


names_st = st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=6, unique=True)


@given(names=names_st, data=st.data(), replicas=st.integers(min_value=0, max_value=200),
       aggregated=st.booleans())
def test_dynamic_properties(names: list[str], data: st.DataObject, replicas: int, aggregated: bool) -> None:
    available = {n: data.draw(st.integers(min_value=0, max_value=80)) for n in names}
    candidates = [cand(n, a) for n, a in available.items()]
    total = sum(available.values())
    if total < replicas:
        with pytest.raises(SchedulingError):
            dynamic(candidates, replicas, aggregated)
        return
    division = dynamic(candidates, replicas, aggregated)
    got = dict(division.assignment)
    assert sum(got.values()) == replicas
    assert all(got[n] <= available[n] for n in got)
    assert dynamic(list(candidates), replicas, aggregated) == division


@given(names=names_st, data=st.data(), replicas=st.integers(min_value=0, max_value=200))
def test_static_properties(names: list[str], data: st.DataObject, replicas: int) -> None:
    weights = {n: data.draw(st.integers(min_value=1, max_value=20)) for n in names}
    candidates = [Candidate(Cluster(n)) for n in names]
    entries = [StaticWeight(named(n), w) for n, w in weights.items()]
    division = static_weighted(candidates, entries, replicas)
    got = dict(division.assignment)
    assert sum(got.values()) == replicas
    again = static_weighted(list(reversed(candidates)), list(reversed(entries)), replicas)
    assert dict(again.assignment) == got
    for a in names:
        for b in names:
            if weights[a] > weights[b]:
                assert got[a] >= got[b]
