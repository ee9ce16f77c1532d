"""The status branch as data: the rendered tree's layout (``placements.yaml`` and one
file per manifest under ``clusters/``), Secret masking by digest, and the ``gitfleet
status`` report. Pure; :mod:`gitfleet.git.statusbranch` writes it to Git."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitfleet._exports import export

if TYPE_CHECKING:
    from gitfleet.status.layout import plan_to_tree, tree_to_plan
    from gitfleet.status.report import StatusReport, build_report, format_table

__all__ = [
    "StatusReport", "build_report", "format_table", "plan_to_tree", "tree_to_plan",
]
_HOMES = {
    "plan_to_tree": "layout", "tree_to_plan": "layout", "StatusReport": "report", "build_report": "report",
    "format_table": "report",
}


def __getattr__(name: str) -> Any:
    return export(__name__, _HOMES, name)
