"""The reconciler's watch over its Push members (issue 11): every ``healthInterval`` a
``/readyz`` probe of each, every ``estimatorInterval`` their Nodes and Pods; the health
machine (:mod:`gitfleet.health`) turns the answers into taints, and a change that a
render would see is recorded on the status branch at once (``status/clusters/``), so
the reconciler, ``gitfleet diff`` and ``gitfleet render`` all schedule on it.

An unchanged member writes nothing: probe streaks and times stay in this process, and
the record moves only when a taint, a condition, the disruption guard or a capacity
does."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gitfleet.model.cluster import ResourceSummary
from gitfleet.model.health import ClusterHealth, HealthEvent, HealthSettings
from gitfleet.model.resource import Fleet
from gitfleet.reconcile.logfmt import log as log_event
from gitfleet.service.members import Connection
from gitfleet.service.observing import (
    AgentReports,
    MemberClients,
    agent_probes,
    estimate_members,
    probe_members,
    watch_round,
)
from gitfleet.service.recall import clock

log = logging.getLogger(__name__)
DUE_SLACK = 0.25  # seconds: a quarter of the tick that checks whether a round is due


@dataclass(frozen=True)
class WatchSettings:
    """How often and how patiently the members are watched (``fleet.yaml``
    ``spec.failover``)."""

    health: HealthSettings = field(default_factory=HealthSettings)
    health_interval: float = 10.0
    estimator_interval: float = 60.0
    probe_timeout: float = 5.0


@dataclass(frozen=True)
class WatchReport:
    """One round: the events (taints set or removed, the guard), whether a render would
    see a change, and the new observed health."""

    events: tuple[HealthEvent, ...]
    changed: bool
    observed: Mapping[str, ClusterHealth]
    affects_plan: bool
    guard_active: bool
    estimated: tuple[str, ...] = ()


class MemberWatch:
    """The observed health between rounds; probing is the shell's, deciding is pure."""

    def __init__(self, connection: Connection, monotonic: Callable[[], float]) -> None:
        self.clients = MemberClients(connection)
        self._monotonic = monotonic
        self.observed: dict[str, ClusterHealth] = {}
        self.started = False  # the record was read back (after a restart, streaks resume from it)
        self.last_probe: float | None = None
        self.last_estimate: float | None = None
        self.estimated_at: dict[str, float] = {}  # member -> monotonic time of its last capacity read
        self.guard_active = False
        self.heard: dict[str, tuple[str | None, float]] = {}  # Pull member -> (report commit, when it moved)

    def resume(self, recorded: Mapping[str, ClusterHealth]) -> None:
        """Start from what the status branch recorded (a restarted reconciler keeps the
        taints and their ``timeAdded``, so a toleration is not restarted)."""
        if not self.started:
            self.observed = dict(recorded)
            self.guard_active = any(h.guard_active for h in recorded.values())
            self.started = True

    def due(self, settings: WatchSettings) -> bool:
        # A round is checked for by a once-a-second tick, and its start time is taken a
        # few ms into it: without slack, a tick that fires a little early finds 0.99 s and
        # a 1 s healthInterval probes every 2 s (bench/loop.py saw 6-8 rounds in 10 s).
        elapsed = None if self.last_probe is None else self._monotonic() - self.last_probe
        return elapsed is None or elapsed >= settings.health_interval - DUE_SLACK

    def round(self, fleet: Fleet, members: tuple[str, ...], settings: WatchSettings,
              now: str | None = None, agents: AgentReports | None = None) -> WatchReport:
        """Probe ``members`` (and read their capacity when the estimator is due); Pull
        members are judged by their agents' reports (``agents``) instead."""
        at = self._monotonic()
        clients = self.clients.get(fleet, members)
        probes = probe_members(clients, settings.probe_timeout)
        estimates: dict[str, ResourceSummary] = {}
        if self.last_estimate is None or at - self.last_estimate >= settings.estimator_interval:
            healthy = [n for n, p in probes.items() if p.ok]
            estimates = estimate_members(clients, healthy)
            self.last_estimate = at
            for name in estimates:
                self.estimated_at[name] = at
        if agents is not None:
            self.heard, pull = agent_probes(agents.tips, self.heard, at, settings.health_interval)
            probes = {**probes, **pull}
            for name, summary in agents.capacity.items():
                estimates[name] = summary
                self.estimated_at[name] = at
        previous = {n: h for n, h in self.observed.items() if n in probes}
        result = watch_round(previous, probes, clock(now), settings.health, estimates)
        self.last_probe = at
        kept = {n: h for n, h in self.observed.items() if n not in probes}
        self.observed = {**kept, **result.step.observed}
        self.guard_active = result.step.guard_active
        for event in result.step.events:
            level = logging.INFO if event.reason in ("Recovered", "GuardLifted") else logging.WARNING
            log_event(log, level, "cluster_health", cluster=event.cluster, reason=event.reason,
                      message=event.message)
        return WatchReport(result.step.events, result.changed, dict(self.observed), result.affects_plan,
                           self.guard_active, tuple(sorted(estimates)))

    def down(self) -> frozenset[str]:
        """Members the health machine tainted (not applied to until they recover)."""
        return frozenset(n for n, h in self.observed.items() if h.taints)

    def estimator_age(self) -> dict[str, float]:
        at = self._monotonic()
        return {n: at - t for n, t in self.estimated_at.items()}

    def close(self) -> None:
        self.clients.close()
