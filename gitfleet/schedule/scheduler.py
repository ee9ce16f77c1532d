"""Scheduling one resource with one placement: Karmada's cycle, fresh and offline
(KARMADA-SEMANTICS §2). The pipeline reads like its steps:

    filter -> score -> select (spread) -> assign replicas

with ``clusterAffinities`` terms tried in order until one succeeds, and overflow tiers
filled in order. The result is a pure function of the inputs, with every cluster's fate
recorded per step and the replica arithmetic written out for ``gitfleet explain``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from gitfleet.model.cluster import Cluster
from gitfleet.model.keys import ResourceId
from gitfleet.model.match import cluster_matches
from gitfleet.model.plan import ClusterTarget, FilterVerdict, ScheduleResult
from gitfleet.model.policy import ClusterAffinity, ClusterAffinityTerm, Placement
from gitfleet.schedule import capacity, divide, spread
from gitfleet.schedule.candidate import Candidate, ranked
from gitfleet.schedule.errors import SchedulingError
from gitfleet.schedule.filters import INPUTS, PLUGINS, FilterContext
from gitfleet.schedule.workload import Workload

SELECT_STEP = "Select"
ASSIGN_STEP = "Assign"
_UNMATCHED_TIER = 1000  # Karmada's order for a cluster no tier matches (never after filtering)


# (cluster, its verdict, Karmada's fit reason when it failed, else None)
_Known = tuple[Cluster, FilterVerdict, str | None]


class FilterMemo:
    """Filter verdicts remembered across the resources scheduled on one inventory.

    A verdict depends on the cluster and on a few parts of the placement (each plugin's
    ``INPUTS``), which many resources share: 20 resources on 10,000 clusters ran the
    plugins 760,000 times, mostly to repeat an answer, and built two objects each time.
    Verdicts are immutable, so one object serves every result that holds it. Entries hold the cluster they answer for, so its id cannot be
    reused while the memo lives; make one per plan and drop it with the plan.
    """

    def __init__(self) -> None:
        self._tables: dict[tuple[str, Hashable], dict[int, _Known]] = {}

    def table(self, plugin: str, inputs: Hashable) -> dict[int, _Known]:
        """The verdicts of ``plugin`` for these inputs, by cluster id."""
        return self._tables.setdefault((plugin, inputs), {})


@dataclass
class _Attempt:
    """The outcome of one pass through the pipeline with one set of affinity terms."""

    targets: tuple[ClusterTarget, ...] = ()
    error: str | None = None
    verdicts: list[FilterVerdict] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def schedule(
    rid: ResourceId,
    workload: Workload | None,
    placement: Placement,
    clusters: Sequence[Cluster],
    memo: FilterMemo | None = None,
) -> ScheduleResult:
    """Where ``rid`` goes and with how many replicas.

    ``workload`` is ``interpret(template)``: ``None`` for kinds without replicas. A
    failure is reported in ``error`` (targets empty), never raised: Karmada leaves such a
    resource unscheduled. Only capacity inputs that cannot be parsed raise
    (``CapacityError``). A caller that schedules many resources on the same clusters
    passes one ``memo`` to all of them.
    """
    memo = memo if memo is not None else FilterMemo()
    inventory = sorted(clusters, key=lambda c: c.name)
    if placement.cluster_affinity is None and placement.cluster_affinities:
        return _schedule_terms(rid, workload, placement, inventory, memo)
    affinities = (placement.cluster_affinity,) if placement.cluster_affinity is not None else ()
    attempt = _attempt(rid, workload, placement, inventory, affinities, None, memo)
    return ScheduleResult(
        targets=attempt.targets,
        error=attempt.error,
        verdicts=tuple(attempt.verdicts),
        arithmetic=tuple(attempt.lines),
    )


def _schedule_terms(
    rid: ResourceId, workload: Workload | None, placement: Placement, inventory: list[Cluster], memo: FilterMemo
) -> ScheduleResult:
    """Try each clusterAffinities term in order; the first success wins. When all
    fail, Karmada reports the first term's error."""
    verdicts: list[FilterVerdict] = []
    lines: list[str] = []
    first_error: str | None = None
    for term in placement.cluster_affinities:
        affinities: tuple[ClusterAffinity, ...] = (term.affinity,)
        if workload is not None and workload.is_workload:
            # Overflow tiers only widen the filter for resources that have replicas.
            affinities += term.overflow
        attempt = _attempt(rid, workload, placement, inventory, affinities, term, memo)
        prefix = f"term {term.affinity_name}: "
        verdicts.extend(replace(v, reason=prefix + v.reason) for v in attempt.verdicts)
        if attempt.error is None:
            lines.append(f"clusterAffinities term {term.affinity_name!r} scheduled")
            return ScheduleResult(
                targets=attempt.targets,
                verdicts=tuple(verdicts),
                affinity_term=term.affinity_name,
                arithmetic=tuple(lines + attempt.lines),
            )
        first_error = first_error or attempt.error
        lines.extend(attempt.lines)
        lines.append(f"clusterAffinities term {term.affinity_name!r} failed: {attempt.error}")
    return ScheduleResult(
        error=first_error,
        verdicts=tuple(verdicts),
        affinity_term=placement.cluster_affinities[-1].affinity_name,
        arithmetic=tuple(lines),
    )


def _attempt(
    rid: ResourceId,
    workload: Workload | None,
    placement: Placement,
    inventory: list[Cluster],
    affinities: tuple[ClusterAffinity, ...],
    term: ClusterAffinityTerm | None,
    memo: FilterMemo,
) -> _Attempt:
    out = _Attempt()
    feasible = _filter(rid, placement, inventory, affinities, out, memo)
    if not feasible:
        return out
    # ``by_name``: the inventory is sorted by name (and names are unique in a fleet),
    # so the candidates come in name order before they are ranked.
    by_name = _score_and_estimate(feasible, workload, term)
    is_workload = workload is not None and workload.is_workload
    replicas = workload.replicas if workload is not None else 0
    if is_workload and _uses_capacity(placement, term):
        out.lines.append(
            "available replicas: " + ", ".join(
                f"{c.name} {c.available} ({c.capacity_note})" for c in by_name
            )
        )
    select_and_assign(placement, by_name, replicas, lambda chosen: _assign(workload, placement, chosen, term, out.lines),
                      out)
    return out


class AttemptRecord(Protocol):
    """What one pass through the pipeline writes (first scheduling and re-scheduling)."""

    targets: tuple[ClusterTarget, ...]
    error: str | None
    verdicts: list[FilterVerdict]
    lines: list[str]


def select_and_assign(
    placement: Placement,
    by_name: list[Candidate],
    replicas: int,
    assign: Callable[[list[Candidate]], tuple[ClusterTarget, ...]],
    out: AttemptRecord,
) -> None:
    """The end of the pipeline, shared by first scheduling and re-scheduling: select
    (spread) among ``by_name`` (the scored candidates in name order), deal the replicas
    with ``assign``, and record each candidate's verdict; an error goes to ``out.error``."""
    try:
        selection = spread.select(placement, ranked(by_name), replicas)
    except SchedulingError as err:
        out.error = str(err)
        return
    out.lines.extend(selection.notes)
    selected_names = {c.name for c in selection.clusters}
    for c in by_name:
        out.verdicts.append(FilterVerdict(c.name, SELECT_STEP, c.name in selected_names, selection.reasons[c.name]))
    try:
        out.targets = assign(list(selection.clusters))
    except SchedulingError as err:
        out.error = str(err)
        return
    got = {t.name: t.replicas for t in out.targets}
    for c in (c for c in by_name if c.name in selected_names):
        if c.name in got:
            n = got[c.name]
            words = "receives the resource" if n is None else f"receives {n} replica{'' if n == 1 else 's'}"
            out.verdicts.append(FilterVerdict(c.name, ASSIGN_STEP, True, words))
        else:
            out.verdicts.append(FilterVerdict(c.name, ASSIGN_STEP, False, "dropped: 0 replicas"))


def _filter(
    rid: ResourceId,
    placement: Placement,
    inventory: list[Cluster],
    affinities: tuple[ClusterAffinity, ...],
    out: _Attempt,
    memo: FilterMemo,
) -> list[Cluster]:
    """Run the filter plugins; a cluster stops at its first failure, like Karmada."""
    ctx = FilterContext(rid, placement, affinities)
    plugins = [(check, memo.table(name, INPUTS[name](ctx))) for name, check in PLUGINS]
    feasible: list[Cluster] = []
    reasons: Counter[str] = Counter()
    for cluster in inventory:
        for check, known in plugins:
            seen = known.get(id(cluster))
            if seen is None:
                verdict = check(cluster, ctx)
                fit_reason = None if verdict.passed else verdict.fit_reason
                seen = known[id(cluster)] = (cluster, verdict.plain(), fit_reason)
            out.verdicts.append(seen[1])
            if seen[2] is not None:
                reasons[seen[2]] += 1
                break
        else:
            feasible.append(cluster)
    if not feasible:
        out.error = fit_error(len(inventory), reasons)
    return feasible


def fit_error(total: int, reasons: Counter[str]) -> str:
    """Karmada's FitError text: a sorted histogram of the filter reasons."""
    if total == 0 or not reasons:
        return f"0/{total} clusters are available: no cluster exists."
    parts = sorted(f"{count} {reason}" for reason, count in reasons.items())
    return f"0/{total} clusters are available: {', '.join(parts)}."


def _score_and_estimate(
    feasible: list[Cluster], workload: Workload | None, term: ClusterAffinityTerm | None
) -> list[Candidate]:
    """Score (0 for all on a fresh schedule: no previous placement to keep) and the
    available replicas. Karmada skips estimation when the binding has 0 replicas."""
    if workload is None or workload.replicas == 0:
        estimates = [capacity.non_workload_estimate()] * len(feasible)
    else:
        estimates = capacity.estimate_each(feasible, workload)
    return [
        Candidate(
            cluster=cluster,
            score=0,
            tier=_tier(cluster, term),
            available=est.replicas,
            allocatable=est.replicas,
            capacity_note=est.reason,
        )
        for cluster, est in zip(feasible, estimates, strict=True)
    ]


def _tier(cluster: Cluster, term: ClusterAffinityTerm | None) -> int:
    if term is None or cluster_matches(term.affinity, cluster):
        return 0
    for index, overflow in enumerate(term.overflow):
        if cluster_matches(overflow, cluster):
            return index + 1
    return _UNMATCHED_TIER


def _uses_capacity(placement: Placement, term: ClusterAffinityTerm | None) -> bool:
    if term is not None and term.overflow:
        return True
    if divide.strategy(placement) in (divide.DYNAMIC_WEIGHT, divide.AGGREGATED):
        return True
    return (
        placement.replica_scheduling.type == "Divided"
        and bool(placement.spread_constraints)
        and not spread.spread_ignored(placement)
    )


def _assign(
    workload: Workload | None,
    placement: Placement,
    selected: list[Candidate],
    term: ClusterAffinityTerm | None,
    lines: list[str],
) -> tuple[ClusterTarget, ...]:
    def deal(replicas: int) -> list[tuple[str, int]]:
        if term is not None and term.overflow:
            return _assign_tiers(placement, selected, replicas, lines)
        division = divide.assign(placement, selected, replicas)
        lines.extend(division.lines)
        return list(division.assignment)

    return assign_targets(workload, selected, lines, deal)


def assign_targets(
    workload: Workload | None,
    selected: list[Candidate],
    lines: list[str],
    deal: Callable[[int], list[tuple[str, int]]],
) -> tuple[ClusterTarget, ...]:
    """The targets of the ``selected`` clusters: every one for a non-workload, else the
    replicas ``deal`` divides (first scheduling or Steady/Fresh); clusters dealt 0 are dropped."""
    if not selected:
        raise SchedulingError(
            "failed to assign replicas: no clusters available to schedule (the spread constraints selected none)"
        )
    if workload is None or not workload.is_workload:
        value = None if workload is None else 0
        lines.append(
            "not a workload: every selected cluster receives it"
            + (" (no replicas)" if value is None else " with 0 replicas, even when Divided")
        )
        return tuple(sorted(ClusterTarget(c.name, value) for c in selected))
    assignment = deal(workload.replicas)
    dropped = sorted(name for name, n in assignment if n <= 0)
    if dropped:
        lines.append(f"dropped with 0 replicas: {', '.join(dropped)}")
    return tuple(sorted(ClusterTarget(name, n) for name, n in assignment if n > 0))


def _assign_tiers(
    placement: Placement, selected: list[Candidate], replicas: int, lines: list[str]
) -> list[tuple[str, int]]:
    """Overflow: each tier in order takes min(remaining, its available replicas)."""
    tiers: dict[int, list[Candidate]] = {}
    for c in selected:
        tiers.setdefault(c.tier, []).append(c)
    remaining = replicas
    assignment: list[tuple[str, int]] = []
    for tier in sorted(tiers):
        members = tiers[tier]
        share = min(remaining, sum(c.available for c in members))
        name = "primary" if tier == 0 else f"overflow {tier}"
        lines.append(f"{name} tier ({', '.join(c.name for c in members)}): takes {share} of {remaining} remaining")
        division = divide.assign(placement, members, share)
        lines.extend(division.lines)
        assignment.extend(division.assignment)
        remaining -= share
        if remaining <= 0:
            break
    if remaining > 0:
        raise SchedulingError(
            f"failed to assign replicas: clusters available replicas are not enough to schedule: "
            f"{remaining} of {replicas} replicas left after the last overflow tier"
        )
    return assignment
