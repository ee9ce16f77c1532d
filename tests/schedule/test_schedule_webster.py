"""Webster/Sainte-Laguë division (KARMADA-SEMANTICS §2.6, pitfall 1): Karmada's
seat-by-seat results, computed without dealing seat by seat."""

from __future__ import annotations

import heapq
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.schedule.webster import webster


@pytest.mark.parametrize(
    ("seats", "votes", "expected"),
    [
        (14, [("member1", 3), ("member2", 2), ("member3", 1)], {"member1": 7, "member2": 5, "member3": 2}),
        (8, [("a", 10), ("b", 8), ("c", 3), ("d", 2)], {"a": 3, "b": 3, "c": 1, "d": 1}),
        # Karmada's own doc examples in assignByStaticWeightStrategy.
        (9, [("A", 1), ("B", 2)], {"A": 3, "B": 6}),
        (9, [("A", 1), ("B", 3)], {"A": 2, "B": 7}),
        # Equal priority and seats: the smaller name wins, whatever the input order.
        (3, [("b", 1), ("a", 1)], {"a": 2, "b": 1}),
        # Equal priority, unequal seats: fewer seats wins (3/3 == 1/1 after a's first seat).
        (2, [("a", 3), ("b", 1)], {"a": 1, "b": 1}),
        (0, [("a", 1)], {"a": 0}),
        (5, [("a", 0), ("b", 0)], {"a": 0, "b": 0}),
        (4, [("a", 5), ("z", 0)], {"a": 4, "z": 0}),
    ],
    ids=["3:2:1-of-14", "10:8:3:2-of-8", "1:2-of-9", "1:3-of-9", "name-tie", "seat-tie", "no-seats",
         "no-votes", "zero-vote-party"],
)
def test_webster_table(seats: int, votes: list[tuple[str, int]], expected: dict[str, int]) -> None:
    assert webster(seats, votes) == expected


def test_floor_and_remainder_would_differ() -> None:
    # The pre-v1.16 dispenser gave 8/4/2 for 3:2:1 of 14; Webster must not.
    assert webster(14, [("m1", 3), ("m2", 2), ("m3", 1)])["m1"] != 8


parties = st.dictionaries(
    st.text(alphabet="abcdefgh", min_size=1, max_size=4), st.integers(min_value=0, max_value=50),
    min_size=1, max_size=6,
)


@given(seats=st.integers(min_value=0, max_value=300), votes=parties)
def test_webster_properties(seats: int, votes: dict[str, int]) -> None:
    pairs = list(votes.items())
    result = webster(seats, pairs)
    assert set(result) == set(votes)
    if sum(votes.values()) > 0:
        assert sum(result.values()) == seats
    else:
        assert sum(result.values()) == 0
    # Deterministic and independent of the order the parties are given in.
    assert webster(seats, list(reversed(pairs))) == result
    for a, va in pairs:
        if va == 0:
            assert result[a] == 0
        for b, vb in pairs:
            if va > vb:
                assert result[a] >= result[b]


def _seat_by_seat(seats: int, votes: list[tuple[str, int]]) -> dict[str, int]:
    """Karmada's dispenser as written: one seat at a time to the highest float64
    priority, ties to fewer seats, then to the smaller name."""
    result = {name: 0 for name, _ in votes}
    if seats <= 0 or sum(v for _, v in votes) <= 0:
        return result
    weight = dict(votes)
    heap = [(-(float(v) / 1.0), 0, name) for name, v in votes]
    heapq.heapify(heap)
    for _ in range(seats):
        _, taken, name = heapq.heappop(heap)
        result[name] = taken + 1
        heapq.heappush(heap, (-(float(weight[name]) / float(2 * taken + 3)), taken + 1, name))
    return result


@given(
    seats=st.integers(min_value=0, max_value=3000),
    votes=st.dictionaries(
        st.text(alphabet="abcdefgh", min_size=1, max_size=4),
        st.one_of(st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=2**31 - 1)),
        min_size=1, max_size=12,
    ),
)
def test_webster_equals_seat_by_seat(seats: int, votes: dict[str, int]) -> None:
    pairs = list(votes.items())
    assert webster(seats, pairs) == _seat_by_seat(seats, pairs)


@pytest.mark.parametrize(
    ("seats", "votes"),
    [
        (10_000, [("a", 1), ("b", 1), ("c", 1)]),  # exact ties at every threshold
        (9_999, [(f"c{i:02d}", 7) for i in range(40)]),
        (5_000, [("big", 10**9), ("small", 1)]),
        (4_321, [(f"c{i:02d}", i + 1) for i in range(50)]),
        (60, [(f"c{i:02d}", i % 3) for i in range(50)]),  # fewer seats than twice the parties
    ],
    ids=["equal-votes", "equal-many", "lopsided", "ramp", "few-seats"],
)
def test_webster_equals_seat_by_seat_table(seats: int, votes: list[tuple[str, int]]) -> None:
    assert webster(seats, votes) == _seat_by_seat(seats, votes)


def test_int32_replicas_over_fifty_clusters_is_fast() -> None:
    votes = [(f"member{i:02d}", (i * 7919) % 97 + 1) for i in range(50)]
    start = time.perf_counter()
    result = webster(2_147_483_647, votes)
    elapsed = time.perf_counter() - start
    assert sum(result.values()) == 2_147_483_647
    assert elapsed < 0.5
