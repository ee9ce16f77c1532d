"""Karmada's policy API (policy.karmada.io/v1alpha1) as immutable dataclasses, with
webhook defaults already applied by the loader (KARMADA-SEMANTICS §1).

Optional Karmada fields that gitfleet accepts but does not act upon are kept in
``ignored_fields`` so they can be reported once as warnings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gitfleet.model.source import UNKNOWN, SourcePos

# Karmada's purge modes of a cluster (taint) eviction; Never is for application failover only.
ClusterPurgeMode = Literal["Gracefully", "Directly"]


@dataclass(frozen=True)
class LabelSelectorRequirement:
    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelSelector:
    """A Kubernetes label selector. An empty selector matches everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()


@dataclass(frozen=True)
class ResourceSelector:
    api_version: str
    kind: str
    namespace: str | None = None
    name: str | None = None
    label_selector: LabelSelector | None = None


@dataclass(frozen=True)
class FieldSelectorRequirement:
    key: str  # provider | region | zone
    operator: str  # In | NotIn
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterAffinity:
    """One cluster affinity term. All parts are ANDed; an empty term matches any cluster."""

    cluster_names: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    label_selector: LabelSelector | None = None
    field_selector: tuple[FieldSelectorRequirement, ...] | None = None


@dataclass(frozen=True)
class ClusterAffinityTerm:
    """An entry of ``clusterAffinities``: a named term with optional overflow tiers."""

    affinity_name: str
    affinity: ClusterAffinity
    overflow: tuple[ClusterAffinity, ...] = ()


@dataclass(frozen=True)
class Toleration:
    key: str = ""
    operator: str = "Equal"  # Equal | Exists ("" is read as Equal)
    value: str = ""
    effect: str = ""  # "" tolerates every effect
    toleration_seconds: int | None = None


@dataclass(frozen=True)
class SpreadConstraint:
    spread_by_field: str | None = None  # cluster | region | zone | provider
    spread_by_label: str | None = None
    max_groups: int = 0  # not defaulted by Karmada: 0 stays 0
    min_groups: int = 1


@dataclass(frozen=True)
class StaticWeight:
    target: ClusterAffinity
    weight: int


@dataclass(frozen=True)
class ReplicaScheduling:
    type: str = "Duplicated"  # Duplicated | Divided
    division_preference: str | None = None  # Aggregated | Weighted (Divided only)
    # True when spec.replicaScheduling.weightPreference is present at all.
    has_weight_preference: bool = False
    static_weights: tuple[StaticWeight, ...] = ()
    dynamic_weight: str | None = None  # AvailableReplicas


@dataclass(frozen=True)
class Placement:
    cluster_affinity: ClusterAffinity | None = None
    cluster_affinities: tuple[ClusterAffinityTerm, ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    spread_constraints: tuple[SpreadConstraint, ...] = ()
    replica_scheduling: ReplicaScheduling = field(default_factory=ReplicaScheduling)


@dataclass(frozen=True)
class PropagationPolicy:
    """A PropagationPolicy (``namespace`` set) or ClusterPropagationPolicy (``None``)."""

    kind: str  # PropagationPolicy | ClusterPropagationPolicy
    name: str
    namespace: str | None
    selectors: tuple[ResourceSelector, ...]
    placement: Placement = field(default_factory=Placement)
    priority: int = 0
    propagate_deps: bool = False
    conflict_resolution: str = "Abort"  # Abort | Overwrite
    scheduler_name: str = "default-scheduler"
    suspend_dispatching: bool = False
    suspend_on_clusters: tuple[str, ...] = ()
    ignored_fields: tuple[str, ...] = ()
    # spec.failover.cluster.purgeMode; None: unset, the fleet's failover.purgeMode applies.
    purge_mode: ClusterPurgeMode | None = None
    # The tolerations of placement.tolerations that are the webhook's defaults (fleet.yaml
    # spec.failover.default*TolerationSeconds), not written in the policy: for explain.
    default_tolerations: tuple[Toleration, ...] = ()
    pos: SourcePos = UNKNOWN

    @property
    def ref(self) -> str:
        """``PropagationPolicy/<ns>/<name>`` or ``ClusterPropagationPolicy/<name>``."""
        if self.namespace is None:
            return f"{self.kind}/{self.name}"
        return f"{self.kind}/{self.namespace}/{self.name}"


@dataclass(frozen=True)
class PatchOp:
    """One JSON-patch operation (plaintext overrider, fieldOverrider sub-patch)."""

    op: str  # add | remove | replace
    path: str
    value: Any = None
    has_value: bool = False


@dataclass(frozen=True)
class ImageOverrider:
    component: str  # Registry | Repository | Tag
    operator: str  # add | remove | replace
    value: str = ""
    predicate_path: str | None = None


@dataclass(frozen=True)
class CommandArgsOverrider:
    container_name: str
    operator: str  # add | remove
    value: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetadataOverrider:
    """labelsOverrider / annotationsOverrider entry."""

    operator: str  # add | remove | replace
    value: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldOverrider:
    field_path: str
    json_ops: tuple[PatchOp, ...] | None = None
    yaml_ops: tuple[PatchOp, ...] | None = None


@dataclass(frozen=True)
class Overriders:
    """One rule's overriders, one field per row of
    :data:`gitfleet.model.overriders.OVERRIDERS`, in that (Karmada's) order."""

    image: tuple[ImageOverrider, ...] = ()
    command: tuple[CommandArgsOverrider, ...] = ()
    args: tuple[CommandArgsOverrider, ...] = ()
    labels: tuple[MetadataOverrider, ...] = ()
    annotations: tuple[MetadataOverrider, ...] = ()
    field: tuple[FieldOverrider, ...] = ()
    plaintext: tuple[PatchOp, ...] = ()


@dataclass(frozen=True)
class OverrideRule:
    overriders: Overriders
    target_cluster: ClusterAffinity | None = None
    index: int = 0  # position in overrideRules (0 for the deprecated single-rule form)


@dataclass(frozen=True)
class OverridePolicy:
    """An OverridePolicy (``namespace`` set) or ClusterOverridePolicy (``None``)."""

    kind: str  # OverridePolicy | ClusterOverridePolicy
    name: str
    namespace: str | None
    selectors: tuple[ResourceSelector, ...] = ()  # empty: matches every resource
    rules: tuple[OverrideRule, ...] = ()
    pos: SourcePos = UNKNOWN

    @property
    def ref(self) -> str:
        if self.namespace is None:
            return f"{self.kind}/{self.name}"
        return f"{self.kind}/{self.namespace}/{self.name}"


