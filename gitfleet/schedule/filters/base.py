"""What every filter plugin receives and returns.

A plugin answers one question about one cluster. Its verdict is a ``FilterVerdict``
(the model's trace type) that also carries ``fit_reason``: Karmada's short reason
(``cluster(s) had untolerated taint {...}``) which the scheduler counts across clusters
to build the ``0/N clusters are available: ...`` message."""

from __future__ import annotations

from dataclasses import dataclass

from gitfleet.model.keys import ResourceId
from gitfleet.model.plan import FilterVerdict
from gitfleet.model.policy import ClusterAffinity, Placement


@dataclass(frozen=True)
class FilterContext:
    """One scheduling attempt: the resource, its placement, and the affinity terms in
    force (the single clusterAffinity, or the clusterAffinities term being tried plus,
    for workloads, its overflow tiers). No terms means any cluster matches."""

    rid: ResourceId
    placement: Placement
    affinities: tuple[ClusterAffinity, ...] = ()


@dataclass(frozen=True)
class PluginVerdict(FilterVerdict):
    fit_reason: str = ""  # Karmada's FitError reason; empty when the cluster passed

    def plain(self) -> FilterVerdict:
        """The verdict without the plugin-only field, for ``ScheduleResult``."""
        return FilterVerdict(self.cluster, self.step, self.passed, self.reason)


def passed(cluster: str, step: str, reason: str) -> PluginVerdict:
    return PluginVerdict(cluster, step, True, reason)


def failed(cluster: str, step: str, reason: str, fit_reason: str) -> PluginVerdict:
    return PluginVerdict(cluster, step, False, reason, fit_reason)
