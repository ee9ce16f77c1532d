"""The observed state laid over the inventory, so every render (CLI, PR diff,
reconciler) schedules on the same clusters: a member's observed health taints and its
live ``resourceSummary`` replace what the inventory says of the same."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from gitfleet.model.cluster import Cluster
from gitfleet.model.health import ClusterHealth


def apply_observed(clusters: Iterable[Cluster], observed: Mapping[str, ClusterHealth]) -> tuple[Cluster, ...]:
    """``clusters`` in their order, each with its observed taints added (an inventory
    taint of the same key and effect gives way: the observed one carries ``timeAdded``)
    and its observed ``resourceSummary``, when there is one, instead of the inventory's
    static one. An inventory taint the observation does not repeat stays: it is the
    user's (a hand-set ``unreachable`` to rehearse a failover). Observations of
    clusters not in the inventory are ignored."""
    out: list[Cluster] = []
    for cluster in clusters:
        health = observed.get(cluster.name)
        if health is None:
            out.append(cluster)
            continue
        seen = {(t.key, t.effect) for t in health.taints}
        taints = (*(t for t in cluster.taints if (t.key, t.effect) not in seen), *health.taints)
        summary = health.resource_summary if health.resource_summary is not None else cluster.resource_summary
        if taints == cluster.taints and summary is cluster.resource_summary:
            out.append(cluster)
        else:
            out.append(replace(cluster, taints=taints, resource_summary=summary))
    return tuple(out)
