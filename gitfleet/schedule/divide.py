"""Replica assignment among the selected clusters (KARMADA-SEMANTICS §2.6): Duplicated,
static weights, dynamic weights by available replicas and Aggregated, each explained in
lines a reviewer can follow. Fresh scheduling only: there is no previous result, so
dynamic division is Karmada's scale-up from zero."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gitfleet.model.match import cluster_matches
from gitfleet.model.policy import Placement, StaticWeight
from gitfleet.schedule.candidate import Candidate
from gitfleet.schedule.errors import SchedulingError
from gitfleet.schedule.spread import division_preference
from gitfleet.schedule.webster import webster

DUPLICATED = "Duplicated"
STATIC_WEIGHT = "StaticWeight"
DYNAMIC_WEIGHT = "DynamicWeight"
AGGREGATED = "Aggregated"


@dataclass(frozen=True)
class Division:
    """Replicas per cluster, in the order the clusters were given, zeros included."""

    assignment: tuple[tuple[str, int], ...]
    lines: tuple[str, ...] = ()


def strategy(placement: Placement) -> str:
    """Karmada's assignment strategy name for a placement."""
    rs = placement.replica_scheduling
    if rs.type != "Divided":
        return DUPLICATED
    if division_preference(placement) == "Aggregated":
        return AGGREGATED
    return DYNAMIC_WEIGHT if rs.dynamic_weight is not None else STATIC_WEIGHT


def assign(placement: Placement, candidates: Sequence[Candidate], replicas: int) -> Division:
    """Divide ``replicas`` of a workload among ``candidates`` by the placement's strategy.
    Raises ``SchedulingError`` when dynamic division lacks capacity."""
    kind = strategy(placement)
    if kind == DUPLICATED:
        return duplicated(candidates, replicas)
    if kind == STATIC_WEIGHT:
        return static_weighted(candidates, placement.replica_scheduling.static_weights, replicas)
    return dynamic(candidates, replicas, aggregated=kind == AGGREGATED)


def duplicated(candidates: Sequence[Candidate], replicas: int) -> Division:
    line = f"duplicated: every selected cluster gets all {replicas} replicas (capacity is not checked)"
    return Division(tuple((c.name, replicas) for c in candidates), (line,))


def static_weights_of(
    candidates: Sequence[Candidate], entries: Sequence[StaticWeight]
) -> tuple[list[tuple[str, int]], bool]:
    """Each cluster's weight is the highest among the entries that match it; clusters
    without a match are left out. If nothing matches, every cluster weighs 1 (the
    second value is then True)."""
    weights = []
    for c in candidates:
        weight = max((e.weight for e in entries if cluster_matches(e.target, c.cluster)), default=0)
        if weight > 0:
            weights.append((c.name, weight))
    if not weights:
        return [(c.name, 1) for c in candidates], True
    return weights, False


def static_weighted(candidates: Sequence[Candidate], entries: Sequence[StaticWeight], replicas: int) -> Division:
    weights, fallback = static_weights_of(candidates, entries)
    lines = []
    if fallback:
        lines.append(
            "no staticWeightList: every cluster weighs 1" if not entries
            else "no staticWeightList entry matches a selected cluster: every cluster weighs 1"
        )
    weighted = {name for name, _ in weights}
    left_out = sorted(c.name for c in candidates if c.name not in weighted)
    if left_out:
        lines.append(f"left out, no staticWeightList entry matches: {', '.join(left_out)}")
    seats = webster(replicas, weights)
    by_name = sorted(weights)
    lines.append(
        f"static weights {_pairs(by_name)} -> Webster over {replicas} replicas -> {_slashes(by_name, seats)}"
    )
    return Division(tuple((name, seats[name]) for name, _ in weights), tuple(lines))


def dynamic(candidates: Sequence[Candidate], replicas: int, aggregated: bool) -> Division:
    """Dynamic weights or Aggregated: a fresh schedule is a scale-up from zero, dealt by
    Webster with each cluster's allocatable replicas as its weight; Aggregated first
    keeps the shortest prefix (by capacity, descending) that can hold them all."""
    # A stable sort keeps Karmada's selection order among equal capacities.
    available = sorted(((c.name, c.allocatable) for c in candidates), key=lambda p: -p[1])
    total = sum(a for _, a in available)
    label = "aggregated" if aggregated else "dynamic weights by available replicas"
    lines = [f"{label}: available {_pairs(available)} (sum {total})"]
    if total < replicas:
        raise SchedulingError(
            f"failed to assign replicas: clusters available replicas {total} are not enough to schedule "
            f"{replicas} replicas ({_pairs(available)}); add capacity or clusters, or lower the replicas"
        )
    if aggregated:
        running = 0
        for i, (_, a) in enumerate(available):
            running += a
            if running >= replicas:
                available = available[: i + 1]
                break
        lines.append(f"shortest prefix holding {replicas}: {', '.join(n for n, _ in available)}")
    seats = webster(replicas, available)
    lines.append(f"Webster over {replicas} replicas -> {_slashes(available, seats)}")
    return Division(tuple((name, seats[name]) for name, _ in available), tuple(lines))


def _pairs(weights: Sequence[tuple[str, int]]) -> str:
    return " ".join(f"{name}:{w}" for name, w in weights)


def _slashes(weights: Sequence[tuple[str, int]], seats: dict[str, int]) -> str:
    return "/".join(str(seats[name]) for name, _ in weights)
