"""APIEnablement filter (KARMADA-SEMANTICS §2.2.1 and §0): a cluster must serve the
resource's groupVersion and kind. An inventory that does not list the cluster's APIs
is taken to support every API, since offline inventories usually have no status."""

from __future__ import annotations

from collections.abc import Hashable

from gitfleet.model.cluster import Cluster
from gitfleet.schedule.filters.base import FilterContext, PluginVerdict, failed, passed

NAME = "APIEnablement"
FIT_REASON = "cluster(s) did not have the API resource"


def inputs(ctx: FilterContext) -> Hashable:
    """What ``check`` reads of the context: the resource's type."""
    return ctx.rid.api_version, ctx.rid.kind


def check(cluster: Cluster, ctx: FilterContext) -> PluginVerdict:
    gvk = f"{ctx.rid.api_version} {ctx.rid.kind}"
    if cluster.api_enablements is None:
        return passed(cluster.name, NAME, "the inventory does not list API enablements: every API is assumed")
    if (ctx.rid.api_version, ctx.rid.kind) in cluster.api_enablements:
        return passed(cluster.name, NAME, f"serves {gvk}")
    return failed(cluster.name, NAME, f"does not serve {gvk} (status.apiEnablements)", FIT_REASON)
