"""How many more replicas of a workload a cluster can take, as Karmada's general
estimator computes it from ``status.resourceSummary`` (KARMADA-SEMANTICS §2.4).

The figure only matters for dynamic weights, Aggregated division, Divided spreading
and overflow tiers; Duplicated and static weights never look at capacity.

When the summary was observed live (``nodes`` recorded, :mod:`gitfleet.schedule.estimator`)
the estimate goes Node by Node and honours the workload's tolerations, as Karmada's
scheduler-estimator does; the inventory's static summary is the fallback.

The estimate runs once per (workload, feasible cluster), so the per-cluster
arithmetic (parse three quantities, subtract, round) is memoised on the quantities
as written: the same summary gives the same headroom for every template of a render.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, TypeVar

from gitfleet.model.cluster import Cluster, NodeCapacity, ResourceSummary
from gitfleet.model.policy import Toleration
from gitfleet.model.quantity import parse_quantity
from gitfleet.schedule.errors import CapacityError
from gitfleet.schedule.estimator import available_replicas
from gitfleet.schedule.units import format_amount, milli_value, value
from gitfleet.schedule.workload import Workload

# Karmada gives non-workloads MaxInt32 "available replicas": capacity is irrelevant.
MAX_INT32 = 2**31 - 1

_CACHE_SIZE = 8192

_T = TypeVar("_T")


@dataclass(frozen=True)
class Estimate:
    replicas: int
    reason: str  # how the figure came about, in words


@dataclass(frozen=True)
class Amount:
    """A quantity in the integer views Karmada divides with, and as explanations show it."""

    value: int
    milli: int
    text: str


def non_workload_estimate() -> Estimate:
    return Estimate(MAX_INT32, "not a workload: capacity is not checked")


def estimate(cluster: Cluster, workload: Workload) -> Estimate:
    """Replicas of ``workload`` that still fit on ``cluster`` (general estimator)."""
    return _estimate(cluster, _needs(workload), workload.tolerations)


def estimate_each(clusters: Iterable[Cluster], workload: Workload) -> list[Estimate]:
    """:func:`estimate` for each cluster, in order, converting the workload's requests
    only once."""
    needs = _needs(workload)
    return [_estimate(cluster, needs, workload.tolerations) for cluster in clusters]


def _amount(name: str, exact: Fraction) -> Amount:
    """The integer views of ``exact`` as resource ``name``."""
    return Amount(value(exact), milli_value(exact), format_amount(name, exact))


def _needs(workload: Workload) -> tuple[tuple[str, Amount], ...]:
    """The per-replica requests that count (``Value() > 0``), by name."""
    needs = ((name, _amount(name, request)) for name, request in sorted(workload.requests.items()))
    return tuple((name, need) for name, need in needs if need.value > 0)


def _estimate(
    cluster: Cluster, needs: tuple[tuple[str, Amount], ...], tolerations: tuple[Toleration, ...]
) -> Estimate:
    summary = cluster.resource_summary
    if summary is None:
        return Estimate(0, "no status.resourceSummary: 0 available")
    if summary.nodes is not None:
        return _estimate_nodes(cluster, summary.nodes, needs, tolerations)
    allowed_pods = _left(cluster, summary, "pods", _pods_left, _cached_pods_left)
    if allowed_pods <= 0:
        return Estimate(0, f"{max(allowed_pods, 0)} more pods allowed")
    best = min(allowed_pods, MAX_INT32)
    parts = [f"pods {allowed_pods}"]
    for name, need in needs:
        if name not in summary.allocatable:
            return Estimate(0, f"{name}: the cluster has no allocatable {name}")
        left = _left(cluster, summary, name, _headroom, _cached_headroom)
        if left.value <= 0:
            return Estimate(0, f"{name}: nothing left ({left.text} available)")
        if name == "cpu":
            bound = left.milli // need.milli
        else:
            bound = left.value // need.value
        parts.append(f"{name} {left.text}/{need.text}={bound}")
        best = min(best, bound)
    return Estimate(best, ", ".join(parts))


def _estimate_nodes(
    cluster: Cluster,
    nodes: tuple[NodeCapacity, ...],
    needs: tuple[tuple[str, Amount], ...],
    tolerations: tuple[Toleration, ...],
) -> Estimate:
    integer_needs = [(name, need.milli if name == "cpu" else need.value) for name, need in needs]
    try:
        result = available_replicas(nodes, integer_needs, tolerations)
    except ValueError as err:
        raise CapacityError(f"cluster {cluster.name}: observed resourceSummary nodes: {err}") from None
    return Estimate(result.replicas, result.reason)


def _left(
    cluster: Cluster,
    summary: ResourceSummary,
    name: str,
    compute: Callable[[str, Any, Any, Any], _T],
    cached: Callable[[str, Any, Any, Any], _T],
) -> _T:
    """``compute`` (or its memoised twin when the raw values can key a cache) on the
    allocatable, allocated and allocating entries of ``name``; an unparsable one
    raises ``CapacityError`` naming the cluster."""
    raws = (summary.allocatable.get(name), summary.allocated.get(name), summary.allocating.get(name))
    try:
        try:
            return cached(name, *raws)
        except TypeError:  # an unhashable value (a list or map in a malformed summary)
            return compute(name, *raws)
    except ValueError as err:
        raise CapacityError(f"cluster {cluster.name}: status.resourceSummary {name}: {err}") from None


def _exact(raw: Any) -> Fraction:
    return Fraction(0) if raw is None else parse_quantity(raw)


def _pods_left(name: str, allocatable: Any, allocated: Any, allocating: Any) -> int:
    # Karmada rounds each pod count before subtracting, unlike the other resources.
    return value(_exact(allocatable)) - value(_exact(allocated)) - value(_exact(allocating))


def _headroom(name: str, allocatable: Any, allocated: Any, allocating: Any) -> Amount:
    return _amount(name, _exact(allocatable) - _exact(allocated) - _exact(allocating))


_cached_pods_left = lru_cache(maxsize=_CACHE_SIZE, typed=True)(_pods_left)
_cached_headroom = lru_cache(maxsize=_CACHE_SIZE, typed=True)(_headroom)
