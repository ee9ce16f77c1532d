"""What the scheduler needs to know about a resource template: how many replicas and
what one replica requests (Karmada's default resource interpreter, KARMADA-SEMANTICS §8
and §2.4), plus the two per-cluster rewrites that follow scheduling (§3 steps 1-2).

Only the kinds Karmada interprets natively have replicas; every other kind (DaemonSet,
CronJob, Service, custom resources) has none, which ``interpret`` reports as ``None``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from gitfleet.model.plan import ClusterTarget
from gitfleet.model.policy import Placement, Toleration
from gitfleet.model.quantity import parse_quantity
from gitfleet.schedule.errors import WorkloadError
from gitfleet.schedule.units import milli_value, value
from gitfleet.schedule.webster import webster

# (apiVersion, kind) that carry a pod template at spec.template and a replica count.
_TEMPLATED = {("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet")}
_JOB = ("batch/v1", "Job")
_POD = ("v1", "Pod")
_NATIVE = {"cpu", "memory", "ephemeral-storage", "pods"}
_MAX_INT32 = 2**31 - 1


@dataclass(frozen=True)
class Workload:
    """The replica count and per-pod request Karmada's scheduler sees for one resource.

    ``requests`` holds Karmada's rounded figures: CPU as an exact number of millicores
    (expressed in cores), everything else as whole units. ``node_claim`` records that
    the pod template has a nodeSelector, tolerations or a required node affinity,
    which makes Karmada's replica requirements non-empty even without requests.
    ``tolerations`` are the pod template's: the live estimator skips member Nodes
    with a NoSchedule or NoExecute taint they do not tolerate.
    """

    replicas: int
    requests: Mapping[str, Fraction] = field(default_factory=dict)
    node_claim: bool = False
    tolerations: tuple[Toleration, ...] = ()

    @property
    def is_workload(self) -> bool:
        """Karmada's ``IsWorkload``: replicas > 0 or replica requirements present."""
        return self.replicas > 0 or bool(self.requests) or self.node_claim


def interpret(obj: Mapping[str, Any]) -> Workload | None:
    """The workload view of a manifest, ``None`` for kinds without a replica interpreter.

    Raises ``WorkloadError`` when a field the interpreter reads is malformed.
    """
    gvk = (obj.get("apiVersion"), obj.get("kind"))
    spec = _mapping(obj.get("spec"))
    if gvk in _TEMPLATED:
        # The control plane's API server defaults a missing spec.replicas to 1.
        replicas = _count(spec, "replicas", default=1)
        return _with_requests(replicas, _mapping(_mapping(spec.get("template")).get("spec")))
    if gvk == _JOB:
        parallelism = _count(spec, "parallelism", default=1)
        completions = _job_completions(spec)
        replicas = min(parallelism, completions) if completions is not None else parallelism
        return _with_requests(replicas, _mapping(_mapping(spec.get("template")).get("spec")))
    if gvk == _POD:
        return _with_requests(1, spec)
    return None


def revise_replicas(obj: dict[str, Any], replicas: int) -> None:
    """Write one cluster's replica count into ``obj`` (a copy the caller owns).

    Deployment/ReplicaSet/StatefulSet get ``spec.replicas``, Job ``spec.parallelism``;
    every other kind (Pod included) keeps the template value (Karmada ReviseReplica).
    Karmada does this only when the resource is a workload (``Workload.is_workload``),
    in Duplicated mode too.
    """
    gvk = (obj.get("apiVersion"), obj.get("kind"))
    if gvk in _TEMPLATED:
        obj.setdefault("spec", {})["replicas"] = replicas
    elif gvk == _JOB:
        obj.setdefault("spec", {})["parallelism"] = replicas


def divide_job_completions(
    obj: Mapping[str, Any], targets: Sequence[ClusterTarget], placement: Placement
) -> dict[str, int] | None:
    """Per-cluster ``spec.completions`` for a Job scheduled in Divided mode (§3 step 2).

    Completions are dealt by Webster with each cluster's parallelism (its replicas) as
    the weight. ``None`` when Karmada leaves completions alone: not a Job, not Divided,
    zero replicas, or a work-queue Job without ``completions``.
    """
    if (obj.get("apiVersion"), obj.get("kind")) != _JOB:
        return None
    if placement.replica_scheduling.type != "Divided":
        return None
    workload = interpret(obj)
    if workload is None or workload.replicas <= 0:
        return None
    completions = _job_completions(_mapping(obj.get("spec")))
    if completions is None:
        return None
    weights = [(t.name, t.replicas or 0) for t in targets]
    return webster(completions, weights)


def revise_completions(obj: dict[str, Any], completions: int) -> None:
    """Write a Job's per-cluster ``spec.completions`` (from ``divide_job_completions``)."""
    obj.setdefault("spec", {})["completions"] = completions


def _job_completions(spec: Mapping[str, Any]) -> int | None:
    # The Job API defaults completions to 1 only when parallelism is unset too.
    if spec.get("completions") is None:
        return 1 if spec.get("parallelism") is None else None
    return _count(spec, "completions", default=1)


def _count(spec: Mapping[str, Any], key: str, default: int) -> int:
    raw = spec.get(key)
    if raw is None:
        return default
    # The loader reports these at their position; this guards every other caller,
    # since the division's cost and Karmada's int32 fields depend on the bound.
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= _MAX_INT32:
        raise WorkloadError(f"spec.{key} must be an integer from 0 to {_MAX_INT32}, not {raw!r}")
    return raw


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _with_requests(replicas: int, pod_spec: Mapping[str, Any]) -> Workload:
    return Workload(replicas, pod_request(pod_spec), _has_node_claim(pod_spec), pod_tolerations(pod_spec))


def pod_tolerations(pod_spec: Mapping[str, Any]) -> tuple[Toleration, ...]:
    """The pod's tolerations; entries that are not maps, and non-string fields, are
    left out (the API would have rejected them, and a toleration that matches too much
    would overstate capacity)."""
    items = pod_spec.get("tolerations")
    if not isinstance(items, list):
        return ()
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        fields = {k: item.get(k) or "" for k in ("key", "operator", "value", "effect")}
        if all(isinstance(v, str) for v in fields.values()):
            out.append(Toleration(fields["key"], fields["operator"], fields["value"], fields["effect"]))
    return tuple(out)


def _has_node_claim(pod_spec: Mapping[str, Any]) -> bool:
    node_affinity = _mapping(_mapping(pod_spec.get("affinity")).get("nodeAffinity"))
    return (
        pod_spec.get("nodeSelector") is not None
        or bool(pod_spec.get("tolerations"))
        or node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") is not None
    )


def pod_request(pod_spec: Mapping[str, Any]) -> dict[str, Fraction]:
    """Karmada's AddPodTemplateRequest: limits fill missing requests, containers are
    summed, each initContainer is a floor (max), then the pod overhead is added."""
    total: dict[str, int] = {}
    for container in _containers(pod_spec, "containers"):
        for name, amount in _container_request(container).items():
            total[name] = total.get(name, 0) + amount
    for container in _containers(pod_spec, "initContainers"):
        for name, amount in _container_request(container).items():
            total[name] = max(total.get(name, 0), amount)
    for name, amount in _resource_list(_mapping(pod_spec.get("overhead")), "overhead").items():
        total[name] = total.get(name, 0) + amount
    return {
        name: Fraction(amount, 1000) if name == "cpu" else Fraction(amount)
        for name, amount in sorted(total.items())
        if amount > 0
    }


def _containers(pod_spec: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = pod_spec.get(key)
    if not isinstance(items, list):
        return []
    return [c for c in items if isinstance(c, Mapping)]


def _container_request(container: Mapping[str, Any]) -> dict[str, int]:
    resources = _mapping(container.get("resources"))
    where = f"container {container.get('name', '?')!r}"
    merged = dict(_mapping(resources.get("limits")))
    merged.update(_mapping(resources.get("requests")))
    return _resource_list(merged, where)


def _resource_list(items: Mapping[str, Any], where: str) -> dict[str, int]:
    """Integer view of a ResourceList: CPU in millicores, others rounded up."""
    out: dict[str, int] = {}
    for name, raw in items.items():
        if name not in _NATIVE and not _is_scalar_resource(name):
            continue  # Karmada's Resource.Add ignores names it does not know
        try:
            amount = parse_quantity(raw)
        except ValueError as err:
            raise WorkloadError(f"{where}: resource {name}: {err}") from None
        out[name] = milli_value(amount) if name == "cpu" else value(amount)
    return out


def _is_scalar_resource(name: str) -> bool:
    """Kubernetes' IsScalarResourceName: extended, hugepages, prefixed native, volumes."""
    if name.startswith(("hugepages-", "attachable-volumes-")) or "kubernetes.io/" in name:
        return True
    return "/" in name and not name.startswith("requests.")
