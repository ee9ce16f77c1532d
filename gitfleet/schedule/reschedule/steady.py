"""Replica division when a previous result exists (KARMADA-RESCHEDULING §3,
``core/assignment.go`` and ``core/division_algorithm.go``).

Duplicated and static weights are stateless (``divide``). The dynamic strategies keep
what the still-selected clusters hold ("scheduled", summing to "assigned"):

* Steady, assigned == desired: unchanged;
* Steady scale-down: Webster of the desired count over the held replicas (capacity
  ignored); Aggregated keeps the shortest prefix of the biggest holders first;
* Steady scale-up: only the delta is dealt, from zero seats, by Webster over the
  candidates' allocatable replicas, and added to what they hold; Aggregated puts the
  holders first, then keeps the shortest prefix covering the delta;
* Fresh (a rebalancer fired): the whole count from scratch, weighing each cluster by
  allocatable plus held replicas, without moving holders first.

A scale-up from nothing is first scheduling, so it is ``divide.assign`` itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gitfleet.model.policy import Placement
from gitfleet.schedule import divide
from gitfleet.schedule.candidate import Candidate
from gitfleet.schedule.divide import Division
from gitfleet.schedule.errors import SchedulingError
from gitfleet.schedule.webster import webster


def assign(
    placement: Placement, selected: Sequence[Candidate], replicas: int, held: Mapping[str, int], *, fresh: bool
) -> Division:
    """Divide ``replicas`` among ``selected`` (in candidate order) given what each
    cluster ``held``. Raises ``SchedulingError`` when the capacity is short."""
    kind = divide.strategy(placement)
    if kind not in (divide.DYNAMIC_WEIGHT, divide.AGGREGATED):
        return divide.assign(placement, selected, replicas)
    aggregated = kind == divide.AGGREGATED
    if fresh:
        return fresh_scale(selected, replicas, held, aggregated=aggregated)
    scheduled = [(c.name, held[c.name]) for c in selected if held.get(c.name, 0) > 0]
    assigned = sum(n for _, n in scheduled)
    if assigned == 0:
        return divide.dynamic(selected, replicas, aggregated)
    if assigned == replicas:
        return Division(tuple(scheduled), (f"steady: previous {_named(scheduled)} kept (assigned == desired {replicas})",))
    if assigned > replicas:
        return scale_down(scheduled, replicas, aggregated=aggregated)
    return scale_up(selected, scheduled, replicas, aggregated=aggregated)


def scale_down(scheduled: Sequence[tuple[str, int]], replicas: int, *, aggregated: bool) -> Division:
    """Webster of ``replicas`` with the held replicas as weights (dynamicScaleDown)."""
    weights = list(scheduled)
    lines = []
    if aggregated:
        weights = _prefix(sorted(weights, key=lambda p: -p[1]), replicas)
        lines.append(f"aggregated scale-down: biggest holders covering {replicas}: {', '.join(n for n, _ in weights)}")
    seats = webster(replicas, weights)
    lines.append(
        f"steady scale-down: previous {_slashes(scheduled)} {_names(scheduled)}; {replicas} replicas dealt by "
        f"previous shares {_colons(weights)} {_names(weights)} -> {_slashes([(n, seats[n]) for n, _ in weights])}"
    )
    return Division(tuple((n, seats[n]) for n, _ in weights), tuple(lines))


def scale_up(
    selected: Sequence[Candidate], scheduled: Sequence[tuple[str, int]], replicas: int, *, aggregated: bool
) -> Division:
    """Deal only the delta, from zero seats, over allocatable replicas; merge."""
    held = dict(scheduled)
    delta = replicas - sum(held.values())
    # A stable sort keeps the candidate order among equal capacities (§3.4).
    available = sorted(((c.name, c.allocatable) for c in selected), key=lambda p: -p[1])
    total = sum(a for _, a in available)
    if total < delta:
        raise SchedulingError(
            f"failed to assign replicas: clusters available replicas {total} are not enough to schedule "
            f"{delta} more replicas ({_colons(available)}); the previous {_named(scheduled)} is kept"
        )
    lines = []
    if aggregated:
        # resortAvailableClusters: the clusters already holding replicas come first.
        available = [p for p in available if p[0] in held] + [p for p in available if p[0] not in held]
        available = _prefix(available, delta)
        lines.append(f"aggregated scale-up: holders first, shortest prefix covering {delta}: "
                     f"{', '.join(n for n, _ in available)}")
    seats = webster(delta, available)
    merged = [(n, held.get(n, 0) + seats.get(n, 0)) for n in _union(scheduled, available)]
    lines.append(
        f"steady scale-up: previous {_slashes(scheduled)} {_names(scheduled)} kept; delta {delta} dealt by "
        f"available replicas {_colons(available)} {_names(available)} -> "
        f"{_slashes([(n, seats[n]) for n, _ in available])}; result {_named(merged)}"
    )
    return Division(tuple(merged), tuple(lines))


def fresh_scale(selected: Sequence[Candidate], replicas: int, held: Mapping[str, int], *, aggregated: bool) -> Division:
    """dynamicFreshScale: everything from scratch, weights = allocatable + held."""
    weights = sorted(((c.name, c.allocatable + held.get(c.name, 0)) for c in selected), key=lambda p: -p[1])
    total = sum(w for _, w in weights)
    if total < replicas:
        raise SchedulingError(
            f"failed to assign replicas: clusters available replicas {total} are not enough to schedule "
            f"{replicas} replicas ({_colons(weights)})"
        )
    lines = [f"fresh (rebalance): weights = available + held replicas {_colons(weights)}"]
    if aggregated:
        weights = _prefix(weights, replicas)
        lines.append(f"shortest prefix holding {replicas}: {', '.join(n for n, _ in weights)}")
    seats = webster(replicas, weights)
    lines.append(f"Webster over {replicas} replicas -> {_slashes([(n, seats[n]) for n, _ in weights])}")
    return Division(tuple((n, seats[n]) for n, _ in weights), tuple(lines))


def _prefix(pairs: Sequence[tuple[str, int]], need: int) -> list[tuple[str, int]]:
    running = 0
    for i, (_, n) in enumerate(pairs):
        running += n
        if running >= need:
            return list(pairs[: i + 1])
    return list(pairs)


def _union(first: Sequence[tuple[str, int]], second: Sequence[tuple[str, int]]) -> list[str]:
    seen = dict.fromkeys(n for n, _ in first)
    seen.update(dict.fromkeys(n for n, _ in second))
    return list(seen)


# Arithmetic lines list clusters by name, whatever order the division used.
def _names(pairs: Sequence[tuple[str, int]]) -> str:
    return "(" + "/".join(n for n, _ in sorted(pairs)) + ")"


def _slashes(pairs: Sequence[tuple[str, int]]) -> str:
    return "/".join(str(n) for _, n in sorted(pairs))


def _colons(pairs: Sequence[tuple[str, int]]) -> str:
    return ":".join(str(n) for _, n in sorted(pairs))


def _named(pairs: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{n} {k}" for n, k in sorted(pairs))
