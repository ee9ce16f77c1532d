"""Selecting clusters among the feasible ones with spread constraints (KARMADA-SEMANTICS
§2.5, Karmada ``pkg/scheduler/core/spreadconstraint``), quirks included:

- constraints are ignored for static weights and for Divided without weightPreference;
- a region constraint picks the best combination of regions, then fills up to the
  cluster constraint's ``maxGroups``;
- a cluster constraint keeps ``min(n, maxGroups)`` clusters, so an unset ``maxGroups``
  (0) keeps none and scheduling fails (Karmada PR #4617); for Divided the picks are
  swapped for richer clusters until their capacity covers the replicas;
- zone, provider and label constraints alone fail ("just support cluster and region
  spread constraint"): zone and provider only ever act as filters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gitfleet.model.policy import Placement, SpreadConstraint
from gitfleet.schedule.candidate import Candidate, rank_key
from gitfleet.schedule.errors import SchedulingError

_WEIGHT_UNIT = 1000  # makes capacity dominate the average score in group scores


@dataclass(frozen=True)
class Selection:
    clusters: tuple[Candidate, ...]
    notes: tuple[str, ...] = ()
    reasons: Mapping[str, str] = field(default_factory=dict)  # cluster -> why (not) selected


def division_preference(placement: Placement) -> str | None:
    """The effective replicaDivisionPreference (the webhook defaults Divided to Weighted)."""
    rs = placement.replica_scheduling
    if rs.type != "Divided":
        return None
    return rs.division_preference or "Weighted"


def has_weight_preference(placement: Placement) -> bool:
    rs = placement.replica_scheduling
    return rs.has_weight_preference or bool(rs.static_weights) or rs.dynamic_weight is not None


def spread_ignored(placement: Placement) -> bool:
    """Karmada's shouldIgnoreSpreadConstraint: static weights, or Weighted without weightPreference."""
    rs = placement.replica_scheduling
    if division_preference(placement) != "Weighted":
        return False
    if not has_weight_preference(placement):
        return True
    return bool(rs.static_weights) and rs.dynamic_weight is None


def select(placement: Placement, candidates: Sequence[Candidate], replicas: int) -> Selection:
    """The clusters to divide replicas among, in Karmada's order. ``candidates`` must be
    ranked (``candidate.ranked``). Raises ``SchedulingError`` when selection fails."""
    constraints = placement.spread_constraints
    if not constraints:
        return Selection(tuple(candidates), (), {c.name: "selected: no spread constraint" for c in candidates})
    if spread_ignored(placement):
        note = "spread constraints ignored: static weights (or Weighted without weightPreference) keep every cluster"
        return Selection(tuple(candidates), (note,), {c.name: "selected: spread constraints ignored" for c in candidates})
    # Duplicated puts the full count everywhere, so capacity does not steer selection.
    need = None if placement.replica_scheduling.type == "Duplicated" else replicas
    by_field: dict[str | None, SpreadConstraint] = {}
    for constraint in constraints:
        by_field[constraint.spread_by_field] = constraint
    if "region" in by_field:
        return _by_region(by_field, candidates, placement, replicas)
    if "cluster" in by_field:
        return _by_cluster(by_field["cluster"], candidates, need)
    raise SchedulingError(
        "failed to select clusters: just support cluster and region spread constraint "
        "(zone and provider constraints only filter and spreadByLabel is not schedulable; add a "
        "spreadByField: cluster or region constraint)"
    )


def _min_groups(constraint: SpreadConstraint | None) -> int:
    # The webhook turns minGroups 0 into 1; an absent constraint counts as 0.
    if constraint is None:
        return 0
    return max(constraint.min_groups, 1)


def _max_groups(constraint: SpreadConstraint | None) -> int:
    return 0 if constraint is None else constraint.max_groups


def _by_cluster(constraint: SpreadConstraint, candidates: Sequence[Candidate], need: int | None) -> Selection:
    total = len(candidates)
    min_groups = _min_groups(constraint)
    if total < min_groups:
        raise SchedulingError(
            "failed to select clusters: the number of feasible clusters is less than spreadConstraint.MinGroups "
            f"({total} feasible, minGroups {min_groups})"
        )
    need_count = min(total, constraint.max_groups)
    notes = [f"cluster spread: keep min({total} feasible, maxGroups {constraint.max_groups}) = {need_count}"]
    if constraint.max_groups == 0:
        notes.append("maxGroups is unset (0): Karmada selects no cluster (known bug, PR #4617)")
    if need is None:
        chosen = list(candidates[:need_count])
    else:
        chosen = _swap_for_capacity(list(candidates), need_count, need, notes)
        if not chosen:
            hint = " (set maxGroups on the cluster spread constraint)" if need_count == 0 else ""
            raise SchedulingError(
                f"failed to select clusters: no enough resource when selecting {need_count} clusters: "
                f"{need} replicas needed{hint}"
            )
    names = {c.name for c in chosen}
    reasons = {
        c.name: (
            f"selected: rank {i + 1} of {total}" if c.name in names
            else f"not selected: rank {i + 1} of {total}, the cluster spread constraint keeps {need_count}"
        )
        for i, c in enumerate(candidates)
    }
    return Selection(tuple(chosen), tuple(notes), reasons)


def _swap_for_capacity(candidates: list[Candidate], count: int, need: int, notes: list[str]) -> list[Candidate]:
    """Karmada's selectClustersByAvailableResource: from the lowest-ranked pick upwards,
    swap a pick for the richest remaining cluster while the picks cannot hold ``need``."""
    chosen, rest = candidates[:count], candidates[count:]
    slot = len(chosen) - 1
    while sum(c.available for c in chosen) < need and slot >= 0:
        best, best_available = -1, chosen[slot].available
        for i, c in enumerate(rest):
            if c.available > best_available:
                best, best_available = i, c.available
        if best >= 0:
            notes.append(
                f"swap {chosen[slot].name} (available {chosen[slot].available}) for "
                f"{rest[best].name} (available {rest[best].available})"
            )
            chosen[slot], rest[best] = rest[best], chosen[slot]
        slot -= 1
    available = sum(c.available for c in chosen)
    if available < need:
        notes.append(f"selected clusters hold {available} available replicas < {need} needed")
        return []
    return chosen


@dataclass
class _Region:
    name: str
    clusters: list[Candidate]
    score: int = 0


def group_score(
    clusters: Sequence[Candidate], placement: Placement, replicas: int, min_groups: int, cluster_min_groups: int
) -> int:
    """Karmada's calcGroupScore: capacity toward the target (x1000) plus the average score."""
    if placement.replica_scheduling.type == "Duplicated":
        valid = [c for c in clusters if c.available >= replicas]
        if not valid:
            return 0
        return len(valid) * _WEIGHT_UNIT + sum(c.score for c in valid) // len(valid)
    target = math.ceil(replicas / max(min_groups, 1))
    needed_clusters = max(cluster_min_groups, min_groups)
    total_available = total_score = counted = 0
    for c in clusters:
        total_available += c.available
        total_score += c.score
        counted += 1
        if counted >= needed_clusters and total_available >= target:
            break
    if total_available < target:
        return total_available * _WEIGHT_UNIT + total_score // len(clusters)
    return target * _WEIGHT_UNIT + total_score // counted


def _by_region(
    by_field: Mapping[str | None, SpreadConstraint],
    candidates: Sequence[Candidate],
    placement: Placement,
    replicas: int,
) -> Selection:
    region_c = by_field["region"]
    cluster_c = by_field.get("cluster")
    regions: dict[str, _Region] = {}
    for c in candidates:
        if c.cluster.region:
            regions.setdefault(c.cluster.region, _Region(c.cluster.region, [])).clusters.append(c)
    for region in regions.values():
        region.score = group_score(
            region.clusters, placement, replicas, _min_groups(region_c), _min_groups(cluster_c)
        )
    notes = [
        "region scores: " + ", ".join(
            f"{r.name}={r.score} ({len(r.clusters)} clusters)" for r in sorted(regions.values(), key=lambda r: r.name)
        )
    ]
    if len(regions) < _min_groups(region_c):
        raise SchedulingError(
            "failed to select clusters: the number of feasible region is less than spreadConstraint.MinGroups "
            f"({len(regions)} regions, minGroups {_min_groups(region_c)})"
        )
    chosen_regions = select_groups(
        [(r.name, len(r.clusters), r.score) for r in regions.values()],
        _min_groups(region_c), region_c.max_groups, _min_groups(cluster_c),
    )
    if not chosen_regions:
        hint = " (is maxGroups set on the region constraint?)" if region_c.max_groups == 0 else ""
        raise SchedulingError(
            "failed to select clusters: the number of clusters is less than the cluster "
            f"spreadConstraint.MinGroups: no combination of regions satisfies every spread constraint{hint}"
        )
    notes.append("chosen regions: " + ", ".join(chosen_regions))
    selected = [regions[name].clusters[0] for name in chosen_regions]
    rest = [c for name in chosen_regions for c in regions[name].clusters[1:]]
    need_count = min(len(selected) + len(rest), _max_groups(cluster_c))
    reasons = {c.name: f"selected: best cluster of region {c.cluster.region}" for c in selected}
    extra = need_count - len(selected)
    if extra > 0:
        rest.sort(key=rank_key)
        for c in rest[:extra]:
            reasons[c.name] = f"selected: fills up to cluster maxGroups {_max_groups(cluster_c)}"
        selected.extend(rest[:extra])
    notes.append(
        f"{len(selected)} clusters: the best of each chosen region, then up to cluster maxGroups "
        f"{_max_groups(cluster_c)} by rank"
    )
    for c in candidates:
        if c.name in reasons:
            continue
        if c.cluster.region in chosen_regions:
            reasons[c.name] = f"not selected: beyond cluster maxGroups {_max_groups(cluster_c)}"
        else:
            reasons[c.name] = f"not selected: region {c.cluster.region} was not chosen"
    return Selection(tuple(selected), tuple(notes), reasons)


@dataclass
class _Path:
    id: int
    groups: list[tuple[str, int, int]]  # (name, value, weight)

    @property
    def weight(self) -> int:
        return sum(g[2] for g in self.groups)

    @property
    def value(self) -> int:
        return sum(g[1] for g in self.groups)


def select_groups(groups: list[tuple[str, int, int]], min_c: int, max_c: int, target: int) -> list[str]:
    """Karmada's selectGroups over (name, clusters, score) triples: every combination of
    [min_c, max_c] groups holding at least ``target`` clusters, found by the same DFS;
    the best is the highest summed score, then most clusters, then first found, and a
    strict prefix of the best wins over it. Returns the group names, best first."""
    if not groups:
        return []
    ordered = sorted(groups, key=lambda g: (g[1], -g[2], g[0]))
    paths: list[_Path] = []
    path: list[tuple[str, int, int]] = []
    counter = [0]

    def dfs(total: int, begin: int) -> None:
        if total >= target and min_c <= len(path) <= max_c:
            counter[0] += 1
            paths.append(_Path(counter[0], sorted(path, key=lambda g: (-g[2], g[0]))))
            return
        if len(path) >= max_c:
            return
        for i in range(begin, len(ordered)):
            total += ordered[i][1]
            path.append(ordered[i])
            dfs(total, i + 1)
            # Karmada stops backtracking when every group is needed anyway.
            if len(ordered) == min_c:
                break
            total -= ordered[i][1]
            path.pop()

    dfs(0, 0)
    if not paths:
        return []
    best = paths[0]
    if len(paths) > 1:
        paths.sort(key=lambda p: (-p.weight, -p.value, p.id))
        best = paths[0]
        for other in paths[1:]:
            if len(other.groups) < len(best.groups) and all(
                best.groups[i][0] == g[0] for i, g in enumerate(other.groups)
            ):
                best = other
    return [g[0] for g in best.groups]
