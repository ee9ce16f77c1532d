"""The output of the core: where each resource goes, with how many replicas, and the
final manifest for every cluster. Also the traces ``gitfleet explain`` prints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitfleet.model.state import FleetState


@dataclass(frozen=True, order=True)
class ClusterTarget:
    name: str
    replicas: int | None = None  # None for objects without replicas


@dataclass(frozen=True)
class FilterVerdict:
    """How one cluster fared in one scheduling step (filter, spread, capacity)."""

    cluster: str
    step: str  # e.g. "ClusterAffinity", "TaintToleration", "APIEnablement", "SpreadConstraint", "Capacity"
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class ScheduleResult:
    """Result of scheduling one resource with one placement.

    ``targets`` is sorted by cluster name and holds only clusters that receive the
    resource. ``error`` is set (and ``targets`` empty) when scheduling failed; it is a
    Karmada-style message such as ``0/6 clusters are available: 3 cluster(s) had
    untolerated taint {env=prod:NoSchedule}, 3 cluster(s) did not match the placement
    cluster affinity constraint.``
    """

    targets: tuple[ClusterTarget, ...] = ()
    error: str | None = None
    verdicts: tuple[FilterVerdict, ...] = ()
    affinity_term: str | None = None  # clusterAffinities term that won (or was last tried)
    arithmetic: tuple[str, ...] = ()  # the replica division explained, one line each
    # Scheduling with memory (KARMADA-RESCHEDULING): None on a first scheduling, else
    # whether the previous result was recomputed, with ``reason`` saying why (not).
    rescheduled: bool | None = None
    reason: str = ""
    evictions: tuple[str, ...] = ()  # "member3 evicted: taint ... since ..., tolerated 300 s"
    warnings: tuple[str, ...] = ()  # a failed re-schedule that kept the previous placement
    # The earliest time a NoExecute toleration of a kept target runs out (RFC 3339): the
    # clock alone changes this result then.
    recheck_at: str | None = None


@dataclass(frozen=True)
class PolicyCandidate:
    """A policy that was considered for a resource and why it won or lost."""

    policy: str
    matched: bool
    priority: int
    implicit_priority: int
    verdict: str  # words: "chosen", "lost: lower explicit priority", ...


@dataclass(frozen=True)
class AppliedOverride:
    """One field an override changed on one cluster's manifest."""

    pointer: str  # JSON pointer into the manifest
    policy: str  # OverridePolicy/<ns>/<name> or ClusterOverridePolicy/<name>
    rule: int  # index in overrideRules
    overrider: str  # an API name of gitfleet.model.overriders.OVERRIDERS
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class ResourcePlacement:
    resource: str  # resource key
    policy: str | None  # policy ref, None when no policy selects it
    clusters: tuple[ClusterTarget, ...] = ()
    reason: str | None = None  # why it is unplaced (or partly failed)
    depended_by: tuple[str, ...] = ()  # workloads this one follows via propagateDeps
    # Clusters scheduled but not dispatched to (policy spec.suspension): apply leaves
    # the object there untouched, neither applied nor pruned.
    suspended: tuple[str, ...] = ()
    # Clusters the resource was evicted from whose old copy a graceful eviction task
    # keeps (purge mode Gracefully): apply leaves it untouched there, as when suspended.
    retained: tuple[str, ...] = ()
    # Karmada's conflictResolution (the template annotation
    # work.karmada.io/conflict-resolution wins over the policy): Abort | Overwrite.
    conflict_resolution: str = "Abort"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "resource": self.resource,
            "policy": self.policy,
            "clusters": [{"name": c.name, "replicas": c.replicas} for c in self.clusters],
        }
        if self.reason:
            out["reason"] = self.reason
        if self.depended_by:
            out["dependedBy"] = list(self.depended_by)
        if self.suspended:
            out["suspended"] = list(self.suspended)
        if self.retained:
            out["retained"] = list(self.retained)
        if self.conflict_resolution != "Abort":
            out["conflictResolution"] = self.conflict_resolution
        return out


@dataclass(frozen=True)
class Explanation:
    """Everything ``gitfleet explain`` needs about one resource."""

    resource: str
    candidates: tuple[PolicyCandidate, ...] = ()
    schedule: ScheduleResult | None = None
    overrides: Mapping[str, tuple[AppliedOverride, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    placements: tuple[ResourcePlacement, ...]
    # cluster name -> resource key -> manifest (plain JSON-like data)
    manifests: Mapping[str, Mapping[str, Mapping[str, Any]]]
    warnings: tuple[str, ...] = ()
    # Per-cluster failures that produced no manifest (override errors): cluster -> key -> message
    failures: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    explanations: Mapping[str, Explanation] = field(default_factory=dict)
    # The memory this render leaves for the next (status branch ``state/``); None when
    # the plan was made without memory (a pure function of the fleet, as in tests).
    state: FleetState | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``render --format json`` document (DESIGN.md §3), sorted for diffing."""
        return {
            "placements": [p.to_json() for p in self.placements],
            "clusters": {
                name: [self.manifests[name][key] for key in sorted(self.manifests[name])]
                for name in sorted(self.manifests)
            },
            "warnings": list(self.warnings),
        }
