"""The per-cluster health state machine (Karmada ``controllers/cluster``): after
``failure_threshold`` consecutive failed probes a member is tainted
``cluster.karmada.io/not-ready`` (its API answered, unhealthy) or
``cluster.karmada.io/unreachable`` (no answer): ``NoSchedule``, plus ``NoExecute`` with
``timeAdded`` when eviction is on; ``success_threshold`` consecutive healthy probes
remove the taints.

The disruption guard goes beyond Karmada, as Kubernetes' node lifecycle controller does
for a zone in full disruption: when more than ``max_unhealthy_fraction`` of the members
look down at once, the likeliest failure is the reconciler's own network, so no member
carries NoExecute (the taints stay NoSchedule, nothing is evicted). When the fraction
drops, NoExecute comes back with a new ``timeAdded``: tolerations count from then, not
from before the guard.
"""

from __future__ import annotations

from collections.abc import Mapping

from gitfleet.model.cluster import NOT_READY_TAINT, UNREACHABLE_TAINT, Taint
from gitfleet.model.health import (
    READY,
    UNHEALTHY,
    UNREACHABLE,
    ClusterHealth,
    Condition,
    ConditionStatus,
    HealthEvent,
    HealthSettings,
    HealthStep,
    Outcome,
    ProbeResult,
)

HEALTH_TAINTS = (NOT_READY_TAINT, UNREACHABLE_TAINT)
NO_SCHEDULE = "NoSchedule"
NO_EXECUTE = "NoExecute"
MAX_COUNT = 2**31 - 1  # the record keeps counts as int32, like Karmada's thresholds

_TAINT_OF: dict[Outcome, str] = {UNHEALTHY: NOT_READY_TAINT, UNREACHABLE: UNREACHABLE_TAINT}
_KIND_OF = {NOT_READY_TAINT: UNHEALTHY, UNREACHABLE_TAINT: UNREACHABLE}
# Karmada's Ready condition (pkg/controllers/status/cluster_status_controller.go).
_CONDITION: dict[Outcome | None, tuple[ConditionStatus, str, str]] = {
    None: ("True", "ClusterReady", "cluster is healthy and ready to accept workloads"),
    UNHEALTHY: ("False", "ClusterNotReady", "cluster is reachable but health endpoint responded without ok"),
    UNREACHABLE: ("Unknown", "ClusterNotReachable", "cluster is not reachable"),
}


def check_settings(settings: HealthSettings) -> None:
    """ValueError for settings the machine cannot honour (the loader reports them at
    their position first)."""
    if not 1 <= settings.failure_threshold <= MAX_COUNT:
        raise ValueError(f"failureThreshold must be at least 1, not {settings.failure_threshold}")
    if not 1 <= settings.success_threshold <= MAX_COUNT:
        raise ValueError(f"successThreshold must be at least 1, not {settings.success_threshold}")
    if not 0.0 <= settings.max_unhealthy_fraction <= 1.0:
        raise ValueError(f"maxUnhealthyFraction must be between 0 and 1, not {settings.max_unhealthy_fraction}")


def down_kind(health: ClusterHealth) -> Outcome | None:
    """How a member is down according to its record (its health taint), or None."""
    for taint in health.taints:
        kind = _KIND_OF.get(taint.key)
        if kind is not None:
            return kind
    return None


def _next_kind(prev: ClusterHealth, probe: ProbeResult, failures: int, successes: int,
               settings: HealthSettings) -> Outcome | None:
    was = down_kind(prev)
    if probe.ok:
        # Still down until enough healthy probes in a row.
        return was if was is not None and successes < settings.success_threshold else None
    if was is not None or failures >= settings.failure_threshold:
        # The taint follows what the last probe saw (Karmada swaps not-ready and
        # unreachable as the condition moves between False and Unknown).
        return probe.outcome
    return None


def _taints(prev: ClusterHealth, kind: Outcome | None, no_execute: bool, now: str) -> tuple[Taint, ...]:
    if kind is None:
        return ()
    key = _TAINT_OF[kind]
    taints = [Taint(key, effect=NO_SCHEDULE)]
    if no_execute:
        kept = next((t for t in prev.taints if t.key == key and t.effect == NO_EXECUTE and t.time_added), None)
        taints.append(Taint(key, effect=NO_EXECUTE, time_added=kept.time_added if kept else now))
    return tuple(taints)


def _ready(prev: ClusterHealth, kind: Outcome | None, probe: ProbeResult, now: str) -> Condition:
    status, reason, message = _CONDITION[kind]
    if kind is not None and probe.message and not probe.ok:
        message = f"{message}: {probe.message}"
    before = prev.condition(READY)
    if before is not None and before.status == status:
        return Condition(READY, status, reason, message, before.last_transition_time)
    return Condition(READY, status, reason, message, now)


def _shown(taints: tuple[Taint, ...]) -> str:
    by_key: dict[str, list[str]] = {}
    for t in taints:
        by_key.setdefault(t.key.rsplit("/", 1)[-1], []).append(t.effect)
    return "; ".join(f"{key}:{','.join(effects)}" for key, effects in by_key.items())


def _event(name: str, prev: ClusterHealth, new: ClusterHealth, kind: Outcome | None, guard: bool,
           settings: HealthSettings) -> HealthEvent | None:
    if prev.taints == new.taints:
        return None
    if not new.taints:
        count = new.consecutive_successes
        return HealthEvent(name, "Recovered", f"{name} healthy for {count} probe{'s' * (count != 1)}:"
                                              f" taints removed ({_shown(prev.taints)})")
    count = new.consecutive_failures
    streak = f"for {count} probe{'s' * (count != 1)}" if count else "until it has been healthy"
    held = ""
    if guard and settings.no_execute_eviction:
        held = " (NoExecute held back by the disruption guard)"
    return HealthEvent(name, "Tainted", f"{name} {kind} {streak}: tainted {_shown(new.taints)}{held}")


def observe(
    previous: Mapping[str, ClusterHealth],
    probes: Mapping[str, ProbeResult],
    now: str,
    settings: HealthSettings | None = None,
) -> HealthStep:
    """One round of probes at ``now``: the new observed health of every probed member
    (``probes`` names them all; a member not probed is no longer observed), the events,
    and the guard. ``previous`` is the last recorded health (empty at first)."""
    settings = settings or HealthSettings()
    check_settings(settings)
    counts: dict[str, tuple[int, int, Outcome | None]] = {}
    for name in sorted(probes):
        prev = previous.get(name) or ClusterHealth(name)
        probe = probes[name]
        failures = 0 if probe.ok else min(prev.consecutive_failures + 1, MAX_COUNT)
        successes = min(prev.consecutive_successes + 1, MAX_COUNT) if probe.ok else 0
        counts[name] = (failures, successes, _next_kind(prev, probe, failures, successes, settings))
    unhealthy = tuple(name for name, (_, _, kind) in counts.items() if kind is not None)
    guard = bool(probes) and len(unhealthy) / len(probes) > settings.max_unhealthy_fraction
    no_execute = settings.no_execute_eviction and not guard

    observed: dict[str, ClusterHealth] = {}
    events: list[HealthEvent] = []
    was_guarded = any(h.guard_active for n, h in previous.items() if n in probes)
    if guard and not was_guarded:
        events.append(HealthEvent(None, "GuardActivated", (
            f"disruption guard active: {len(unhealthy)} of {len(probes)} members unhealthy"
            f" ({', '.join(unhealthy)}), more than {settings.max_unhealthy_fraction:.0%}: no NoExecute taint,"
            " no eviction until fewer are")))
    for name, (failures, successes, kind) in counts.items():
        prev = previous.get(name) or ClusterHealth(name)
        probe = probes[name]
        new = ClusterHealth(
            cluster=name,
            conditions=(_ready(prev, kind, probe, now),
                        *(c for c in prev.conditions if c.type != READY)),
            taints=_taints(prev, kind, no_execute, now),
            last_probe_time=now,
            last_probe=probe,
            consecutive_failures=failures,
            consecutive_successes=successes,
            guard_active=guard,
            resource_summary=prev.resource_summary,
            extra=prev.extra,
        )
        observed[name] = new
        event = _event(name, prev, new, kind, guard, settings)
        if event is not None:
            events.append(event)
    if was_guarded and not guard:
        events.append(HealthEvent(None, "GuardLifted", (
            f"disruption guard lifted: {len(unhealthy)} of {len(probes)} members unhealthy, at most"
            f" {settings.max_unhealthy_fraction:.0%}: NoExecute taints and evictions resume")))
    return HealthStep(observed, tuple(events), guard, unhealthy)
