"""One apply of a rendered plan, end to end: the previous status tree gives the
inventory, the engine reconciles every cluster, and the status branch records the new
render with ``status/<cluster>.yaml`` files, so the CLI and the background
reconciler share one path.

What is recorded never runs ahead of the clusters: a cluster whose run did not
complete keeps its previous folder on the status branch, and its status file's
inventory keeps the old keys plus those the failed run already sent, so the next run
still knows to prune them. An API server that dies mid-apply thus leaves nothing half-recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gitfleet.apply.engine import ApplyOptions, apply_fleet
from gitfleet.apply.request import ClusterRequest, cluster_requests
from gitfleet.apply.result import FleetResult
from gitfleet.apply.statusfile import cluster_status, inventory_keys, read_status, status_path, status_yaml
from gitfleet.kube.client import KubeClient
from gitfleet.model.plan import Plan
from gitfleet.model.resource import FleetSettings
from gitfleet.redaction import Redactor
from gitfleet.status.layout import CLUSTERS_DIR, plan_to_tree, recorded_clusters, tree_keys
from gitfleet.status.secrets import mask_plan


def previous_inventory(files: Mapping[str, bytes], clusters: Iterable[str] | None = None,
                       known: Mapping[str, str] | None = None) -> dict[str, set[str]]:
    """cluster -> keys gitfleet may have applied there (of ``clusters`` only, when
    given): the status tree's folders plus each status file's ``inventory``. ``known``
    gives the key of manifest files the caller knows (:func:`gitfleet.status.layout.tree_keys`)."""
    wanted = set(clusters) if clusters is not None else None
    out = tree_keys(files, wanted, known)
    for path in files:
        if path.startswith("status/") and path.endswith(".yaml") and path.count("/") == 1:
            cluster = path[len("status/"):-len(".yaml")]
            if wanted is None or cluster in wanted:
                out.setdefault(cluster, set()).update(inventory_keys(files, cluster))
    return out


def requests_for(
    plan: Plan, settings: FleetSettings, previous_files: Mapping[str, bytes], only: Iterable[str] | None = None,
    known: Mapping[str, str] | None = None,
) -> dict[str, ClusterRequest]:
    names = set(only) if only is not None else set(plan.manifests)
    return cluster_requests(plan, settings.name, settings.apply, previous_inventory(previous_files, names, known),
                            names)


def _cluster_of(path: str) -> str | None:
    """The cluster whose folder holds ``path``, None outside ``clusters/``."""
    head, _, rest = path.partition("/")
    return rest.partition("/")[0] if head == CLUSTERS_DIR and "/" in rest else None


def run_apply(
    plan: Plan,
    settings: FleetSettings,
    clients: Mapping[str, KubeClient | Exception],
    previous_files: Mapping[str, bytes],
    options: ApplyOptions | None = None,
    only: Iterable[str] | None = None,
    known: Mapping[str, str] | None = None,
) -> FleetResult:
    """Reconcile the clusters of ``plan`` (or ``only`` those); ``known`` as for
    :func:`previous_inventory`."""
    return apply_fleet(clients, requests_for(plan, settings, previous_files, only, known), options)


def held_clusters(plan: Plan, result: FleetResult, previous_files: Mapping[str, bytes],
                  pull_clusters: frozenset[str] = frozenset()) -> set[str]:
    """The clusters whose previous folder the status tree keeps instead of the new
    render: those whose run did not complete or was not run (a Pull-mode cluster that
    was not pushed to excepted), and those that left the inventory and were not pruned."""
    # A cluster that left the inventory keeps its folder until an apply has pruned it.
    departed = recorded_clusters(previous_files) - set(plan.manifests)
    return {
        name for name in (*plan.manifests, *departed)
        if (name not in result.clusters and name not in pull_clusters)
        or (name in result.clusters and not result.clusters[name].complete)
    }


def status_reports(
    plan: Plan,
    settings: FleetSettings,
    result: FleetResult,
    previous_files: Mapping[str, bytes],
    revision: str,
    known: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
) -> dict[str, bytes]:
    """``status/<cluster>.yaml`` of every cluster that ran (``redactor`` hides the
    plan's Secret values; default: made from ``plan``)."""
    if not result.clusters:
        return {}
    requests = requests_for(plan, settings, previous_files, result.clusters, known)
    redactor = redactor if redactor is not None else Redactor.from_plan(plan)
    extra: dict[str, bytes] = {}
    for name, cluster_result in sorted(result.clusters.items()):
        req = requests[name]
        doc: dict[str, Any] = cluster_status(
            cluster_result, revision, req.desired, previous=read_status(previous_files, name),
            inventory=req.inventory, keep=req.suspended, redactor=redactor,
        )
        extra[status_path(name)] = status_yaml(doc)
    return extra


def status_tree(
    plan: Plan,
    settings: FleetSettings,
    result: FleetResult,
    previous_files: Mapping[str, bytes],
    revision: str,
    pull_clusters: frozenset[str] = frozenset(),
    rendered: Mapping[str, bytes] | None = None,
    known: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """``(files, extra_files)`` for :func:`gitfleet.git.statusbranch.commit_status`:
    the new render, with the previous folder kept for every cluster whose run did not
    complete (or was not run), and the status files of the clusters that ran.
    ``rendered`` is ``plan``'s status tree when the caller has it already (the
    reconciler keeps it from cycle to cycle); ``known`` and ``redactor`` as for
    :func:`status_reports`.

    A Pull-mode cluster that was not pushed to always gets the new render: its folder
    is what its own agent reads, not a record of what gitfleet applied."""
    new = rendered if rendered is not None else plan_to_tree(mask_plan(plan))
    held = held_clusters(plan, result, previous_files, pull_clusters)
    files = dict(new)
    if held:
        files = {p: b for p, b in new.items() if _cluster_of(p) not in held}
        files.update((p, previous_files[p]) for p in previous_files if _cluster_of(p) in held)
    return files, status_reports(plan, settings, result, previous_files, revision, known, redactor)
