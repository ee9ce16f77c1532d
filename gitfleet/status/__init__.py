"""The status branch as data: the rendered tree's layout (``placements.yaml``, one
file per manifest under ``clusters/``, the re-scheduling memory under ``state/``),
Secret masking by digest, and the ``gitfleet status`` report. Pure;
:mod:`gitfleet.git.statusbranch` writes it to Git."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitfleet._exports import export

if TYPE_CHECKING:
    from gitfleet.status.layout import plan_to_tree, tree_to_plan
    from gitfleet.status.report import StatusReport, build_report, format_table
    from gitfleet.status.state import StateError, read_state, state_files

__all__ = [
    "StateError", "StatusReport", "build_report", "format_table", "plan_to_tree", "read_state", "state_files",
    "tree_to_plan",
]
_HOMES = {
    "plan_to_tree": "layout", "tree_to_plan": "layout", "StatusReport": "report", "build_report": "report",
    "format_table": "report", "StateError": "state", "read_state": "state", "state_files": "state",
}


def __getattr__(name: str) -> Any:
    return export(__name__, _HOMES, name)
