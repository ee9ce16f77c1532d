"""ClusterAffinity filter (KARMADA-SEMANTICS §1.3 and §2.2.3): the cluster must match
one of the affinity terms in force. Matching itself lives in ``gitfleet.model.match``,
shared with override rules."""

from __future__ import annotations

from collections.abc import Hashable

from gitfleet.model.cluster import Cluster
from gitfleet.model.match import cluster_affinity_mismatch
from gitfleet.schedule.filters.base import FilterContext, PluginVerdict, failed, passed

NAME = "ClusterAffinity"
FIT_REASON = "cluster(s) did not match the placement cluster affinity constraint"


def inputs(ctx: FilterContext) -> Hashable:
    """What ``check`` reads of the context: the affinity terms in force."""
    return ctx.affinities


def check(cluster: Cluster, ctx: FilterContext) -> PluginVerdict:
    if not ctx.affinities:
        return passed(cluster.name, NAME, "no cluster affinity: every cluster matches")
    mismatches = []
    for tier, affinity in enumerate(ctx.affinities):
        why = cluster_affinity_mismatch(affinity, cluster)
        if why is None:
            where = "the affinity term" if tier == 0 else f"overflow affinity {tier}"
            return passed(cluster.name, NAME, f"matches {where}")
        mismatches.append(why)
    if len(mismatches) == 1:
        return failed(cluster.name, NAME, mismatches[0], FIT_REASON)
    parts = "; ".join(
        f"{'primary' if i == 0 else f'overflow {i}'}: {why}" for i, why in enumerate(mismatches)
    )
    return failed(cluster.name, NAME, parts, FIT_REASON)
