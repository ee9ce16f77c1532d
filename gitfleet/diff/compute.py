"""The diff of two plans: per cluster, which objects a merge would delete, create or
change (with a unified diff of the masked YAML), where resources move, and whether the
deletions would trip the mass-prune guard. Pure: no I/O."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from gitfleet.diff.model import ADDED, CHANGED, REMOVED, ClusterDiff, ObjectChange, PlacementChange, PlanDiff
from gitfleet.model.keys import ResourceId
from gitfleet.model.plan import ClusterTarget, Explanation, Plan, ResourcePlacement
from gitfleet.redaction import mask_manifests
from gitfleet.status.layout import manifest_path, manifest_yaml

Manifests = Mapping[str, Mapping[str, Any]]


def unified(old: str, new: str, old_name: str, new_name: str, context: int = 3) -> str:
    """A unified diff of two texts; every line ends with a newline."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name, n=context
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _goes_with(removed: Mapping[str, Any], key: str, base: Manifests) -> tuple[str, ...]:
    """Objects of ``base`` that the cluster deletes along with a removed Namespace (its
    contents) or CustomResourceDefinition (its custom resources)."""
    rid = ResourceId.parse(key)
    if rid.group == "" and rid.kind == "Namespace":
        return tuple(sorted(k for k in base if k != key and ResourceId.parse(k).namespace == rid.name))
    if rid.group == "apiextensions.k8s.io" and rid.kind == "CustomResourceDefinition":
        spec = removed.get("spec") or {}
        group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
        ids = {k: ResourceId.parse(k) for k in base}
        return tuple(sorted(k for k, r in ids.items() if r.group == group and r.kind == kind))
    return ()


def diff_cluster(
    cluster: str,
    base: Manifests,
    head: Manifests,
    max_prune_fraction: float,
    context: int = 3,
    only: frozenset[str] | None = None,
) -> ClusterDiff:
    """What changes on one cluster (manifests are compared and shown masked). ``only``:
    the resource keys that can differ at all (the others are known to be equal)."""
    if only is not None:
        base_m = mask_manifests({k: m for k, m in base.items() if k in only})
        head_m = mask_manifests({k: m for k, m in head.items() if k in only})
    else:
        base_m, head_m = mask_manifests(base), mask_manifests(head)
    removed = [
        ObjectChange(k, REMOVED, manifest_path(cluster, base_m[k]), goes_with=_goes_with(base_m[k], k, base))
        for k in sorted(base_m.keys() - head_m.keys())
    ]
    added = []
    for key in sorted(head_m.keys() - base_m.keys()):
        path = manifest_path(cluster, head_m[key])
        added.append(ObjectChange(key, ADDED, path, unified("", manifest_yaml(head_m[key]), "/dev/null",
                                                             f"b/{path}", context)))
    changed = []
    for key in sorted(base_m.keys() & head_m.keys()):
        if base_m[key] == head_m[key]:
            continue
        old_path, new_path = manifest_path(cluster, base_m[key]), manifest_path(cluster, head_m[key])
        text = unified(manifest_yaml(base_m[key]), manifest_yaml(head_m[key]), f"a/{old_path}",
                       f"b/{new_path}", context)
        changed.append(ObjectChange(key, CHANGED, new_path, text))
    fraction = len(removed) / len(base) if base else 0.0
    return ClusterDiff(
        cluster=cluster,
        removed=tuple(removed),
        added=tuple(added),
        changed=tuple(changed),
        base_count=len(base),
        head_count=len(head),
        prune_guard=fraction > max_prune_fraction,
    )


def _targets(targets: Iterable[ClusterTarget]) -> str:
    return ", ".join(t.name if t.replicas is None else f"{t.name} ({t.replicas})" for t in targets) or "nothing"


_MOVES = ("moved", "replicas", "placed", "unplaced")


def _cause(explanation: Explanation | None) -> str:
    """Why the scheduler decided as it did, when it rescheduled with memory (the trigger,
    and any eviction): what a reviewer needs next to a placement that moves."""
    schedule = explanation.schedule if explanation is not None else None
    if schedule is None or schedule.rescheduled is None:
        return ""
    parts = list(schedule.evictions)
    if schedule.rescheduled and schedule.reason:
        parts.insert(0, schedule.reason)
    return "; ".join(parts)


def _with_cause(change: PlacementChange, cause: str) -> PlacementChange:
    if not cause or change.type not in _MOVES:
        return change
    return replace(change, text=f"{change.text} ({cause})", cause=cause)


def placement_changes(base: ResourcePlacement | None, head: ResourcePlacement | None) -> list[PlacementChange]:
    """The facts that differ between two placements of one resource."""
    if base is None and head is None:
        return []
    if base is None:
        assert head is not None
        names = tuple(c.name for c in head.clusters)
        text = f"new, placed on {_targets(head.clusters)}" if names else f"new, unplaced: {head.reason or 'no policy'}"
        return [PlacementChange(head.resource, "added", text, (), names)]
    if head is None:
        names = tuple(c.name for c in base.clusters)
        return [PlacementChange(base.resource, "removed", f"removed from the repo (was on {_targets(base.clusters)})",
                                names, ())]
    out: list[PlacementChange] = []
    resource = head.resource
    old = {c.name: c.replicas for c in base.clusters}
    new = {c.name: c.replicas for c in head.clusters}
    if base.policy != head.policy:
        out.append(PlacementChange(resource, "policy", f"policy {base.policy or 'none'} → {head.policy or 'none'}",
                                   old=base.policy, new=head.policy))
    if old and not new:
        out.append(PlacementChange(resource, "unplaced",
                                   f"now unplaced (was on {_targets(base.clusters)}): {head.reason or 'no cluster'}",
                                   tuple(old), (), old=base.reason, new=head.reason))
    elif new and not old:
        out.append(PlacementChange(resource, "placed", f"now placed on {_targets(head.clusters)}", (), tuple(new)))
    else:
        gone, joined = sorted(old.keys() - new.keys()), sorted(new.keys() - old.keys())
        if gone and joined:
            text = f"moved from {', '.join(gone)} to {', '.join(joined)}"
        elif joined:
            text = f"now also on {', '.join(joined)}"
        else:
            text = f"no longer on {', '.join(gone)}"
        if gone or joined:
            out.append(PlacementChange(resource, "moved", text, tuple(gone), tuple(joined)))
        for name in sorted(old.keys() & new.keys()):
            if old[name] != new[name]:
                out.append(PlacementChange(resource, "replicas", f"replicas {old[name]} → {new[name]} on {name}",
                                           cluster=name, old=old[name], new=new[name]))
    return out


def diff_plans(
    base: Plan,
    head: Plan,
    max_prune_fraction: float,
    *,
    base_clusters: Iterable[str] | None = None,
    head_clusters: Iterable[str] | None = None,
    base_label: str = "base",
    head_label: str = "head",
    context: int = 3,
    only: frozenset[str] | None = None,
) -> PlanDiff:
    """Everything that would change from ``base`` to ``head``.

    ``max_prune_fraction`` is the head's ``spec.apply.maxPruneFraction``: a cluster is
    flagged when it would lose a larger share of its objects. ``base_clusters`` /
    ``head_clusters`` (the inventories) let the diff say which clusters join or leave.
    ``only``: the resources that can differ at all, when the caller knows (``head`` was
    planned incrementally from ``base``); the others are not compared.
    """
    clusters = []
    names = sorted(set(base.manifests) | set(head.manifests) | set(head.failures))
    before = set(base_clusters) if base_clusters is not None else None
    after = set(head_clusters) if head_clusters is not None else None
    for name in names:
        diff = diff_cluster(name, base.manifests.get(name, {}), head.manifests.get(name, {}),
                            max_prune_fraction, context, only)
        old_failures = base.failures.get(name, {})
        failures = tuple(
            f"{key}: {message}" for key, message in sorted(head.failures.get(name, {}).items())
            if old_failures.get(key) != message
        )
        state = ""
        if before is not None and after is not None:
            if name in after and name not in before:
                state = "new cluster"
            elif name in before and name not in after:
                state = "no longer in the fleet"
        if diff.changes or failures:
            clusters.append(replace(diff, failures=failures, state=state))
    base_p = {p.resource: p for p in base.placements}
    head_p = {p.resource: p for p in head.placements}
    placements: list[PlacementChange] = []
    for resource in sorted((base_p.keys() | head_p.keys()) if only is None else (only & (base_p.keys() | head_p.keys()))):
        cause = _cause(head.explanations.get(resource))
        placements.extend(_with_cause(c, cause) for c in placement_changes(base_p.get(resource), head_p.get(resource)))
    old_warnings = set(base.warnings)
    return PlanDiff(
        clusters=tuple(clusters),
        placements=tuple(placements),
        max_prune_fraction=max_prune_fraction,
        new_warnings=tuple(w for w in head.warnings if w not in old_warnings),
        base_label=base_label,
        head_label=head_label,
    )
