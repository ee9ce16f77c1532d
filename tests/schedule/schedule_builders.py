"""Small builders for the scheduling tests: clusters, placements and workloads with
only the fields a case cares about."""

from __future__ import annotations

from typing import Any

from gitfleet.model.cluster import Cluster, ResourceSummary, Taint
from gitfleet.model.keys import ResourceId
from gitfleet.model.policy import (
    ClusterAffinity,
    ClusterAffinityTerm,
    LabelSelector,
    Placement,
    ReplicaScheduling,
    SpreadConstraint,
    StaticWeight,
    Toleration,
)
from gitfleet.schedule.candidate import Candidate

DEPLOY = ResourceId("apps/v1", "Deployment", "shop", "web")
CONFIGMAP = ResourceId("v1", "ConfigMap", "shop", "settings")


def summary(pods: Any = 110, **resources: Any) -> ResourceSummary:
    allocatable = {"pods": pods, **{k.replace("_", "-"): v for k, v in resources.items()}}
    return ResourceSummary(allocatable=allocatable)


def cluster(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    region: str | None = None,
    zones: tuple[str, ...] = (),
    provider: str | None = None,
    taints: tuple[Taint, ...] = (),
    cpu: Any = None,
    rs: ResourceSummary | None = None,
    apis: frozenset[tuple[str, str]] | None = None,
) -> Cluster:
    if rs is None and cpu is not None:
        rs = summary(cpu=cpu)
    return Cluster(
        name=name, labels=labels or {}, region=region, zones=zones, provider=provider,
        taints=taints, resource_summary=rs, api_enablements=apis,
    )


def names(*cluster_names: str) -> ClusterAffinity:
    return ClusterAffinity(cluster_names=cluster_names)


def labelled(**match: str) -> ClusterAffinity:
    return ClusterAffinity(label_selector=LabelSelector(match_labels=tuple(sorted(match.items()))))


def static(*weights: tuple[ClusterAffinity, int]) -> ReplicaScheduling:
    return ReplicaScheduling(
        type="Divided", division_preference="Weighted", has_weight_preference=True,
        static_weights=tuple(StaticWeight(a, w) for a, w in weights),
    )


DUPLICATED = ReplicaScheduling()
WEIGHTED_NO_PREFERENCE = ReplicaScheduling(type="Divided", division_preference="Weighted")
DYNAMIC = ReplicaScheduling(
    type="Divided", division_preference="Weighted", has_weight_preference=True, dynamic_weight="AvailableReplicas"
)
AGGREGATED = ReplicaScheduling(type="Divided", division_preference="Aggregated")


def placement(
    rs: ReplicaScheduling = DUPLICATED,
    *,
    affinity: ClusterAffinity | None = None,
    terms: tuple[ClusterAffinityTerm, ...] = (),
    tolerations: tuple[Toleration, ...] = (),
    spread: tuple[SpreadConstraint, ...] = (),
) -> Placement:
    return Placement(
        cluster_affinity=affinity, cluster_affinities=terms, tolerations=tolerations,
        spread_constraints=spread, replica_scheduling=rs,
    )


def cand(name: str, available: int = 0, *, score: int = 0, tier: int = 0, region: str | None = None) -> Candidate:
    return Candidate(cluster(name, region=region), score=score, tier=tier, available=available, allocatable=available)


def deployment(replicas: int | None = 1, cpu: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "nginx"}
    if cpu is not None:
        container["resources"] = {"requests": {"cpu": cpu}}
    spec: dict[str, Any] = {"template": {"spec": {"containers": [container]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
            "spec": spec}
