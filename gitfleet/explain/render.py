"""Turns one resource's :class:`Explanation` into text or JSON-ready data (pure)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from gitfleet.model.plan import Explanation, FilterVerdict, ResourcePlacement

_IMPLICIT = {0: "no match", 1: "kind only", 2: "labelSelector", 3: "name"}


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def explanation_data(
    exp: Explanation, placement: ResourcePlacement, clusters: Sequence[str]
) -> dict[str, Any]:
    wanted = set(clusters)
    schedule = exp.schedule
    return {
        "resource": exp.resource,
        "policy": placement.policy,
        "candidates": [asdict(c) for c in exp.candidates],
        "affinityTerm": schedule.affinity_term if schedule else None,
        "error": placement.reason,
        "clusters": [
            {"name": c.name, "replicas": c.replicas} for c in placement.clusters if c.name in wanted
        ],
        "verdicts": [asdict(v) for v in (schedule.verdicts if schedule else ()) if v.cluster in wanted],
        "arithmetic": list(schedule.arithmetic) if schedule else [],
        "overrides": {
            name: [asdict(o) for o in changes]
            for name, changes in sorted(exp.overrides.items()) if name in wanted
        },
        "notes": list(exp.notes),
    }


def explanation_text(
    exp: Explanation, placement: ResourcePlacement, clusters: Sequence[str]
) -> str:
    """Human-readable explanation, restricted to ``clusters`` (sorted names)."""
    lines = [f"resource: {exp.resource}"]
    policy = placement.policy or "(none)"
    if placement.depended_by:
        policy += f"; follows {', '.join(placement.depended_by)} (propagateDeps)"
    lines.append(f"policy:   {policy}")
    if exp.candidates:
        lines.append("policies considered:")
        width = max(len(c.policy) for c in exp.candidates)
        for cand in exp.candidates:
            lines.append(
                f"  {cand.policy:<{width}}  priority {cand.priority}, selector match:"
                f" {_IMPLICIT.get(cand.implicit_priority, cand.implicit_priority)}  -> {cand.verdict}"
            )
    schedule = exp.schedule
    if schedule and schedule.affinity_term:
        lines.append(f"cluster affinity term: {schedule.affinity_term}")
    placed = {c.name: c.replicas for c in placement.clusters}
    verdicts: dict[str, list[FilterVerdict]] = defaultdict(list)
    for verdict in schedule.verdicts if schedule else ():
        verdicts[verdict.cluster].append(verdict)
    lines.append("clusters:")
    for name in clusters:
        if name in placed:
            replicas = placed[name]
            head = "placed" + ("" if replicas is None else f", {replicas} replica{'' if replicas == 1 else 's'}")
            if name in placement.suspended:
                head += ", dispatching suspended"
        elif name in placement.retained:
            head = "not placed; its old copy is kept there until the graceful eviction task ends"
        else:
            head = "not placed"
        lines.append(f"  {name}: {head}")
        for verdict in verdicts.get(name, ()):
            mark = "ok  " if verdict.passed else "FAIL"
            reason = f": {verdict.reason}" if verdict.reason else ""
            lines.append(f"    {mark} {verdict.step}{reason}")
    if placement.reason:
        lines.append(f"unplaced: {placement.reason}")
    if schedule and schedule.arithmetic:
        lines.append("replicas:")
        lines.extend(f"  {line}" for line in schedule.arithmetic)
    changed = [(n, exp.overrides[n]) for n in clusters if n in exp.overrides]
    if changed:
        lines.append("overrides:")
        for name, changes in changed:
            lines.append(f"  {name}:")
            for change in changes:
                lines.append(
                    f"    {change.pointer}  {change.policy} rule {change.rule} {change.overrider}:"
                    f" {_short(change.old)} -> {_short(change.new)}"
                )
    if exp.notes:
        lines.append("notes:")
        lines.extend(f"  {note}" for note in exp.notes)
    return "\n".join(lines) + "\n"
