"""``coordination.k8s.io/v1`` Leases on the management cluster (issue 13): read, create,
and update under the API server's optimistic concurrency (``resourceVersion``), the one
fence that needs no agreement on the time between replicas: of two replicas taking the
same Lease at once, exactly one update succeeds and the other gets a Conflict."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gitfleet.kube.client import KubeClient
from gitfleet.kube.errors import Conflict, NotFound

GROUP_PATH = "/apis/coordination.k8s.io/v1"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leases_path(namespace: str) -> str:
    return f"{GROUP_PATH}/namespaces/{namespace}/leases"


def list_leases(client: KubeClient, namespace: str, selector: str) -> list[dict[str, Any]]:
    found = client.request("GET", leases_path(namespace), {"labelSelector": selector}, what="list leases")
    return list((found or {}).get("items") or [])


def get_lease(client: KubeClient, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = client.request("GET", f"{leases_path(namespace)}/{name}", what=f"get lease {name}")
        return found
    except NotFound:
        return None


def take_lease(client: KubeClient, namespace: str, name: str, holder: str, duration: int,
               labels: dict[str, str], current: dict[str, Any] | None) -> dict[str, Any] | None:
    """Hold ``name`` as ``holder``: create it, or update ``current`` (the version this
    replica read, which proves it saw the Lease free or its own). None when another
    replica won the race (Conflict, or it was created meanwhile)."""
    spec = {"holderIdentity": holder, "leaseDurationSeconds": duration, "renewTime": _now()}
    try:
        if current is None:
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": name, "namespace": namespace, "labels": labels},
                    "spec": {**spec, "acquireTime": _now()}}
            made: dict[str, Any] = client.request("POST", leases_path(namespace), body=body, what=f"create lease {name}")
            return made
        body = dict(current)
        old = dict(current.get("spec") or {})
        new_spec = {**old, **spec}
        if old.get("holderIdentity") != holder:
            new_spec["acquireTime"] = _now()
            new_spec["leaseTransitions"] = int(old.get("leaseTransitions") or 0) + 1
        body["spec"] = new_spec
        updated: dict[str, Any] = client.request("PUT", f"{leases_path(namespace)}/{name}", body=body,
                                                 what=f"update lease {name}")
        return updated
    except Conflict:
        return None


def release_lease(client: KubeClient, namespace: str, current: dict[str, Any]) -> bool:
    """Give ``current`` up (holder cleared) so the next owner need not wait for it to
    expire; False when it changed meanwhile."""
    body = dict(current)
    body["spec"] = {**(current.get("spec") or {}), "holderIdentity": None}
    name = current["metadata"]["name"]
    try:
        client.request("PUT", f"{leases_path(namespace)}/{name}", body=body, what=f"release lease {name}")
        return True
    except (Conflict, NotFound):
        return False
