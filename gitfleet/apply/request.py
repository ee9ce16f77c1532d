"""What to do on each cluster, derived from the plan and the previous status tree:
the desired manifests, the inventory of what was applied before (for pruning), which
objects gitfleet may adopt (conflictResolution Overwrite) and which it must leave
alone (suspended dispatching). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitfleet.model.plan import Plan
from gitfleet.model.resource import ApplySettings

CONFLICT_ANNOTATION = "work.karmada.io/conflict-resolution"


def annotated_resolution(manifest: Mapping[str, Any]) -> str | None:
    """``Overwrite`` or ``Abort`` when the manifest's annotation says so (it wins over
    the policy, as in Karmada), else ``None``."""
    value = ((manifest.get("metadata") or {}).get("annotations") or {}).get(CONFLICT_ANNOTATION)
    if isinstance(value, str) and value.lower() in ("overwrite", "abort"):
        return value.capitalize()
    return None


@dataclass(frozen=True)
class ClusterRequest:
    cluster: str
    fleet: str
    desired: Mapping[str, Mapping[str, Any]]
    # Keys applied before: the previous status tree's folder for this cluster plus
    # keys a failed run had already sent (status/<cluster>.yaml ``pending``).
    inventory: frozenset[str] = frozenset()
    overwrite: frozenset[str] = frozenset()
    # Keys neither applied nor pruned (the policy suspends dispatching there).
    suspended: frozenset[str] = frozenset()
    settings: ApplySettings = field(default_factory=ApplySettings)

    def prune_candidates(self) -> frozenset[str]:
        if not self.settings.prune:
            return frozenset()
        return frozenset(self.inventory - set(self.desired) - self.suspended)


def cluster_requests(
    plan: Plan,
    fleet: str,
    settings: ApplySettings,
    previous: Mapping[str, Iterable[str]] | None = None,
    only: Iterable[str] | None = None,
) -> dict[str, ClusterRequest]:
    """One request per cluster of the plan (or of ``only``). ``previous`` maps a
    cluster to the keys recorded for it before (the inventory)."""
    previous = previous or {}
    wanted = set(only) if only is not None else None
    overwrite = {p.resource for p in plan.placements if p.conflict_resolution == "Overwrite"}
    suspended: dict[str, set[str]] = {}
    for placement in plan.placements:
        # A retained old copy (graceful eviction) is left alone exactly as a suspended one.
        for name in (*placement.suspended, *placement.retained):
            suspended.setdefault(name, set()).add(placement.resource)
    out: dict[str, ClusterRequest] = {}
    # A wanted cluster the plan has no manifests for (one that left the inventory) gets
    # an empty desired state: everything recorded for it is pruned.
    for name in sorted(set(plan.manifests) | (wanted or set())):
        if wanted is not None and name not in wanted:
            continue
        held = frozenset(suspended.get(name, ()))
        desired = {k: m for k, m in plan.manifests.get(name, {}).items() if k not in held}
        out[name] = ClusterRequest(
            cluster=name,
            fleet=fleet,
            desired=desired,
            inventory=frozenset(previous.get(name, ())),
            overwrite=frozenset(
                k for k, m in desired.items()
                if (annotated_resolution(m) or ("Overwrite" if k in overwrite else "Abort")) == "Overwrite"
            ),
            suspended=held,
            settings=settings,
        )
    return out
