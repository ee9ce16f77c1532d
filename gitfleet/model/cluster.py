"""A member cluster of the fleet, as the inventory (Karmada's ``Cluster`` kind) and the
run-time health checks describe it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gitfleet.model.source import UNKNOWN, SourcePos

NOT_READY_TAINT = "cluster.karmada.io/not-ready"
UNREACHABLE_TAINT = "cluster.karmada.io/unreachable"


@dataclass(frozen=True)
class Taint:
    key: str
    value: str = ""
    effect: str = "NoSchedule"
    time_added: str | None = None


@dataclass(frozen=True)
class NodeCapacity:
    """``count`` identical Nodes of a member as the live estimator saw them (gitfleet's
    record, not Karmada's API): ``free`` is allocatable minus the requests of the pods
    bound there, with ``pods`` the free pod slots; ``taints`` are the NoSchedule and
    NoExecute ones, which decide per workload whether the nodes count at all."""

    count: int
    free: Mapping[str, Any] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()


@dataclass(frozen=True)
class ResourceSummary:
    """``status.resourceSummary``: quantities as written (strings or numbers).

    ``nodes`` is set only when observed live (``gitfleet.schedule.estimator``): the
    estimate then goes node by node, as Karmada's scheduler-estimator does, instead of
    dividing the cluster totals (its general estimator)."""

    allocatable: Mapping[str, Any] = field(default_factory=dict)
    allocated: Mapping[str, Any] = field(default_factory=dict)
    allocating: Mapping[str, Any] = field(default_factory=dict)
    nodes: tuple[NodeCapacity, ...] | None = None


@dataclass(frozen=True)
class Cluster:
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    provider: str | None = None
    region: str | None = None
    zones: tuple[str, ...] = ()
    taints: tuple[Taint, ...] = ()
    sync_mode: str = "Push"
    # None: the inventory does not list APIs, so every API counts as enabled
    # (KARMADA-SEMANTICS §0). Otherwise the set of (groupVersion, kind).
    api_enablements: frozenset[tuple[str, str]] | None = None
    resource_summary: ResourceSummary | None = None
    api_endpoint: str | None = None
    secret_ref: Mapping[str, str] | None = None
    obj: Mapping[str, Any] = field(default_factory=dict)
    pos: SourcePos = UNKNOWN

    def with_taints(self, taints: tuple[Taint, ...]) -> Cluster:
        return replace(self, taints=taints)

    def field_value(self, key: str) -> str | None:
        """The value a fieldSelector / spreadByField key reads (``zone`` is the first zone)."""
        if key == "provider":
            return self.provider
        if key == "region":
            return self.region
        if key == "zone":
            return self.zones[0] if self.zones else None
        return None
