"""What gitfleet applies to a member: the plan's manifest with the ownership labels
and a digest of the whole desired content in an annotation. A live object whose
digest equals the desired one was applied from the same content, so it is not written
again (steady state: zero writes); the live objects thus remember what was applied,
even when a run died before the status branch recorded anything."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from gitfleet.plan.ownership import add_ownership_labels

DIGEST_ANNOTATION = "gitfleet.io/digest"


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of the manifest's canonical JSON, the digest annotation excluded."""
    meta = dict(manifest.get("metadata") or {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != DIGEST_ANNOTATION}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    body = {**manifest, "metadata": meta}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def prepare(manifest: Mapping[str, Any], fleet: str) -> dict[str, Any]:
    """``manifest`` ready to apply: ownership labels, digest annotation. Only the
    metadata is copied; the rest is shared with the plan's manifest, which nothing
    downstream mutates (see :mod:`gitfleet.plan.copy`)."""
    meta = dict(manifest.get("metadata") or {})
    meta["labels"] = dict(meta.get("labels") or {})
    out = {**manifest, "metadata": meta}
    add_ownership_labels(out, fleet)
    meta["annotations"] = {k: v for k, v in (meta.get("annotations") or {}).items() if k != DIGEST_ANNOTATION}
    meta["annotations"][DIGEST_ANNOTATION] = manifest_digest(out)
    return out


def applied_digest(obj: Mapping[str, Any] | None) -> str | None:
    """The digest a live object was last applied with, if gitfleet applied it."""
    if not obj:
        return None
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(DIGEST_ANNOTATION)
    return str(value) if value else None
