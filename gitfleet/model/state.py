"""What gitfleet remembers between renders, per resource and per cluster: the parts of
Karmada's ResourceBinding that re-scheduling reads (KARMADA-RESCHEDULING §0), kept on
the status branch under ``state/`` (format: ``docs/status-branch.md``).

A render at commit C is Karmada after it settled on C, given the state recorded by the
previous render. A resource without a :class:`ResourceState` is scheduled fresh.
Times are RFC 3339 strings in UTC (``2026-12-04T10:02:11Z``): the clock is an input of
a render (``--now``), so a render is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gitfleet.model.health import NOTHING_OBSERVED, Observed

PurgeMode = Literal["Gracefully", "Directly", "Never"]


@dataclass(frozen=True, order=True)
class PreviousTarget:
    """One cluster of the previous result (Karmada ``spec.clusters``): replicas is the
    count it holds (the full count for Duplicated, 0 for a non-workload)."""

    name: str
    replicas: int = 0


@dataclass(frozen=True)
class EvictionTask:
    """A graceful eviction task (Karmada ``spec.gracefulEvictionTasks``): ``cluster`` was
    removed from the result at ``since``; its old copy is kept (Gracefully) until the task
    ends (every new target ready, or ``grace_period_seconds`` / the fleet default)."""

    cluster: str
    replicas: int
    purge_mode: PurgeMode = "Gracefully"
    reason: str = ""
    since: str = ""  # RFC 3339, when the task was created
    grace_period_seconds: int | None = None


@dataclass(frozen=True)
class ResourceState:
    """The memory of one resource's scheduling.

    ``applied_placement`` is the canonical JSON of the placement used by the last
    *successful* schedule (Karmada's ``policy.karmada.io/applied-placement``): a
    placement that differs from it is a trigger (§1.1). ``observed_affinity`` is the
    ``clusterAffinities`` term of that success (§2.4). ``rebalancers`` are the
    WorkloadRebalancers (``name@creationTime``) that already fired for it (§7).
    ``extra`` keeps fields written by a newer gitfleet, so a rewrite loses nothing."""

    resource: str  # resource key
    clusters: tuple[PreviousTarget, ...] = ()
    applied_placement: str | None = None
    observed_affinity: str | None = None
    eviction_tasks: tuple[EvictionTask, ...] = ()
    rebalancers: tuple[str, ...] = ()
    last_scheduled: str | None = None  # RFC 3339 of the last successful schedule
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TaintSeen:
    """When a render first saw a NoExecute taint that has no ``timeAdded`` of its own
    (§5.3: the closest equivalent of Karmada's webhook stamping it)."""

    cluster: str
    key: str
    value: str
    effect: str
    first_seen: str  # RFC 3339


@dataclass(frozen=True)
class FleetState:
    """Everything recorded: per resource, taints first seen, and the format version."""

    resources: Mapping[str, ResourceState] = field(default_factory=dict)
    taints: tuple[TaintSeen, ...] = ()
    version: int = 1
    extra: Mapping[str, Any] = field(default_factory=dict)

    def of(self, resource: str) -> ResourceState | None:
        return self.resources.get(resource)


EMPTY_STATE = FleetState()


@dataclass(frozen=True)
class PlanMemory:
    """What a render schedules with: the state recorded by the previous render (empty for
    a first scheduling, ``--fresh``), the render's clock (``--now``), the status
    commit it was read from (named by ``explain``), and what the reconciler observed of
    the members (health taints, live capacity, readiness; recorded on the same commit)."""

    state: FleetState
    now: str
    recorded_in: str | None = None  # the status commit the state was read from
    observed: Observed = NOTHING_OBSERVED
