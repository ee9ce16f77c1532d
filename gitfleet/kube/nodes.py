"""What the live estimator reads of a member: its Nodes and the Pods bound to them
(:func:`gitfleet.schedule.estimator.observe` does the arithmetic).

Lists are paginated (``limit``/``continue``) so a large member is read in bounded
pages, and Pods are filtered on the server by ``spec.nodeName!=`` — pending Pods hold
no Node's resources, and on a busy cluster they can be most of the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitfleet.kube.client import KubeClient
from gitfleet.model.cluster import ResourceSummary
from gitfleet.schedule.estimator import observe

PAGE_SIZE = 500
BOUND_PODS = "spec.nodeName!="


def list_nodes(client: KubeClient, page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """Every Node of the member."""
    return _list_all(client, "/api/v1/nodes", {}, page_size, "list nodes")


def list_bound_pods(client: KubeClient, page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """Every Pod of every namespace that is bound to a Node (terminated ones included:
    the estimator skips them by phase, which a field selector cannot express as one
    condition)."""
    return _list_all(client, "/api/v1/pods", {"fieldSelector": BOUND_PODS}, page_size, "list pods")


def observe_member(client: KubeClient, page_size: int = PAGE_SIZE) -> ResourceSummary:
    """The member's live ``resourceSummary`` (with per-node detail). Raises a
    :class:`~gitfleet.kube.errors.KubeError` when the API fails and
    :class:`~gitfleet.schedule.estimator.ObservationError` for an unreadable quantity."""
    return observe(list_nodes(client, page_size), list_bound_pods(client, page_size))


def _list_all(
    client: KubeClient, path: str, query: Mapping[str, str], page_size: int, what: str
) -> list[dict[str, Any]]:
    params = {**query, "limit": str(page_size)}
    items: list[dict[str, Any]] = []
    while True:
        doc = client.request("GET", path, query=params, what=what) or {}
        items.extend(item for item in doc.get("items") or () if isinstance(item, dict))
        token = (doc.get("metadata") or {}).get("continue")
        if not token:
            return items
        params["continue"] = token
