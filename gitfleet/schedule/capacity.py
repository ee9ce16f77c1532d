"""How many more replicas of a workload a cluster can take, as Karmada's general
estimator computes it from ``status.resourceSummary`` (KARMADA-SEMANTICS §2.4).

The figure only matters for dynamic weights, Aggregated division, Divided spreading
and overflow tiers; Duplicated and static weights never look at capacity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from gitfleet.model.cluster import Cluster
from gitfleet.model.quantity import parse_quantity
from gitfleet.schedule.errors import CapacityError
from gitfleet.schedule.units import format_amount, milli_value, value
from gitfleet.schedule.workload import Workload

# Karmada gives non-workloads MaxInt32 "available replicas": capacity is irrelevant.
MAX_INT32 = 2**31 - 1


@dataclass(frozen=True)
class Estimate:
    replicas: int
    reason: str  # how the figure came about, in words


def non_workload_estimate() -> Estimate:
    return Estimate(MAX_INT32, "not a workload: capacity is not checked")


def estimate(cluster: Cluster, workload: Workload) -> Estimate:
    """Replicas of ``workload`` that still fit on ``cluster`` (general estimator)."""
    summary = cluster.resource_summary
    if summary is None:
        return Estimate(0, "no status.resourceSummary: 0 available")
    allowed_pods = (
        _amount(cluster, summary.allocatable, "pods", value)
        - _amount(cluster, summary.allocated, "pods", value)
        - _amount(cluster, summary.allocating, "pods", value)
    )
    if allowed_pods <= 0:
        return Estimate(0, f"{max(allowed_pods, 0)} more pods allowed")
    best = min(allowed_pods, MAX_INT32)
    parts = [f"pods {allowed_pods}"]
    for name, request in sorted(workload.requests.items()):
        if value(request) <= 0:
            continue
        if name not in summary.allocatable:
            return Estimate(0, f"{name}: the cluster has no allocatable {name}")
        left = (
            _exact(cluster, summary.allocatable, name)
            - _exact(cluster, summary.allocated, name)
            - _exact(cluster, summary.allocating, name)
        )
        if value(left) <= 0:
            return Estimate(0, f"{name}: nothing left ({format_amount(name, left)} available)")
        if name == "cpu":
            bound = milli_value(left) // milli_value(request)
        else:
            bound = value(left) // value(request)
        parts.append(f"{name} {format_amount(name, left)}/{format_amount(name, request)}={bound}")
        best = min(best, bound)
    return Estimate(best, ", ".join(parts))


def _exact(cluster: Cluster, items: Mapping[str, Any], name: str) -> Fraction:
    raw = items.get(name)
    if raw is None:
        return Fraction(0)
    try:
        return parse_quantity(raw)
    except ValueError as err:
        raise CapacityError(f"cluster {cluster.name}: status.resourceSummary {name}: {err}") from None


def _amount(cluster: Cluster, items: Mapping[str, Any], name: str, rounding: Any) -> int:
    return int(rounding(_exact(cluster, items, name)))
