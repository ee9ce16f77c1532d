"""Filter plugins, one module each, run in this fixed order (Karmada runs its in-tree
filters in map order; a fixed order keeps gitfleet's output deterministic). A cluster
must pass them all; the first failure is the reason it is filtered."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping

from gitfleet.model.cluster import Cluster
from gitfleet.schedule.filters import api_enablement, cluster_affinity, spread_constraint, taint_toleration
from gitfleet.schedule.filters.base import FilterContext, PluginVerdict

Plugin = Callable[[Cluster, FilterContext], PluginVerdict]

PLUGINS: tuple[tuple[str, Plugin], ...] = (
    (api_enablement.NAME, api_enablement.check),
    (taint_toleration.NAME, taint_toleration.check),
    (cluster_affinity.NAME, cluster_affinity.check),
    (spread_constraint.NAME, spread_constraint.check),
)

# What each plugin reads of the context besides the cluster (a hashable value): the
# scheduler remembers a verdict per (plugin, these inputs, cluster) across the
# resources of a plan (``scheduler.FilterMemo``). A plugin must read nothing else.
INPUTS: Mapping[str, Callable[[FilterContext], Hashable]] = {
    api_enablement.NAME: api_enablement.inputs,
    taint_toleration.NAME: taint_toleration.inputs,
    cluster_affinity.NAME: cluster_affinity.inputs,
    spread_constraint.NAME: spread_constraint.inputs,
}

__all__ = ["INPUTS", "PLUGINS", "FilterContext", "Plugin", "PluginVerdict"]
