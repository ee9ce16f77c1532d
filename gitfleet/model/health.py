"""What gitfleet observes of its members at run time (issue 11): the result of each
health probe and, per cluster, the health the reconciler derived from them — Karmada's
``Ready`` condition and the ``cluster.karmada.io/not-ready`` / ``unreachable`` taints —
as recorded on the status branch under ``status/clusters/`` (``docs/status-branch.md``).

Times are RFC 3339 strings in UTC, like the memory's (:mod:`gitfleet.model.state`): the
clock is an input, so the same probes at the same times give the same record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gitfleet.model.cluster import ResourceSummary, Taint

Outcome = Literal["healthy", "unhealthy", "unreachable"]
ConditionStatus = Literal["True", "False", "Unknown"]

HEALTHY: Outcome = "healthy"
UNHEALTHY: Outcome = "unhealthy"  # the API server answered, and said it is not ready
UNREACHABLE: Outcome = "unreachable"  # no answer within the timeout
OUTCOMES: tuple[Outcome, ...] = (HEALTHY, UNHEALTHY, UNREACHABLE)

READY = "Ready"


@dataclass(frozen=True)
class ProbeResult:
    """One probe of a member's ``/readyz``; ``message`` says why it failed (empty when
    healthy)."""

    outcome: Outcome
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == HEALTHY


@dataclass(frozen=True)
class Condition:
    """A Karmada Cluster condition (only ``Ready`` is derived today)."""

    type: str
    status: ConditionStatus
    reason: str = ""
    message: str = ""
    last_transition_time: str | None = None


@dataclass(frozen=True)
class HealthSettings:
    """The thresholds of the health state machine (Karmada's cluster controller
    defaults) and gitfleet's disruption guard."""

    failure_threshold: int = 3  # consecutive failed probes before the taints
    success_threshold: int = 1  # consecutive healthy probes before they go
    max_unhealthy_fraction: float = 0.55  # above it: no NoExecute (the guard)
    no_execute_eviction: bool = True  # fleet.yaml spec.failover.noExecuteEviction


@dataclass(frozen=True)
class ClusterHealth:
    """The observed health of one member. ``taints`` are only the health taints the
    reconciler set (the inventory's own taints stay in the inventory); ``extra`` keeps
    fields written by a newer gitfleet."""

    cluster: str
    conditions: tuple[Condition, ...] = ()
    taints: tuple[Taint, ...] = ()
    last_probe_time: str | None = None
    last_probe: ProbeResult | None = None
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    guard_active: bool = False
    resource_summary: ResourceSummary | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def condition(self, kind: str = READY) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)


@dataclass(frozen=True)
class HealthEvent:
    """A change worth a log line: a cluster tainted or recovered, the guard on or off.
    ``cluster`` is None for the fleet-wide guard events."""

    cluster: str | None
    reason: str  # Tainted | Recovered | GuardActivated | GuardLifted
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class HealthStep:
    """The outcome of one round of probes: the new observed health per member, what
    changed, and whether the disruption guard holds NoExecute back."""

    observed: Mapping[str, ClusterHealth]
    events: tuple[HealthEvent, ...] = ()
    guard_active: bool = False
    unhealthy: tuple[str, ...] = ()  # members past the failure threshold, sorted


@dataclass(frozen=True)
class TargetReady:
    """One resource reported ready on one member by the last apply there
    (``status/<cluster>.yaml``); ``replicas`` is the desired count it was ready at
    (None for an object without replicas)."""

    cluster: str
    resource: str
    replicas: int | None = None


@dataclass(frozen=True)
class Observed:
    """What the reconciler observed of its members, as the status branch records it: the
    health (taints, live capacity) per member and the resources reported ready per member.
    Every render lays it over the inventory, so the CLI, a PR diff and the reconciler
    schedule on the same clusters."""

    health: Mapping[str, ClusterHealth] = field(default_factory=dict)
    ready: frozenset[TargetReady] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.health) or bool(self.ready)

    def for_scheduling(self) -> tuple[object, ...]:
        """What a render reads of it (taints, live capacity, readiness): two observations
        equal here schedule alike, whatever their probe times and streaks."""
        return (tuple(sorted((n, h.taints, h.resource_summary) for n, h in self.health.items()
                             if h.taints or h.resource_summary is not None)), self.ready)


NOTHING_OBSERVED = Observed()
