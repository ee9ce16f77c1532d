"""The planner: from a loaded fleet to placements and per-cluster manifests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitfleet._exports import export

if TYPE_CHECKING:
    from gitfleet.plan.build import build_plan
    from gitfleet.plan.namespaces import adoption_hint, auto_propagated_namespace
    from gitfleet.plan.ownership import add_ownership_labels, is_owned

__all__ = [
    "add_ownership_labels", "adoption_hint", "auto_propagated_namespace", "build_plan", "is_owned",
]
_HOMES = {
    "build_plan": "build", "adoption_hint": "namespaces", "auto_propagated_namespace": "namespaces",
    "add_ownership_labels": "ownership", "is_owned": "ownership",
}


def __getattr__(name: str) -> Any:
    return export(__name__, _HOMES, name)
