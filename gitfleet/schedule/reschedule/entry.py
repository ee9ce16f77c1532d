"""Scheduling with memory: one resource, its previous result and the clock in, the
result and the memory to record out (KARMADA-RESCHEDULING §0-§7).

    evict (NoExecute, §5) -> trigger? (§1) -> schedule with the previous result (§2-§3)
    -> success: record | FitError: clear | other failure: keep the previous result

Without a previous result this is first scheduling (``scheduler.schedule``), exactly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from gitfleet.model.cluster import Cluster
from gitfleet.model.keys import ResourceId
from gitfleet.model.plan import ClusterTarget, ScheduleResult
from gitfleet.model.policy import Placement
from gitfleet.model.rebalancer import Rebalancer
from gitfleet.model.state import EvictionTask, PreviousTarget, PurgeMode, ResourceState, TaintSeen
from gitfleet.schedule.reschedule import clock, rebalance, tasks
from gitfleet.schedule.reschedule.applied import applied_tolerations, placement_json
from gitfleet.schedule.reschedule.eviction import EvictNow, RecheckAt, eviction_due
from gitfleet.schedule.reschedule.pipeline import Memory, Outcome, run
from gitfleet.schedule.reschedule.triggers import needs_reschedule
from gitfleet.schedule.scheduler import FilterMemo, schedule
from gitfleet.schedule.workload import Workload


def reschedule(
    rid: ResourceId,
    workload: Workload | None,
    placement: Placement,
    clusters: Sequence[Cluster],
    previous: ResourceState | None,
    now: str,
    rebalancers: Sequence[Rebalancer] = (),
    taints_seen: Sequence[TaintSeen] = (),
    no_execute_eviction: bool = True,
    purge_mode: PurgeMode = "Gracefully",
    memo: FilterMemo | None = None,
    eviction_timeout: float = tasks.DEFAULT_TIMEOUT_SECONDS,
) -> tuple[ScheduleResult, ResourceState]:
    """Where ``rid`` goes given what was recorded for it, and what to record now.

    ``now`` is the render's clock (RFC 3339). ``taints_seen`` is the fleet's first-seen
    record after ``eviction.observe_taints`` for this render. ``purge_mode`` is the
    policy's ``failover.cluster.purgeMode``, else the fleet's ``failover.purgeMode``.
    ``memo`` is the plan's ``FilterMemo``, one for every resource scheduled on the same
    inventory. ``eviction_timeout``: the fleet's ``failover.gracefulEvictionTimeout`` in
    seconds, the end of a task without its own ``gracePeriodSeconds``."""
    clock.require(now)
    previous = _sane(previous)
    fired = rebalance.pending(rid, rebalancers, previous)
    if previous is None:
        result = schedule(rid, workload, placement, clusters, memo)
        return result, _first_state(rid, placement, result, now, fired)
    inventory = {c.name: c for c in clusters}
    live = tasks.live_tasks(previous.eviction_tasks, now, eviction_timeout)
    held, evicted, notes, new_tasks, rechecks = _evict(
        previous, inventory, placement, now, taints_seen, no_execute_eviction, purge_mode
    )
    recheck_at = min(rechecks) if rechecks else None
    gone = [t.name for t in held if t.name not in inventory]
    trigger = needs_reschedule(
        workload, placement, previous, held=held, evicted=[name for name, _ in evicted], gone=gone,
        rebalancers=[r.name for r in fired],
    )
    all_tasks = tuple(sorted(live + new_tasks, key=lambda t: (t.cluster, t.since)))
    evictions = tuple(f"{name} evicted: {why}" for name, why in evicted)
    if not trigger.fires:
        kept = ScheduleResult(
            targets=_targets(held, workload), rescheduled=False, reason=trigger.reason,
            affinity_term=previous.observed_affinity,
            arithmetic=(*notes, "previous result kept: " + (", ".join(f"{t.name} {t.replicas}" for t in held) or "none")),
            recheck_at=recheck_at,
        )
        return kept, replace(previous, eviction_tasks=all_tasks)
    survivors = tuple(t for t in held if t.name in inventory)
    memory = Memory(
        held={t.name: t.replicas for t in survivors},
        evicting=frozenset(t.cluster for t in all_tasks),
        fresh=bool(fired),
    )
    outcome = run(rid, workload, placement, clusters, memory, previous.observed_affinity, memo)
    base = ScheduleResult(
        verdicts=tuple(outcome.verdicts), affinity_term=outcome.affinity_term,
        arithmetic=tuple(notes + outcome.lines), rescheduled=True, reason=trigger.reason, evictions=evictions,
        recheck_at=recheck_at,
    )
    if outcome.error is None:
        return _success(base, outcome, previous, placement, now, fired, all_tasks)
    if outcome.fit_error:
        # FitError: Karmada clears the result and records the placement it tried.
        cleared = replace(base, error=outcome.error, reason=trigger.reason + "; nothing fits: the previous placement is cleared")
        return cleared, replace(
            previous, clusters=(), applied_placement=placement_json(placement), eviction_tasks=all_tasks
        )
    # Any other failure keeps the previous result (minus evictions, which stand) and
    # the old applied placement, so the next render retries. With nothing left to
    # keep, the resource is unplaced and the error says why.
    if not survivors:
        return replace(base, error=outcome.error), replace(previous, clusters=(), eviction_tasks=all_tasks)
    warning = f"rescheduling failed, the previous placement is kept: {outcome.error}"
    kept = replace(base, targets=_targets(survivors, workload), warnings=(warning,), affinity_term=previous.observed_affinity)
    return kept, replace(previous, clusters=survivors, eviction_tasks=all_tasks)


def _sane(previous: ResourceState | None) -> ResourceState | None:
    """The record comes from the status branch, which anyone with push access can
    edit: one entry per cluster (the first), no negative counts."""
    if previous is None:
        return None
    targets = previous.clusters
    if len({t.name for t in targets}) == len(targets) and all(t.replicas >= 0 for t in targets):
        return previous  # what every record gitfleet writes looks like
    seen: dict[str, PreviousTarget] = {}
    for target in previous.clusters:
        seen.setdefault(target.name, PreviousTarget(target.name, max(target.replicas, 0)))
    clusters = tuple(seen.values())
    return previous if clusters == previous.clusters else replace(previous, clusters=clusters)


def _evict(
    previous: ResourceState,
    inventory: dict[str, Cluster],
    placement: Placement,
    now: str,
    taints_seen: Sequence[TaintSeen],
    enabled: bool,
    purge_mode: PurgeMode,
) -> tuple[tuple[PreviousTarget, ...], list[tuple[str, str]], list[str], tuple[EvictionTask, ...], list[str]]:
    """The taint manager's pass (§5): targets on a cluster whose NoExecute taints are
    no longer tolerated by the *applied* placement are removed and get a task."""
    if not enabled:
        return previous.clusters, [], [], (), []
    tolerations = applied_tolerations(previous.applied_placement, placement.tolerations)
    held: list[PreviousTarget] = []
    evicted: list[tuple[str, str]] = []
    notes: list[str] = []
    new_tasks: list[EvictionTask] = []
    rechecks: list[str] = []
    for target in previous.clusters:
        cluster = inventory.get(target.name)
        if cluster is None or not cluster.taints:  # no taint, no eviction (eviction_due: Never)
            held.append(target)
            continue
        decision = eviction_due(cluster.name, cluster.taints, tolerations, now, taints_seen)
        if isinstance(decision, EvictNow):
            evicted.append((target.name, decision.reason))
            new_tasks.append(EvictionTask(target.name, target.replicas, purge_mode, decision.reason, now))
            continue
        if isinstance(decision, RecheckAt):
            notes.append(f"{target.name} stays until its NoExecute toleration runs out: {decision.reason}")
            rechecks.append(decision.at)
        held.append(target)
    return tuple(held), evicted, notes, tuple(new_tasks), rechecks


def _targets(held: Sequence[PreviousTarget], workload: Workload | None) -> tuple[ClusterTarget, ...]:
    return tuple(sorted(ClusterTarget(t.name, None if workload is None else t.replicas) for t in held))


def _recorded(targets: Sequence[ClusterTarget]) -> tuple[PreviousTarget, ...]:
    return tuple(PreviousTarget(t.name, t.replicas or 0) for t in targets)


def _success(
    base: ScheduleResult,
    outcome: Outcome,
    previous: ResourceState,
    placement: Placement,
    now: str,
    fired: Sequence[Rebalancer],
    all_tasks: tuple[EvictionTask, ...],
) -> tuple[ScheduleResult, ResourceState]:
    clusters = _recorded(outcome.targets)
    if clusters == previous.clusters:
        # The same decision: keep the recorded objects, so the memory a render leaves
        # shares them with the one it read (compared by identity, pickled once).
        clusters = previous.clusters
    applied = placement_json(placement)
    term = outcome.affinity_term if placement.cluster_affinity is None and placement.cluster_affinities else None
    # The time moves only when the decision does: a render that changes nothing
    # records nothing, so re-rendering a commit adds no status commit.
    changed = bool(fired) or (clusters, applied, term) != (
        previous.clusters, previous.applied_placement, previous.observed_affinity
    )
    state = replace(
        previous,
        clusters=clusters,
        applied_placement=applied,
        observed_affinity=term,
        eviction_tasks=all_tasks,
        rebalancers=tuple(sorted(set(previous.rebalancers) | {r.token for r in fired})),
        last_scheduled=now if changed or previous.last_scheduled is None else previous.last_scheduled,
    )
    return replace(base, targets=outcome.targets), state


def _first_state(
    rid: ResourceId, placement: Placement, result: ScheduleResult, now: str, fired: Sequence[Rebalancer]
) -> ResourceState:
    if result.error is not None:
        # Karmada records the placement it tried even when nothing fits; with no
        # previous result a capacity failure leaves nothing to keep either.
        return ResourceState(rid.key, applied_placement=placement_json(placement))
    term = result.affinity_term if placement.cluster_affinity is None and placement.cluster_affinities else None
    return ResourceState(
        rid.key,
        clusters=_recorded(result.targets),
        applied_placement=placement_json(placement),
        observed_affinity=term,
        rebalancers=tuple(sorted(r.token for r in fired)),
        last_scheduled=now,
    )
