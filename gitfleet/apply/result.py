"""What an apply did, per cluster and per object, in the words Flux uses: created,
configured, unchanged, pruned, plus conflict (an object gitfleet does not own, left
alone), skipped and failed (with the API server's message)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from gitfleet.apply.drift import Drift
from gitfleet.apply.readiness import Readiness

Action = Literal["created", "configured", "unchanged", "pruned", "conflict", "skipped", "failed"]
ACTIONS: tuple[Action, ...] = ("created", "configured", "unchanged", "pruned", "conflict", "skipped", "failed")
FAILING: frozenset[str] = frozenset({"conflict", "failed"})


@dataclass(frozen=True)
class ObjectResult:
    key: str
    action: Action
    message: str = ""
    drift: tuple[Drift, ...] = ()
    readiness: Readiness | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"resource": self.key, "action": self.action}
        if self.message:
            out["message"] = self.message
        if self.drift:
            out["drift"] = [d.to_json() for d in self.drift]
        if self.readiness is not None:
            out["readiness"] = self.readiness.to_json()
        return out


@dataclass
class ClusterResult:
    """One cluster's outcome. ``error`` is set when the cluster as a whole failed
    (unreachable, refused mass prune); ``complete`` when the status branch may record
    the new render for it (every prune candidate was resolved)."""

    cluster: str
    objects: list[ObjectResult] = field(default_factory=list)
    error: str | None = None
    dry_run: bool = False
    complete: bool = False
    # Keys this run sent an apply for (the status branch's inventory must cover them).
    attempted: frozenset[str] = frozenset()
    writes: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and not any(o.action in FAILING for o in self.objects)

    def counts(self) -> dict[str, int]:
        out = {a: 0 for a in ACTIONS}
        for obj in self.objects:
            out[obj.action] += 1
        return {a: n for a, n in out.items() if n}

    def drift(self) -> list[Drift]:
        return [d for o in sorted(self.objects, key=lambda o: o.key) for d in o.drift]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "cluster": self.cluster,
            "ok": self.ok,
            "dryRun": self.dry_run,
            "counts": self.counts(),
            "objects": [o.to_json() for o in sorted(self.objects, key=lambda o: o.key)],
        }
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class FleetResult:
    clusters: dict[str, ClusterResult] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.clusters.values())

    def redacted(self, text: Callable[[str], str]) -> FleetResult:
        """The same result with every message passed through ``text`` (a redactor):
        the API server may quote a value it refused, and a Secret's value is one."""
        out = FleetResult()
        for name, cluster in self.clusters.items():
            objects = [replace(o, message=text(o.message)) if o.message else o for o in cluster.objects]
            out.clusters[name] = replace(cluster, objects=objects,
                                         error=text(cluster.error) if cluster.error else cluster.error)
        return out

    def exit_code(self) -> int:
        """0 when every cluster converged, 3 (partial failure) otherwise."""
        return 0 if self.ok else 3

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "clusters": [self.clusters[n].to_json() for n in sorted(self.clusters)]}
