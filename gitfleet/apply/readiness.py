"""Is an applied object ready? Read back from the live object's status the way
kubectl rollout status and Flux's health checks do: Deployments, StatefulSets and
DaemonSets by their replica counts at the current generation, Jobs by their
conditions, anything else by existing. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Readiness:
    ready: bool
    message: str = ""
    ready_replicas: int | None = None  # workloads with replicas only
    replicas: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ready": self.ready}
        if self.replicas is not None:
            out["readyReplicas"] = self.ready_replicas or 0
            out["replicas"] = self.replicas
        if self.message:
            out["message"] = self.message
        return out


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _observed(obj: Mapping[str, Any]) -> bool:
    status = obj.get("status") or {}
    generation = (obj.get("metadata") or {}).get("generation")
    observed = status.get("observedGeneration")
    return generation is None or observed is not None and _int(observed) >= _int(generation)


def _replica_workload(obj: Mapping[str, Any], ready_field: str) -> Readiness:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    want = _int(spec.get("replicas"), 1)
    ready = _int(status.get(ready_field))
    updated = _int(status.get("updatedReplicas"))
    if not _observed(obj):
        return Readiness(False, "waiting for the controller to observe the new generation", ready, want)
    if updated < want:
        return Readiness(False, f"{updated}/{want} replicas updated", ready, want)
    if ready < want:
        return Readiness(False, f"{ready}/{want} replicas ready", ready, want)
    return Readiness(True, "", ready, want)


def _daemon_set(obj: Mapping[str, Any]) -> Readiness:
    status = obj.get("status") or {}
    want = _int(status.get("desiredNumberScheduled"))
    ready = _int(status.get("numberReady"))
    updated = _int(status.get("updatedNumberScheduled"))
    if not _observed(obj):
        return Readiness(False, "waiting for the controller to observe the new generation", ready, want)
    if updated < want or ready < want:
        return Readiness(False, f"{ready}/{want} pods ready, {updated} updated", ready, want)
    return Readiness(True, "", ready, want)


def _job(obj: Mapping[str, Any]) -> Readiness:
    for cond in (obj.get("status") or {}).get("conditions") or ():
        if cond.get("status") != "True":
            continue
        if cond.get("type") == "Complete":
            return Readiness(True, "complete")
        if cond.get("type") == "Failed":
            return Readiness(False, f"failed: {cond.get('message') or cond.get('reason') or ''}".rstrip(": "))
    return Readiness(False, "running")


def readiness(obj: Mapping[str, Any]) -> Readiness:
    """Readiness of a live object."""
    kind = obj.get("kind")
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    if group == "apps" and kind == "Deployment":
        return _replica_workload(obj, "availableReplicas")
    if group == "apps" and kind == "StatefulSet":
        return _replica_workload(obj, "readyReplicas")
    if group == "apps" and kind == "DaemonSet":
        return _daemon_set(obj)
    if group == "batch" and kind == "Job":
        return _job(obj)
    return Readiness(True)
