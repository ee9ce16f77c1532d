"""Hand-built Plans shared by the status and diff tests."""

from __future__ import annotations

from typing import Any

from gitfleet.model.keys import ResourceId
from gitfleet.model.plan import ClusterTarget, Plan, ResourcePlacement


def deployment(name: str = "web", ns: str = "shop", replicas: int = 2, image: str = "nginx:1.25") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "c", "image": image}]}}}}


def namespace(name: str = "shop") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def configmap(name: str = "cfg", ns: str = "shop", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


def secret(name: str = "db", ns: str = "shop", **string_data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
            "stringData": string_data}


def crd(group: str = "example.com", kind: str = "Widget") -> dict[str, Any]:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{kind.lower()}s.{group}"},
            "spec": {"group": group, "names": {"kind": kind, "plural": kind.lower() + "s"}, "scope": "Namespaced"}}


def custom(name: str, group: str = "example.com", kind: str = "Widget", ns: str = "shop") -> dict[str, Any]:
    return {"apiVersion": f"{group}/v1", "kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": {}}


def key(manifest: dict[str, Any]) -> str:
    return ResourceId.of(manifest).key


def plan(clusters: dict[str, list[dict[str, Any]]], placements: list[tuple[str, str | None, list[tuple[str, int | None]]]]
         | None = None, **kwargs: Any) -> Plan:
    """A Plan with the given manifests; placements default to one per key, on the
    clusters holding it (replicas from spec.replicas)."""
    manifests = {c: {key(m): m for m in ms} for c, ms in clusters.items()}
    if placements is None:
        by_key: dict[str, list[tuple[str, int | None]]] = {}
        for c in sorted(manifests):
            for k, m in manifests[c].items():
                by_key.setdefault(k, []).append((c, (m.get("spec") or {}).get("replicas")))
        placements = [(k, "PropagationPolicy/shop/pp", v) for k, v in sorted(by_key.items())]
    rps = tuple(ResourcePlacement(k, pol, tuple(ClusterTarget(n, r) for n, r in cs)) for k, pol, cs in placements)
    return Plan(placements=rps, manifests=manifests, **kwargs)
