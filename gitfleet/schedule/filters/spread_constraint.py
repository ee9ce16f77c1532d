"""SpreadConstraint filter (KARMADA-SEMANTICS §2.2.4): spreading by provider, region or
zone needs the cluster to state that field. This is all zone and provider constraints
ever do, since selection only implements cluster and region spreading (§2.5)."""

from __future__ import annotations

from collections.abc import Hashable

from gitfleet.model.cluster import Cluster
from gitfleet.schedule.filters.base import FilterContext, PluginVerdict, failed, passed

NAME = "SpreadConstraint"


def inputs(ctx: FilterContext) -> Hashable:
    """What ``check`` reads of the context: the placement's spread constraints."""
    return ctx.placement.spread_constraints


def check(cluster: Cluster, ctx: FilterContext) -> PluginVerdict:
    for constraint in ctx.placement.spread_constraints:
        field = constraint.spread_by_field
        if field == "provider" and not cluster.provider:
            return _missing(cluster, "provider", "spec.provider")
        if field == "region" and not cluster.region:
            return _missing(cluster, "region", "spec.region")
        if field == "zone" and not cluster.zones:
            return _missing(cluster, "zones", "spec.zones")
    fields = [c.spread_by_field for c in ctx.placement.spread_constraints
              if c.spread_by_field in ("provider", "region", "zone")]
    if not fields:
        return passed(cluster.name, NAME, "no provider, region or zone spread constraint")
    return passed(cluster.name, NAME, "has " + ", ".join(sorted(set(fields))))


def _missing(cluster: Cluster, prop: str, field: str) -> PluginVerdict:
    return failed(
        cluster.name, NAME, f"spreads by {prop.rstrip('s')} but {field} is not set",
        f"cluster(s) did not have {prop} property",
    )
