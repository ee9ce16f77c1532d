"""Per-cluster manifests share everything they do not change with their template.

Copying each template once per target cluster was the planner's largest cost (10,000
deep copies for the default benchmark fleet). Only the parts the planner itself writes
— the top level, ``metadata`` with its ``labels``, and ``spec`` (replicas) — are
copied; overriders copy on write. Plans are therefore read-only: nothing downstream
may mutate a manifest in place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def own_writable_parts(obj: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    metadata = out.get("metadata")
    if isinstance(metadata, dict):
        metadata = out["metadata"] = dict(metadata)
        if isinstance(metadata.get("labels"), dict):
            metadata["labels"] = dict(metadata["labels"])
    if isinstance(out.get("spec"), dict):
        out["spec"] = dict(out["spec"])
    return out
