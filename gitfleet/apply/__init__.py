"""Making member clusters match the plan: server-side apply in a safe order, pruning
what gitfleet no longer wants (and only what it owns), drift detection and
correction, readiness, and the per-cluster results recorded on the status branch.
Pure planning parts (order, digests, drift comparison, reports) sit beside the engine
that talks to clusters through :mod:`gitfleet.kube`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitfleet._exports import export

if TYPE_CHECKING:
    from gitfleet.apply.engine import ApplyOptions, apply_cluster, apply_fleet
    from gitfleet.apply.request import ClusterRequest, cluster_requests
    from gitfleet.apply.result import ClusterResult, FleetResult, ObjectResult
    from gitfleet.apply.session import run_apply, status_tree

__all__ = [
    "ApplyOptions", "ClusterRequest", "ClusterResult", "FleetResult", "ObjectResult", "apply_cluster",
    "apply_fleet", "cluster_requests", "run_apply", "status_tree",
]
_HOMES = {
    "ApplyOptions": "engine", "apply_cluster": "engine", "apply_fleet": "engine", "ClusterRequest": "request",
    "cluster_requests": "request", "ClusterResult": "result", "FleetResult": "result",
    "ObjectResult": "result", "run_apply": "session", "status_tree": "session",
}


def __getattr__(name: str) -> Any:
    return export(__name__, _HOMES, name)
