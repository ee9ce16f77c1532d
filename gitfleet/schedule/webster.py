"""The Webster/Sainte-Laguë divisor method with Karmada's results
(``pkg/util/helper/webstermethod.go``, KARMADA-SEMANTICS §2.6, pitfall 1), in
O(parties log parties) whatever the number of seats.

Karmada deals seat by seat: the next seat goes to the party with the largest
``votes / (2 * seats + 1)``, compared as float64; ties go to the party with fewer
seats, then to the smaller name (Git templates have no UID, and Karmada orders ties
by name ascending then). Dealing 2147483647 replicas that way takes minutes, so the
same result is reached in two steps:

* Every (party, seat number) pair has a key ``(-priority, seat number, name)``, and a
  party's keys grow with its seat number (the priority never rises). Seat by seat
  dealing therefore hands out the pairs in ascending key order: the result is the
  ``seats`` smallest keys, whatever way they are found.
* A threshold ``t`` a little above the final divisor gives, per party, the count of
  pairs whose priority is above ``t`` in O(1); those pairs are all among the winners
  (any per-party count at or below theirs would do: dealing on from it still hands out
  the smallest keys). The seats left, about one per party, are dealt seat by seat.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence


def webster(seats: int, votes: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Deal ``seats`` among ``(name, votes)`` parties; every party is in the result.

    Nothing is dealt when the votes sum to zero (Karmada's dispenser returns early).
    Names must be unique.
    """
    result = {name: 0 for name, _ in votes}
    total = sum(v for _, v in votes)
    if seats <= 0 or total <= 0:
        return result
    start = _head_start(seats, votes, total)
    # Heap keys mirror the Go comparator: higher priority, fewer seats, smaller name.
    heap = [(-_priority(v, start[name]), start[name], name, v) for name, v in votes]
    heapq.heapify(heap)
    for _ in range(seats - sum(start.values())):
        _, taken, name, v = heapq.heappop(heap)
        taken += 1
        heapq.heappush(heap, (-_priority(v, taken), taken, name, v))
    for _, taken, name, _ in heap:
        result[name] = taken
    return result


def _head_start(seats: int, votes: Sequence[tuple[str, int]], total: int) -> dict[str, int]:
    """Seats per party that seat-by-seat dealing certainly gives first: the pairs whose
    priority is above a threshold, their sum at most ``seats`` and short of it by
    about the number of parties. All zeros when the seats are that few."""
    parties = len(votes)
    slack = parties
    while 2 * seats > 2 * slack:
        # Each party's count is within half a seat of votes / (2 * threshold), so the
        # sum lands in [seats - slack, seats) unless float rounding moves it.
        threshold = total / (2 * seats - slack)
        start = {name: _count_above(v, threshold) for name, v in votes}
        if sum(start.values()) <= seats:
            return start
        slack *= 2
    return {name: 0 for name, _ in votes}


def _count_above(votes: int, threshold: float) -> int:
    """How many seat numbers ``s`` give ``_priority(votes, s) > threshold``: the
    priority never rises with ``s``, so this is the first ``s`` at or below it."""
    if votes <= 0:
        return 0
    s = max(0, int((float(votes) / threshold - 1.0) / 2.0))
    while s > 0 and _priority(votes, s - 1) <= threshold:
        s -= 1
    while _priority(votes, s) > threshold:
        s += 1
    return s


def _priority(votes: int, seats: int) -> float:
    return float(votes) / float(2 * seats + 1)
