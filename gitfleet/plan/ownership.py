"""The labels that mark an object as gitfleet's (DESIGN.md §5). Apply and prune rely on
them: gitfleet never deletes an object that does not carry both."""

from __future__ import annotations

from typing import Any

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "gitfleet"
FLEET_LABEL = "gitfleet.io/fleet"


def add_ownership_labels(manifest: dict[str, Any], fleet_name: str) -> None:
    """Set the ownership labels on a manifest the caller owns (mutates it)."""
    metadata = manifest.get("metadata")
    if not isinstance(metadata, dict):
        metadata = manifest["metadata"] = {}
    labels = metadata.get("labels")
    if not isinstance(labels, dict):
        labels = metadata["labels"] = {}
    labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE
    labels[FLEET_LABEL] = fleet_name


def is_owned(obj: dict[str, Any], fleet_name: str) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE and labels.get(FLEET_LABEL) == fleet_name
