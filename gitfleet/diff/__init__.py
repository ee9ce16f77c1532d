"""The pull-request dry run: what a change to the fleet repo would do to each cluster.
Pure: takes two Plans, returns a PlanDiff, and formats it as text, markdown or JSON."""

from gitfleet.diff.compute import diff_plans
from gitfleet.diff.jsonout import format_json
from gitfleet.diff.markdown import format_markdown
from gitfleet.diff.model import ClusterDiff, ObjectChange, PlacementChange, PlanDiff, Totals
from gitfleet.diff.text import format_text

__all__ = [
    "ClusterDiff", "ObjectChange", "PlacementChange", "PlanDiff", "Totals",
    "diff_plans", "format_json", "format_markdown", "format_text",
]
