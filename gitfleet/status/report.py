"""What ``gitfleet status`` shows, built from the tip of the status branch: the
placements, the source commit that was rendered (and whether the working tree was
dirty), and the per-cluster result files under ``status/`` (written by the apply
engine). Pure: the Git reading is the caller's.

The status branch is a Git branch anyone can push to, so every file is read as
possibly hand-edited: a file that does not parse or holds the wrong types is named in
``problems`` and the rest of the report is still shown.

A cluster counts only while the render at that commit still places something on it
(``placements.yaml`` or its folder under ``clusters/``): a cluster that left the
inventory keeps its last ``status/<cluster>.yaml`` (status files are never deleted),
and showing it as Applied, or counting its replicas, would report a fleet that no
longer exists. Such clusters are listed apart, as ``departed``.

Formatting is split into sections so that more of them (per-cluster health, drift,
last sync) are additions, not rewrites: :data:`TABLE_SECTIONS` lists them in order.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitfleet.load.yamlio import dump_yaml, load_plain
from gitfleet.model.health import ClusterHealth
from gitfleet.model.plan import ResourcePlacement
from gitfleet.status.health import HealthError, read_health
from gitfleet.status.layout import CLUSTERS_DIR, PLACEMENTS_FILE, STATUS_DIR, status_files, tree_to_placements


@dataclass(frozen=True)
class StatusReport:
    branch: str
    commit: str | None = None  # status commit SHA; None when the branch does not exist
    source: str | None = None  # Gitfleet-Source trailer
    time: int | None = None  # commit time (epoch seconds)
    placements: tuple[ResourcePlacement, ...] = ()
    # cluster name -> the parsed status/<cluster>.yaml (apply results), as written, for
    # the clusters the render still places something on
    clusters: Mapping[str, Any] = field(default_factory=dict)
    dirty: bool = False  # Gitfleet-Dirty: the render included uncommitted changes
    departed: tuple[str, ...] = ()  # clusters with a status file and nothing placed on them
    problems: tuple[str, ...] = ()  # "<file>: <what is wrong>", for files that could not be read
    health: Mapping[str, ClusterHealth] = field(default_factory=dict)  # status/clusters/: observed by gitfleet run

    def to_json(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "statusCommit": self.commit,
            "sourceCommit": self.source,
            "dirty": self.dirty,
            "renderedAt": _iso(self.time),
            "placements": [p.to_json() for p in self.placements],
            "clusters": dict(self.clusters),
            "departedClusters": list(self.departed),
            "memberHealth": {name: _health_json(h) for name, h in sorted(self.health.items())},
            "problems": list(self.problems),
        }


def _health_json(health: ClusterHealth) -> dict[str, Any]:
    ready = health.condition()
    return {
        "ready": ready.status if ready else None,
        "reason": ready.reason if ready else None,
        "lastProbe": health.last_probe.outcome if health.last_probe else None,
        "lastProbeTime": health.last_probe_time,
        "taints": [f"{t.key}:{t.effect}" for t in health.taints],
        "disruptionGuard": health.guard_active,
    }


def _iso(time: int | None) -> str | None:
    if time is None:
        return None
    return dt.datetime.fromtimestamp(time, dt.UTC).isoformat().replace("+00:00", "Z")


def _why(err: Exception) -> str:
    """One line saying what is wrong with a file, for ``problems``."""
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _placements(files: Mapping[str, bytes], problems: list[str]) -> tuple[ResourcePlacement, ...]:
    """The recorded placements; a malformed item is reported and skipped, not fatal."""
    try:
        return tree_to_placements(files)
    except Exception:  # noqa: BLE001 - hand-edited input: find the bad items
        return _placements_one_by_one(files, problems)


def _placements_one_by_one(files: Mapping[str, bytes], problems: list[str]) -> tuple[ResourcePlacement, ...]:
    try:
        docs = load_plain(files[PLACEMENTS_FILE].decode())
    except Exception as err:  # noqa: BLE001 - not YAML at all
        problems.append(f"{PLACEMENTS_FILE}: not readable: {_why(err)}")
        return ()
    items = docs[0] if docs else []
    if not isinstance(items, list):
        problems.append(f"{PLACEMENTS_FILE}: expected a list of placements, found {type(items).__name__}")
        return ()
    placements: list[ResourcePlacement] = []
    for index, item in enumerate(items):
        try:
            placements.extend(tree_to_placements({PLACEMENTS_FILE: dump_yaml([item]).encode()}))
        except Exception as err:  # noqa: BLE001 - one bad item does not hide the others
            problems.append(f"{PLACEMENTS_FILE}: item {index}: skipped: {_why(err)}")
    return tuple(placements)


def _status_documents(files: Mapping[str, bytes], problems: list[str]) -> dict[str, Any]:
    """cluster -> its parsed status file (a mapping); unreadable files are reported."""
    out: dict[str, Any] = {}
    for path, data in sorted(status_files(files).items()):
        name = path[len(STATUS_DIR) + 1:]
        if "/" in name or not name.endswith(".yaml"):
            continue
        try:
            docs = load_plain(data.decode())
        except Exception as err:  # noqa: BLE001 - hand-edited input
            problems.append(f"{path}: not readable: {_why(err)}")
            continue
        doc = docs[0] if docs else None
        if not isinstance(doc, dict):
            problems.append(f"{path}: expected a mapping, found {type(doc).__name__}")
            continue
        out[name[: -len(".yaml")]] = doc
    return out


def placed_clusters(files: Mapping[str, bytes], placements: Sequence[ResourcePlacement]) -> set[str]:
    """The clusters the render at this commit places something on."""
    names = {target.name for p in placements for target in p.clusters}
    prefix = CLUSTERS_DIR + "/"
    names.update(path[len(prefix):].partition("/")[0] for path in files if path.startswith(prefix))
    return names


def build_report(
    branch: str,
    commit: str | None,
    source: str | None,
    time: int | None,
    files: Mapping[str, bytes],
    dirty: bool = False,
) -> StatusReport:
    """The report of one status commit's tree (``commit`` None: no status branch yet)."""
    problems: list[str] = []
    placements = _placements(files, problems) if PLACEMENTS_FILE in files else ()
    docs = _status_documents(files, problems)
    placed = placed_clusters(files, placements)
    try:
        health = read_health(files)
    except HealthError as err:
        problems.append(str(err))
        health = {}
    return StatusReport(
        branch, commit, source, time, placements,
        clusters={name: doc for name, doc in docs.items() if name in placed},
        dirty=dirty,
        departed=tuple(sorted(set(docs) - placed)),
        problems=tuple(problems),
        health=health,
    )


def align(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines with every column but the last padded to its widest cell."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]).rstrip() for row in rows]


def _header(report: StatusReport) -> list[str]:
    if report.commit is None:
        return [f"status branch {report.branch} does not exist yet: run `gitfleet render --commit`"]
    dirty = "yes: the render includes uncommitted changes of the working tree" if report.dirty else "no"
    fields = [
        ("status branch:", f"{report.branch} at {report.commit[:12]}"),
        ("source commit:", report.source or "unknown"),
        ("rendered at:", _iso(report.time) or "unknown"),
        ("dirty:", dirty),
    ]
    width = max(len(label) for label, _ in fields) + 1
    return [f"{label:<{width}}{value}" for label, value in fields]


def _targets(p: ResourcePlacement) -> str:
    if not p.clusters:
        return f"(unplaced{': ' + p.reason if p.reason else ''})"
    return ", ".join(c.name if c.replicas is None else f"{c.name}:{c.replicas}" for c in p.clusters)


def _placements_table(report: StatusReport) -> list[str]:
    if report.commit is None:
        return []
    rows = [("RESOURCE", "POLICY", "CLUSTERS")] + [
        (p.resource, p.policy or "-", _targets(p)) for p in report.placements
    ]
    return ["", *align(rows)]


def _health(report: StatusReport) -> list[str]:
    """What ``gitfleet run`` observed of the members (absent when it never ran)."""
    if not report.health:
        return []
    rows = [("MEMBER", "READY", "LAST PROBE", "TAINTS")]
    for name, health in sorted(report.health.items()):
        ready = health.condition()
        probe = health.last_probe.outcome if health.last_probe else "-"
        rows.append((name, f"{ready.status} ({ready.reason})" if ready else "-",
                     f"{probe} at {health.last_probe_time}" if health.last_probe_time else probe,
                     ", ".join(f"{t.key}:{t.effect}" for t in health.taints) or "-"))
    lines = ["", *align(rows)]
    if any(h.guard_active for h in report.health.values()):
        lines.append("disruption guard active: too many members looked down at once; nothing is evicted")
    return lines


def _departed(report: StatusReport) -> list[str]:
    if not report.departed:
        return []
    return ["", f"no longer placed (left the inventory?), last apply results not counted: {', '.join(report.departed)}"]


def _problems(report: StatusReport) -> list[str]:
    if not report.problems:
        return []
    return ["", "unreadable on the status branch (left out above):", *(f"  {p}" for p in report.problems)]


Section = Callable[[StatusReport], list[str]]
# Each section renders one part of the table output; callers add their own (the
# apply results) through ``extra_sections``, since this layer may not import them.
TABLE_SECTIONS: tuple[Section, ...] = (_header, _placements_table, _health)
# Sections that close the table, after the callers' own.
CLOSING_SECTIONS: tuple[Section, ...] = (_departed, _problems)


def format_table(report: StatusReport, extra_sections: tuple[Section, ...] = ()) -> str:
    lines: list[str] = []
    for section in TABLE_SECTIONS + extra_sections + CLOSING_SECTIONS:
        lines.extend(section(report))
    return "\n".join(lines) + "\n"


def format_json(report: StatusReport) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def format_yaml(report: StatusReport) -> str:
    return dump_yaml(report.to_json())
