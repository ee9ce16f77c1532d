"""Text output of apply, drift and live diff results: one line per cluster with its
counts, then one line per object that did something or needs attention. Pure."""

from __future__ import annotations

import json
from typing import Any

from gitfleet.apply.drift import Drift
from gitfleet.apply.result import ClusterResult, FleetResult


def _value(value: Any) -> str:
    if value is None:
        return "<absent>"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def drift_line(d: Drift) -> str:
    return f"{d.key} {d.pointer or '/'}: desired {_value(d.desired)}, live {_value(d.live)}"


def _summary(result: ClusterResult) -> str:
    counts = ", ".join(f"{n} {action}" for action, n in result.counts().items())
    if not counts:
        # A cluster that failed as a whole did nothing, but "nothing to do" would say it is fine.
        counts = "not reconciled" if result.error else "nothing to do"
    dry = " (dry run)" if result.dry_run else ""
    return f"{result.cluster}: {counts}{dry}"


def format_apply(result: FleetResult, show_unchanged: bool = False) -> str:
    lines: list[str] = []
    for name in sorted(result.clusters):
        cluster = result.clusters[name]
        lines.append(_summary(cluster))
        if cluster.error:
            lines.append(f"  error: {cluster.error}")
        for obj in cluster.objects:
            if obj.action == "unchanged" and not obj.drift and not show_unchanged:
                continue
            message = f": {obj.message}" if obj.message else ""
            lines.append(f"  {obj.action:<10} {obj.key}{message}")
            for d in obj.drift:
                lines.append(f"    drift {d.pointer or '/'}: desired {_value(d.desired)}, live {_value(d.live)}")
    return "\n".join(lines) + "\n"


def format_drift(result: FleetResult) -> str:
    """``cluster key pointer: desired X, live Y`` per drifted field, and the clusters
    that could not be checked."""
    lines: list[str] = []
    for name in sorted(result.clusters):
        cluster = result.clusters[name]
        if cluster.error:
            lines.append(f"{name}: error: {cluster.error}")
        for obj in cluster.objects:
            if obj.action in ("conflict", "failed"):
                lines.append(f"{name}: {obj.action} {obj.key}: {obj.message}")
            for d in obj.drift:
                lines.append(f"{name}: {drift_line(d)}")
    if not lines:
        lines.append("no drift")
    return "\n".join(lines) + "\n"


def drift_json(result: FleetResult) -> dict[str, Any]:
    return {
        "drift": [
            {"cluster": name, **d.to_json()}
            for name in sorted(result.clusters) for d in result.clusters[name].drift()
        ],
        "errors": {n: c.error for n, c in sorted(result.clusters.items()) if c.error},
        "conflicts": [
            {"cluster": n, "resource": o.key, "message": o.message}
            for n, c in sorted(result.clusters.items()) for o in c.objects if o.action == "conflict"
        ],
    }


def format_live_diff(result: FleetResult) -> str:
    """What an apply would do on the live clusters: per object the action and, for
    changed objects, each field as ``pointer: live -> after``."""
    lines: list[str] = []
    for name in sorted(result.clusters):
        cluster = result.clusters[name]
        if cluster.error:
            lines.append(f"{name}: error: {cluster.error}")
            continue
        changed = [o for o in cluster.objects if o.action != "unchanged"]
        lines.append(f"{name}: {len(changed)} change(s)" if changed else f"{name}: in sync")
        for obj in changed:
            message = f": {obj.message}" if obj.message else ""
            lines.append(f"  {obj.action:<10} {obj.key}{message}")
            for d in obj.drift:
                lines.append(f"    {d.pointer or '/'}: {_value(d.live)} -> {_value(d.desired)}")
    return "\n".join(lines) + "\n"
