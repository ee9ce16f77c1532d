"""TaintToleration filter (KARMADA-SEMANTICS §2.2.2, pitfall 10): every NoSchedule and
NoExecute taint of the cluster must be tolerated by the placement's clusterTolerations;
PreferNoSchedule taints are ignored. Matching is Kubernetes' ``ToleratesTaint``."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from gitfleet.model.cluster import Cluster, Taint
from gitfleet.model.policy import Toleration
from gitfleet.schedule.filters.base import FilterContext, PluginVerdict, failed, passed

NAME = "TaintToleration"
_FILTERING_EFFECTS = ("NoSchedule", "NoExecute")


def tolerates(toleration: Toleration, taint: Taint) -> bool:
    """Kubernetes' ToleratesTaint. An empty key matches any key, an empty effect any
    effect; ``Equal`` (or no operator) needs equal values, so ``{effect: NoSchedule}``
    alone tolerates only taints without a value."""
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    if toleration.operator in ("", "Equal"):
        return toleration.value == taint.value
    return toleration.operator == "Exists"


def taint_string(taint: Taint) -> str:
    """Kubernetes' Taint.ToString: ``key=value:effect`` with empty parts left out."""
    if not taint.effect:
        return taint.key if not taint.value else f"{taint.key}={taint.value}:"
    return f"{taint.key}:{taint.effect}" if not taint.value else f"{taint.key}={taint.value}:{taint.effect}"


def first_untolerated(taints: Sequence[Taint], tolerations: Sequence[Toleration]) -> Taint | None:
    for taint in taints:
        if taint.effect not in _FILTERING_EFFECTS:
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def inputs(ctx: FilterContext) -> Hashable:
    """What ``check`` reads of the context: the placement's tolerations."""
    return ctx.placement.tolerations


def check(cluster: Cluster, ctx: FilterContext) -> PluginVerdict:
    taint = first_untolerated(cluster.taints, ctx.placement.tolerations)
    if taint is None:
        filtering = [t for t in cluster.taints if t.effect in _FILTERING_EFFECTS]
        if not filtering:
            return passed(cluster.name, NAME, "no NoSchedule or NoExecute taint")
        names = ", ".join("{" + taint_string(t) + "}" for t in filtering)
        return passed(cluster.name, NAME, f"tolerates {names}")
    text = "{" + taint_string(taint) + "}"
    return failed(
        cluster.name, NAME, f"untolerated taint {text}", f"cluster(s) had untolerated taint {text}"
    )
