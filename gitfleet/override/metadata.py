"""Karmada's labelsOverrider and annotationsOverrider (``labelannotationoverrider.go``).

``add`` sets every key and creates the map when it is missing; ``replace`` and
``remove`` only touch keys that already exist, silently skipping the others.

Where Karmada reads a map the API server has already normalised, a Git template may
still hold ``labels: null`` (read here as missing). Karmada skips a key when
``metadata`` is not an object; so does this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitfleet.model.policy import MetadataOverrider
from gitfleet.override._doc import Cow, OverriderFailure


def apply_metadata_overriders(
    doc: Mapping[str, Any], field: str, overriders: tuple[MetadataOverrider, ...]
) -> Mapping[str, Any]:
    """Apply labelsOverrider (``field="labels"``) or annotationsOverrider
    (``field="annotations"``) entries in order; returns a new document, or ``doc``
    when nothing changed."""
    cow = Cow(doc)
    for number, overrider in enumerate(overriders):
        if not overrider.value:
            continue
        metadata = cow.root.get("metadata")
        if metadata is not None and not isinstance(metadata, Mapping):
            continue
        current = metadata.get(field) if metadata is not None else None
        if current is not None and not isinstance(current, Mapping):
            if overrider.operator == "add":
                raise OverriderFailure(f"entry {number}: /metadata/{field} is not a map")
            continue
        if overrider.operator == "add":
            if metadata is None:
                cow.set(("metadata",), cow.adopt({}))
            if current is None:
                cow.set(("metadata", field), cow.adopt({}))
            target = cow.owned(("metadata", field))
            for key, value in overrider.value.items():
                target[key] = value
        elif overrider.operator in ("replace", "remove"):
            present = [key for key in overrider.value if current is not None and key in current]
            if not present:
                continue
            target = cow.owned(("metadata", field))
            for key in present:
                if overrider.operator == "replace":
                    target[key] = overrider.value[key]
                else:
                    del target[key]
        else:
            raise OverriderFailure(f"entry {number}: unsupported operator {overrider.operator!r}")
    result: Mapping[str, Any] = cow.root
    return result


def apply_labels_overriders(doc: Mapping[str, Any], overriders: tuple[MetadataOverrider, ...]) -> Mapping[str, Any]:
    return apply_metadata_overriders(doc, "labels", overriders)


def apply_annotations_overriders(
    doc: Mapping[str, Any], overriders: tuple[MetadataOverrider, ...]
) -> Mapping[str, Any]:
    return apply_metadata_overriders(doc, "annotations", overriders)
