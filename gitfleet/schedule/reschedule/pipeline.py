"""One scheduling pass with a previous result (KARMADA-RESCHEDULING §2): the first
scheduling pipeline (``scheduler``) with what a previous result changes.

* Filters (§2.1): a current target always passes TaintToleration and APIEnablement
  (only NoExecute eviction removes it); a cluster with a live eviction task fails
  ClusterEviction.
* Scores and order (§2.2): ClusterLocality gives current targets 100; available
  replicas = estimate + held, allocatable = the estimate alone. Spread selection
  (§2.3) then keeps current targets first and swaps by the held-inclusive capacity.
* clusterAffinities (§2.4): from the observed term, forward only; term 0 on a rebalance.
* Division (§3): ``steady``.

A pass reports whether it failed with a FitError (nothing passed the filters): that
clears the previous result, any other failure keeps it (§1)."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from gitfleet.model.cluster import Cluster
from gitfleet.model.keys import ResourceId
from gitfleet.model.match import cluster_matches
from gitfleet.model.plan import ClusterTarget, FilterVerdict
from gitfleet.model.policy import ClusterAffinity, ClusterAffinityTerm, Placement
from gitfleet.schedule import capacity
from gitfleet.schedule.candidate import Candidate
from gitfleet.schedule.errors import SchedulingError
from gitfleet.schedule.filters import INPUTS, PLUGINS, FilterContext, api_enablement, taint_toleration
from gitfleet.schedule.reschedule import steady, tasks
from gitfleet.schedule.scheduler import FilterMemo, assign_targets, fit_error, select_and_assign
from gitfleet.schedule.workload import Workload

LOCALITY_SCORE = 100  # ClusterLocality for a current target
_EXEMPT = (api_enablement.NAME, taint_toleration.NAME)
_UNMATCHED_TIER = 1000


@dataclass(frozen=True)
class Memory:
    """What a pass knows of the previous result: replicas held per current target
    (0 for non-workloads), clusters under an eviction task, and the mode."""

    held: Mapping[str, int]
    evicting: frozenset[str] = frozenset()
    fresh: bool = False


@dataclass
class Outcome:
    targets: tuple[ClusterTarget, ...] = ()
    error: str | None = None
    fit_error: bool = False
    affinity_term: str | None = None
    verdicts: list[FilterVerdict] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def run(
    rid: ResourceId, workload: Workload | None, placement: Placement, inventory: Sequence[Cluster], memory: Memory,
    observed: str | None,
    memo: FilterMemo | None = None,
) -> Outcome:
    """Schedule once, from the observed ``clusterAffinities`` term on (§2.4). ``memo``
    is the plan's filter memo (``scheduler.FilterMemo``), shared with first scheduling."""
    clusters = sorted(inventory, key=lambda c: c.name)
    memo = memo if memo is not None else FilterMemo()
    if placement.cluster_affinity is None and placement.cluster_affinities:
        return _terms(rid, workload, placement, clusters, memory, observed, memo)
    affinities = (placement.cluster_affinity,) if placement.cluster_affinity is not None else ()
    return _attempt(rid, workload, placement, clusters, affinities, None, memory, memo)


def start_term(placement: Placement, observed: str | None, fresh: bool) -> int:
    """The term to start at: the observed one; term 0 when there is none, it no
    longer exists, or a rebalance restarts the order."""
    if fresh or observed is None:
        return 0
    names = [t.affinity_name for t in placement.cluster_affinities]
    return names.index(observed) if observed in names else 0


def _terms(
    rid: ResourceId, workload: Workload | None, placement: Placement, clusters: list[Cluster], memory: Memory,
    observed: str | None,
    memo: FilterMemo,
) -> Outcome:
    start = start_term(placement, observed, memory.fresh)
    terms = placement.cluster_affinities[start:]
    out = Outcome()
    if start > 0:
        out.lines.append(
            f"clusterAffinities: starting at the observed term {terms[0].affinity_name!r} "
            f"(earlier terms are not tried again without a rebalance)"
        )
    first: Outcome | None = None
    for term in terms:
        affinities: tuple[ClusterAffinity, ...] = (term.affinity,)
        if workload is not None and workload.is_workload:
            affinities += term.overflow
        attempt = _attempt(rid, workload, placement, clusters, affinities, term, memory, memo)
        prefix = f"term {term.affinity_name}: "
        out.verdicts.extend(replace(v, reason=prefix + v.reason) for v in attempt.verdicts)
        if attempt.error is None:
            out.lines.append(f"clusterAffinities term {term.affinity_name!r} scheduled")
            out.lines.extend(attempt.lines)
            out.targets, out.affinity_term = attempt.targets, term.affinity_name
            return out
        first = first or attempt
        out.lines.extend(attempt.lines)
        out.lines.append(f"clusterAffinities term {term.affinity_name!r} failed: {attempt.error}")
    assert first is not None  # a placement with clusterAffinities has a term
    # The first term tried decides whether the failure clears the previous result.
    out.error, out.fit_error = first.error, first.fit_error
    out.affinity_term = terms[-1].affinity_name
    return out


def _attempt(
    rid: ResourceId,
    workload: Workload | None,
    placement: Placement,
    clusters: list[Cluster],
    affinities: tuple[ClusterAffinity, ...],
    term: ClusterAffinityTerm | None,
    memory: Memory,
    memo: FilterMemo,
) -> Outcome:
    out = Outcome()
    feasible = _filter(rid, placement, clusters, affinities, memory, out, memo)
    if not feasible:
        return out
    # ``by_name``: the clusters are sorted by name (``run``), so are the candidates.
    by_name = _candidates(feasible, workload, term, memory)
    replicas = workload.replicas if workload is not None else 0
    is_workload = workload is not None and workload.is_workload
    if is_workload and any(c.available != c.allocatable for c in by_name):
        out.lines.append(
            "available replicas (estimate + held): " + ", ".join(
                f"{c.name} {c.allocatable}+{c.available - c.allocatable}" for c in by_name
            )
        )
    select_and_assign(placement, by_name, replicas,
                      lambda chosen: _assign(workload, placement, chosen, term, memory, out.lines), out)
    return out


def _filter(
    rid: ResourceId,
    placement: Placement,
    clusters: list[Cluster],
    affinities: tuple[ClusterAffinity, ...],
    memory: Memory,
    out: Outcome,
    memo: FilterMemo,
) -> list[Cluster]:
    ctx = FilterContext(rid, placement, affinities)
    plugins = [(name, name in _EXEMPT, check, memo.table(name, INPUTS[name](ctx))) for name, check in PLUGINS]
    feasible: list[Cluster] = []
    reasons: Counter[str] = Counter()
    for cluster in clusters:
        if cluster.name in memory.evicting:
            out.verdicts.append(FilterVerdict(cluster.name, tasks.STEP, False, "evicted: a graceful eviction task lives"))
            reasons[tasks.FIT_REASON] += 1
            continue
        current = cluster.name in memory.held
        for name, exempt, check, known in plugins:
            if current and exempt:
                out.verdicts.append(_exempt_verdict(cluster.name, name))
                continue
            seen = known.get(id(cluster))
            if seen is None:
                verdict = check(cluster, ctx)
                seen = known[id(cluster)] = (cluster, verdict.plain(), None if verdict.passed else verdict.fit_reason)
            out.verdicts.append(seen[1])
            if seen[2] is not None:
                reasons[seen[2]] += 1
                break
        else:
            feasible.append(cluster)
    if not feasible:
        out.error, out.fit_error = fit_error(len(clusters), reasons), True
    return feasible


@functools.lru_cache(maxsize=65_536)
def _exempt_verdict(cluster: str, plugin: str) -> FilterVerdict:
    """A current target's pass of an exempt filter: one (immutable) verdict per cluster
    and plugin, not one per resource (a Duplicated resource holds every cluster)."""
    return FilterVerdict(cluster, plugin, True, "current target: passes (only NoExecute eviction removes it)")


def _candidates(
    feasible: list[Cluster], workload: Workload | None, term: ClusterAffinityTerm | None, memory: Memory
) -> list[Candidate]:
    if workload is None or workload.replicas == 0:
        estimates = [capacity.non_workload_estimate()] * len(feasible)
    else:
        estimates = capacity.estimate_each(feasible, workload)
    # ClusterLocality scores only when the previous result is not empty.
    scoring = bool(memory.held)
    out = []
    for cluster, est in zip(feasible, estimates, strict=True):
        held = memory.held.get(cluster.name)
        out.append(Candidate(
            cluster=cluster,
            score=LOCALITY_SCORE if scoring and held is not None else 0,
            tier=_tier(cluster, term),
            available=est.replicas + (held or 0),
            allocatable=est.replicas,
            capacity_note=est.reason,
        ))
    return out


def _tier(cluster: Cluster, term: ClusterAffinityTerm | None) -> int:
    if term is None or cluster_matches(term.affinity, cluster):
        return 0
    for index, overflow in enumerate(term.overflow):
        if cluster_matches(overflow, cluster):
            return index + 1
    return _UNMATCHED_TIER


def _assign(
    workload: Workload | None,
    placement: Placement,
    selected: list[Candidate],
    term: ClusterAffinityTerm | None,
    memory: Memory,
    lines: list[str],
) -> tuple[ClusterTarget, ...]:
    def deal(replicas: int) -> list[tuple[str, int]]:
        if term is not None and term.overflow:
            return _tiers(placement, selected, replicas, memory, lines)
        division = steady.assign(placement, selected, replicas, memory.held, fresh=memory.fresh)
        lines.extend(division.lines)
        return list(division.assignment)

    return assign_targets(workload, selected, lines, deal)


def _tiers(
    placement: Placement, selected: list[Candidate], replicas: int, memory: Memory, lines: list[str]
) -> list[tuple[str, int]]:
    """Overflow (§3.7): each tier in order takes min(remaining, its available
    replicas), divided with the same rules restricted to the tier."""
    by_tier: dict[int, list[Candidate]] = {}
    for c in selected:
        by_tier.setdefault(c.tier, []).append(c)
    remaining = replicas
    assignment: list[tuple[str, int]] = []
    for tier in sorted(by_tier):
        members = by_tier[tier]
        share = min(remaining, sum(c.available for c in members))
        name = "primary" if tier == 0 else f"overflow {tier}"
        lines.append(f"{name} tier ({', '.join(c.name for c in members)}): takes {share} of {remaining} remaining")
        held = {c.name: memory.held[c.name] for c in members if c.name in memory.held}
        division = steady.assign(placement, members, share, held, fresh=memory.fresh)
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
