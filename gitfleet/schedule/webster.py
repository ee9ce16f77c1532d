"""The Webster/Sainte-Laguë divisor method, seat by seat, exactly as Karmada deals
replicas (``pkg/util/helper/webstermethod.go``, KARMADA-SEMANTICS §2.6, pitfall 1).

The next seat goes to the party with the largest ``votes / (2 * seats + 1)``, compared
as float64 like Karmada. Ties go to the party with fewer seats, then to the smaller
name: Git templates have no UID, and Karmada orders ties by name ascending then."""

from __future__ import annotations

import heapq
from collections.abc import Sequence


def webster(seats: int, votes: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Deal ``seats`` among ``(name, votes)`` parties; every party is in the result.

    Nothing is dealt when the votes sum to zero (Karmada's dispenser returns early).
    Names must be unique.
    """
    result = {name: 0 for name, _ in votes}
    if seats <= 0 or sum(v for _, v in votes) <= 0:
        return result
    weight = dict(votes)
    # Heap keys mirror the Go comparator: higher priority, fewer seats, smaller name.
    heap = [(-_priority(v, 0), 0, name) for name, v in votes]
    heapq.heapify(heap)
    for _ in range(seats):
        _, taken, name = heapq.heappop(heap)
        taken += 1
        result[name] = taken
        heapq.heappush(heap, (-_priority(weight[name], taken), taken, name))
    return result


def _priority(votes: int, seats: int) -> float:
    return float(votes) / float(2 * seats + 1)
