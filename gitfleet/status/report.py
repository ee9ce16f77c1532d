"""What ``gitfleet status`` shows, built from the tip of the status branch: the
placements, the source commit that was rendered, and the per-cluster result files
under ``status/`` (written by the apply engine). Pure: the Git reading is the caller's.

Formatting is split into sections so that more of them (per-cluster health, drift,
last sync) are additions, not rewrites: :data:`TABLE_SECTIONS` lists them in order.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitfleet.load.yamlio import dump_yaml, load_plain
from gitfleet.model.plan import ResourcePlacement
from gitfleet.status.layout import STATUS_DIR, status_files, tree_to_placements


@dataclass(frozen=True)
class StatusReport:
    branch: str
    commit: str | None = None  # status commit SHA; None when the branch does not exist
    source: str | None = None  # Gitfleet-Source trailer
    time: int | None = None  # commit time (epoch seconds)
    placements: tuple[ResourcePlacement, ...] = ()
    # cluster name -> the parsed status/<cluster>.yaml (apply results), as written
    clusters: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "statusCommit": self.commit,
            "sourceCommit": self.source,
            "renderedAt": _iso(self.time),
            "placements": [p.to_json() for p in self.placements],
            "clusters": dict(self.clusters),
        }


def _iso(time: int | None) -> str | None:
    if time is None:
        return None
    return dt.datetime.fromtimestamp(time, dt.UTC).isoformat().replace("+00:00", "Z")


def build_report(
    branch: str, commit: str | None, source: str | None, time: int | None, files: Mapping[str, bytes]
) -> StatusReport:
    """The report of one status commit's tree (``commit`` None: no status branch yet)."""
    clusters: dict[str, Any] = {}
    for path, data in sorted(status_files(files).items()):
        name = path[len(STATUS_DIR) + 1:]
        if "/" in name or not name.endswith(".yaml"):
            continue
        docs = load_plain(data.decode())
        clusters[name[: -len(".yaml")]] = docs[0] if docs else None
    return StatusReport(branch, commit, source, time, tree_to_placements(files), clusters)


def _header(report: StatusReport) -> list[str]:
    if report.commit is None:
        return [f"status branch {report.branch} does not exist yet: run `gitfleet render --commit`"]
    return [
        f"status branch: {report.branch} at {report.commit[:12]}",
        f"source commit: {report.source or 'unknown'} (rendered {_iso(report.time)})",
    ]


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
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    return ["", *(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}".rstrip() for r in rows)]


Section = Callable[[StatusReport], list[str]]
# Each section renders one part of the table output; callers add their own (the
# apply results) through ``extra_sections``, since this layer may not import them.
TABLE_SECTIONS: tuple[Section, ...] = (_header, _placements_table)


def format_table(report: StatusReport, extra_sections: tuple[Section, ...] = ()) -> str:
    lines: list[str] = []
    for section in TABLE_SECTIONS + extra_sections:
        lines.extend(section(report))
    return "\n".join(lines) + "\n"


def format_json(report: StatusReport) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def format_yaml(report: StatusReport) -> str:
    return dump_yaml(report.to_json())
