"""What a pull request would change: the data the diff formatters print. Plain frozen
dataclasses, so the computation and each output format can be tested apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REMOVED, ADDED, CHANGED = "removed", "added", "changed"


@dataclass(frozen=True)
class ObjectChange:
    """One object on one cluster that would be created, deleted or changed."""

    key: str
    action: str  # removed | added | changed
    path: str  # where it lives on the status branch
    diff: str = ""  # unified diff of the masked YAML ("" for removals)
    # For a removed Namespace or CRD: the keys of this cluster's objects that go with it.
    goes_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterDiff:
    cluster: str
    removed: tuple[ObjectChange, ...] = ()
    added: tuple[ObjectChange, ...] = ()
    changed: tuple[ObjectChange, ...] = ()
    base_count: int = 0  # objects on the cluster before
    head_count: int = 0  # and after
    prune_guard: bool = False  # the deletions exceed maxPruneFraction
    failures: tuple[str, ...] = ()  # "key: message" for manifests head could not make
    state: str = ""  # "" | "new cluster" | "no longer in the fleet"

    @property
    def prune_fraction(self) -> float:
        return len(self.removed) / self.base_count if self.base_count else 0.0

    @property
    def changes(self) -> tuple[ObjectChange, ...]:
        """Deletions first, then additions, then changes."""
        return self.removed + self.added + self.changed

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "state": self.state or None,
            "removed": [c.key for c in self.removed],
            "added": [c.key for c in self.added],
            "changed": [c.key for c in self.changed],
            "goesWith": {c.key: list(c.goes_with) for c in self.removed if c.goes_with},
            "diffs": {c.key: c.diff for c in self.added + self.changed},
            "objects": {"base": self.base_count, "head": self.head_count},
            "pruneFraction": round(self.prune_fraction, 4),
            "pruneGuard": self.prune_guard,
            "failures": list(self.failures),
        }


@dataclass(frozen=True)
class PlacementChange:
    """One fact about where a resource goes: ``type`` is one of ``added`` (new resource),
    ``removed`` (resource gone from the repo), ``placed`` (was unplaced), ``unplaced``,
    ``moved``, ``replicas`` or ``policy``; ``text`` says it in words."""

    resource: str
    type: str
    text: str
    clusters_from: tuple[str, ...] = ()
    clusters_to: tuple[str, ...] = ()
    cluster: str | None = None  # for ``replicas``
    old: Any = None
    new: Any = None
    cause: str = ""  # why the scheduler moved it (memory: the trigger, an eviction), when known

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"resource": self.resource, "type": self.type, "text": self.text}
        if self.cause:
            out["cause"] = self.cause
        if self.type in ("moved", "added", "removed", "placed", "unplaced"):
            out["from"] = list(self.clusters_from)
            out["to"] = list(self.clusters_to)
        if self.cluster is not None:
            out["cluster"] = self.cluster
        if self.type in ("replicas", "policy", "unplaced"):
            out["old"], out["new"] = self.old, self.new
        return out


@dataclass(frozen=True)
class Totals:
    removed: int
    added: int
    changed: int
    clusters: int  # clusters with at least one change

    def to_json(self) -> dict[str, int]:
        return {"removed": self.removed, "added": self.added, "changed": self.changed, "clusters": self.clusters}


@dataclass(frozen=True)
class PlanDiff:
    clusters: tuple[ClusterDiff, ...]  # clusters with changes, sorted by name
    placements: tuple[PlacementChange, ...]  # sorted by resource
    max_prune_fraction: float
    new_warnings: tuple[str, ...] = ()
    base_label: str = "base"
    head_label: str = "head"

    @property
    def totals(self) -> Totals:
        return Totals(
            removed=sum(len(c.removed) for c in self.clusters),
            added=sum(len(c.added) for c in self.clusters),
            changed=sum(len(c.changed) for c in self.clusters),
            clusters=len(self.clusters),
        )

    @property
    def has_changes(self) -> bool:
        return bool(self.clusters or self.placements)

    @property
    def prune_guard_clusters(self) -> tuple[str, ...]:
        return tuple(c.cluster for c in self.clusters if c.prune_guard)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base_label,
            "head": self.head_label,
            "hasChanges": self.has_changes,
            "totals": self.totals.to_json(),
            "maxPruneFraction": self.max_prune_fraction,
            "pruneGuard": list(self.prune_guard_clusters),
            "placements": [p.to_json() for p in self.placements],
            "clusters": [c.to_json() for c in self.clusters],
            "warnings": list(self.new_warnings),
        }
