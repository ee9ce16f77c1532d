"""A member's live capacity from its Nodes and Pods, as Karmada's scheduler-estimator
computes it (issue 11 item 5), instead of dividing the cluster totals of a static
``status.resourceSummary`` (the general estimator, KARMADA-SEMANTICS §2.4).

Two steps, both pure:

- :func:`observe` turns the API's plain Node and Pod dicts into the record kept on the
  status branch: the cluster totals Karmada's cluster status controller reports
  (``allocatable`` summed over the Nodes, ``allocated`` = the requests and the number
  of the non-terminated Pods bound to a Node) plus, per schedulable Node, what is left
  (allocatable minus the requests of its Pods; ``pods`` = free pod slots) and its
  NoSchedule/NoExecute taints. Nodes with the same leftovers and taints are one entry
  with a ``count``: a fleet of idle identical Nodes records one line, whatever its size.
- :func:`available_replicas` answers for one workload: the sum over the Nodes whose
  taints it tolerates of ``min(free pod slots, floor(free / request) per requested
  resource)`` (Karmada's ``nodeMaxAvailableReplica``). The render needs nothing but the
  record for this, so an offline diff and the reconciler agree.

Arithmetic is Karmada's: every quantity in its integer view (CPU in millicores, the
rest in whole units rounded up, :mod:`gitfleet.schedule.units`), a Pod's request as
Kubernetes counts it (``max(sum(containers) + sidecars, the largest init step)`` plus
the overhead; requests default from limits, as the API server does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from gitfleet.errors import GitfleetError
from gitfleet.model.cluster import NodeCapacity, ResourceSummary, Taint
from gitfleet.model.policy import Toleration
from gitfleet.model.quantity import format_bytes, parse_quantity
from gitfleet.schedule.filters.taint_toleration import first_untolerated
from gitfleet.schedule.units import milli_value, value

MAX_INT32 = 2**31 - 1
PODS = "pods"
_TERMINATED = frozenset({"Succeeded", "Failed"})
_FILTERING_EFFECTS = ("NoSchedule", "NoExecute")
_BYTE_RESOURCES = frozenset({"memory", "ephemeral-storage", "storage"})


class ObservationError(GitfleetError):
    """A Node or Pod from a member's API holds a field the estimator cannot read."""


@dataclass(frozen=True)
class NodeEstimate:
    """How many replicas fit, and how the Nodes contributed (for explanations)."""

    replicas: int
    nodes: int  # schedulable Nodes observed
    tolerated: int  # of them, those whose taints the workload tolerates
    fitting: int  # of those, the ones with room for at least one replica

    @property
    def reason(self) -> str:
        text = f"{self.replicas} replicas fit on {self.fitting} of {self.nodes} observed nodes"
        if self.tolerated < self.nodes:
            text += f" ({self.nodes - self.tolerated} with untolerated taints)"
        return text


# -- the observation ------------------------------------------------------------------


def observe(nodes: Iterable[Mapping[str, Any]], pods: Iterable[Mapping[str, Any]]) -> ResourceSummary:
    """The live ``resourceSummary`` of a member from its Nodes and Pods."""
    node_list = list(nodes)
    allocatable_by_node = {_node_name(n): _allocatable(n) for n in node_list}
    requested_by_node: dict[str, dict[str, int]] = {}
    allocated: dict[str, int] = {}
    for pod in pods:
        node_name = _bound_node(pod)
        if node_name is None:
            continue
        request = pod_requests(pod)
        request[PODS] = 1
        _add(allocated, request)
        _add(requested_by_node.setdefault(node_name, {}), request)
    allocatable: dict[str, int] = {}
    for amounts in allocatable_by_node.values():
        _add(allocatable, amounts)
    groups: dict[tuple[tuple[tuple[str, int], ...], tuple[Taint, ...]], int] = {}
    for node in node_list:
        if _unschedulable(node):
            continue
        name = _node_name(node)
        free = dict(allocatable_by_node[name])
        for resource, amount in requested_by_node.get(name, {}).items():
            free[resource] = free.get(resource, 0) - amount
        key = (tuple(sorted(free.items())), _taints(node))
        groups[key] = groups.get(key, 0) + 1
    return ResourceSummary(
        allocatable=_texts(allocatable),
        allocated=_texts(allocated),
        nodes=tuple(
            NodeCapacity(count, _texts(dict(free)), taints)
            for (free, taints), count in sorted(groups.items(), key=_group_order)
        ),
    )


def pod_requests(pod: Mapping[str, Any]) -> dict[str, int]:
    """Kubernetes' PodRequests in integer views: containers summed, restartable init
    containers (sidecars) run beside them, every other init container runs alone after
    the sidecars started before it, the pod needs the larger of the two, plus overhead."""
    spec = _mapping(pod.get("spec"))
    where = f"pod {_pod_name(pod)}"
    total: dict[str, Fraction] = {}
    for container in _list(spec.get("containers")):
        _add(total, _container_request(container, where))
    sidecars: dict[str, Fraction] = {}
    init_peak: dict[str, Fraction] = {}
    for container in _list(spec.get("initContainers")):
        request = _container_request(container, where)
        if container.get("restartPolicy") == "Always":
            _add(total, request)
            _add(sidecars, request)
            step = dict(sidecars)
        else:
            step = dict(sidecars)
            _add(step, request)
        for resource, amount in step.items():
            init_peak[resource] = max(init_peak.get(resource, Fraction(0)), amount)
    for resource, amount in init_peak.items():
        total[resource] = max(total.get(resource, Fraction(0)), amount)
    _add(total, _resources(_mapping(spec.get("overhead")), f"{where}: spec.overhead"))
    return {resource: _integer(resource, amount) for resource, amount in total.items()}


# -- the estimate ---------------------------------------------------------------------


def available_replicas(
    nodes: Sequence[NodeCapacity], needs: Sequence[tuple[str, int]], tolerations: Sequence[Toleration]
) -> NodeEstimate:
    """Replicas of one workload that fit on the observed Nodes.

    ``needs`` is the per-replica request in integer views (CPU in millicores), only
    positive amounts; ``pods`` in it is ignored (the free slots bound every Node).
    Raises ``ValueError`` for an unreadable quantity in a recorded ``free``.
    """
    total = observed = tolerated = fitting = 0
    for group in nodes:
        observed += group.count
        if first_untolerated(group.taints, tolerations) is not None:
            continue
        tolerated += group.count
        per_node = _node_replicas(group.free, needs)
        if per_node > 0:
            fitting += group.count
            total += group.count * per_node
    return NodeEstimate(min(total, MAX_INT32), observed, tolerated, fitting)


def _node_replicas(free: Mapping[str, Any], needs: Sequence[tuple[str, int]]) -> int:
    best = value(_quantity(free.get(PODS)))
    for resource, need in needs:
        if resource == PODS or need <= 0 or best <= 0:
            continue
        best = min(best, _integer(resource, _quantity(free.get(resource))) // need)
    return max(best, 0)


def _quantity(raw: Any) -> Fraction:
    return Fraction(0) if raw is None else parse_quantity(raw)


# -- reading the API's objects --------------------------------------------------------


def _node_name(node: Mapping[str, Any]) -> str:
    return str(_mapping(node.get("metadata")).get("name", ""))


def _pod_name(pod: Mapping[str, Any]) -> str:
    meta = _mapping(pod.get("metadata"))
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _unschedulable(node: Mapping[str, Any]) -> bool:
    return _mapping(node.get("spec")).get("unschedulable") is True


def _bound_node(pod: Mapping[str, Any]) -> str | None:
    """The Node a pod holds resources on: bound and not terminated."""
    node_name = _mapping(pod.get("spec")).get("nodeName")
    if not isinstance(node_name, str) or not node_name:
        return None
    if _mapping(pod.get("status")).get("phase") in _TERMINATED:
        return None
    return node_name


def _allocatable(node: Mapping[str, Any]) -> dict[str, int]:
    raw = _mapping(_mapping(node.get("status")).get("allocatable"))
    where = f"node {_node_name(node)}: status.allocatable"
    amounts = _resources(raw, where, keep_pods=True)
    return {resource: _integer(resource, amount) for resource, amount in amounts.items()}


def _taints(node: Mapping[str, Any]) -> tuple[Taint, ...]:
    taints = set()
    for item in _list(_mapping(node.get("spec")).get("taints")):
        effect = item.get("effect")
        if effect in _FILTERING_EFFECTS:
            taints.add(Taint(str(item.get("key") or ""), str(item.get("value") or ""), str(effect)))
    return tuple(sorted(taints, key=lambda t: (t.key, t.value, t.effect)))


def _container_request(container: Mapping[str, Any], where: str) -> dict[str, Fraction]:
    resources = _mapping(container.get("resources"))
    merged = dict(_mapping(resources.get("limits")))
    merged.update(_mapping(resources.get("requests")))
    return _resources(merged, f"{where}: container {container.get('name', '?')}")


def _resources(raw: Mapping[str, Any], where: str, keep_pods: bool = False) -> dict[str, Fraction]:
    """The resources the estimator counts (CPU, memory, ephemeral storage, extended and
    hugepages; ``pods`` only on a Node), exact."""
    out: dict[str, Fraction] = {}
    for resource, amount in raw.items():
        if not isinstance(resource, str) or not (_counted(resource) or (keep_pods and resource == PODS)):
            continue
        try:
            out[resource] = parse_quantity(amount)
        except ValueError as err:
            raise ObservationError(f"{where}.{resource}: {err}") from None
    return out


def _counted(resource: str) -> bool:
    """Kubernetes' native compute resources and its IsScalarResourceName."""
    if resource in ("cpu", "memory", "ephemeral-storage"):
        return True
    if resource.startswith(("hugepages-", "attachable-volumes-")) or "kubernetes.io/" in resource:
        return True
    return "/" in resource and not resource.startswith("requests.")


def _integer(resource: str, amount: Fraction) -> int:
    return milli_value(amount) if resource == "cpu" else value(amount)


def _text(resource: str, amount: int) -> str:
    """An integer view as a quantity that reads back to the same integer view."""
    if resource == "cpu":
        return str(amount // 1000) if amount % 1000 == 0 else f"{amount}m"
    if resource in _BYTE_RESOURCES or resource.startswith("hugepages-"):
        return format_bytes(amount)
    return str(amount)


def _texts(amounts: Mapping[str, int]) -> dict[str, str]:
    return {resource: _text(resource, amounts[resource]) for resource in sorted(amounts)}


def _group_order(item: tuple[tuple[tuple[tuple[str, int], ...], tuple[Taint, ...]], int]) -> tuple[Any, ...]:
    (free, taints), _count = item
    return (tuple((t.key, t.value, t.effect) for t in taints), free)


def _add(total: dict[str, Any], more: Mapping[str, Any]) -> None:
    for resource, amount in more.items():
        total[resource] = total.get(resource, 0) + amount


def _mapping(raw: Any) -> Mapping[str, Any]:
    return raw if isinstance(raw, Mapping) else {}


def _list(raw: Any) -> list[Mapping[str, Any]]:
    return [item for item in raw if isinstance(item, Mapping)] if isinstance(raw, list) else []
