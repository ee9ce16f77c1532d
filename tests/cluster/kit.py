"""Building manifests and running the engine in the cluster tests."""

from __future__ import annotations

from typing import Any

from gitfleet.apply.engine import ApplyOptions, apply_cluster
from gitfleet.apply.request import ClusterRequest
from gitfleet.apply.result import ClusterResult
from gitfleet.kube import KubeClient
from gitfleet.model.keys import ResourceId
from gitfleet.model.resource import ApplySettings


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def configmap(ns: str, name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


def deployment(ns: str, name: str = "web", replicas: int = 2, image: str = "nginx:1.25") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": name, "image": image,
                                                  "resources": {"requests": {"cpu": "0.5", "memory": "64Mi"}}}]}},
        },
    }


def keyed(*manifests: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {ResourceId.of(m).key: m for m in manifests}


def run(
    client: KubeClient,
    fleet: str,
    desired: dict[str, dict[str, Any]],
    inventory: set[str] | frozenset[str] = frozenset(),
    settings: ApplySettings | None = None,
    overwrite: set[str] | frozenset[str] = frozenset(),
    **options: Any,
) -> ClusterResult:
    request = ClusterRequest(client.name, fleet, desired, frozenset(inventory), frozenset(overwrite),
                             settings=settings or ApplySettings())
    return apply_cluster(client, request, ApplyOptions(**options))


def actions(result: ClusterResult) -> dict[str, str]:
    return {o.key: o.action for o in result.objects}


def versions(client: KubeClient, keys: list[str]) -> dict[str, str | None]:
    out = {}
    for key in keys:
        obj = client.get(ResourceId.parse(key))
        out[key] = obj["metadata"]["resourceVersion"] if obj else None
    return out


def edit(client: KubeClient, key: str, patch: dict[str, Any], manager: str = "kubectl-edit") -> dict[str, Any]:
    """Change an object as kubectl edit would (a strategic merge patch: an Update by ``manager``)."""
    return client.request(  # type: ignore[no-any-return]
        "PATCH", client.object_path(ResourceId.parse(key)), query={"fieldManager": manager},
        body=patch, content_type="application/strategic-merge-patch+json",
    )
