"""WorkloadRebalancer documents (``apps.karmada.io/v1alpha1``): read, not ignored like
other control-plane kinds, since each one forces a fresh reschedule of the resources it
lists (KARMADA-RESCHEDULING §7). Checked by hand: the document is small and every
problem is reported at its position."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gitfleet.load.report import Reporter
from gitfleet.model.keys import ResourceId
from gitfleet.model.rebalancer import Rebalancer
from gitfleet.model.source import SourcePos

GROUP = "apps.karmada.io"
API_VERSION = "apps.karmada.io/v1alpha1"
KIND = "WorkloadRebalancer"
_REF_FIELDS = {"apiVersion": True, "kind": True, "name": True, "namespace": False}
_SPEC_FIELDS = ("workloads", "ttlSecondsAfterFinished")
_MAX_TEXT = 253


def creation_time(text: str) -> str | None:
    """``metadata.creationTimestamp`` as UTC RFC 3339, None when it is not a time."""
    if len(text) > 64:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_rebalancer(data: dict[str, Any], report: Reporter, pos: SourcePos) -> Rebalancer | None:
    """The rebalancer, or None after reporting why not. Without a creationTimestamp
    ``created`` is empty: it then fires once for each resource it lists (the record of
    what fired is the status branch's)."""
    if data.get("apiVersion") != API_VERSION:
        report.error(("apiVersion",), f"unsupported apiVersion {data.get('apiVersion')!r:.80} for {KIND}; "
                     f"use {API_VERSION}")
        return None
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name or len(name) > _MAX_TEXT:
        report.error(("metadata", "name") if isinstance(meta, dict) else ("metadata",),
                     "a WorkloadRebalancer needs a name (a string of 1 to 253 characters)")
    created = ""
    stamp = meta.get("creationTimestamp") if isinstance(meta, dict) else None
    if stamp is not None:
        parsed = creation_time(stamp) if isinstance(stamp, str) else None
        if parsed is None:
            report.error(("metadata", "creationTimestamp"), "not an RFC 3339 time (2026-12-04T10:00:00Z)")
        created = parsed or ""
    workloads = _workloads(data.get("spec"), report)
    if report.has_errors or not isinstance(name, str):
        return None
    return Rebalancer(name, created, workloads, pos)


def _workloads(spec: Any, report: Reporter) -> tuple[ResourceId, ...]:
    if not isinstance(spec, dict):
        report.error(("spec",) if spec is not None else (), "spec.workloads must list the resources to rebalance")
        return ()
    for key in spec:
        if key not in _SPEC_FIELDS:
            report.error(("spec", key), f"unknown field (a WorkloadRebalancer spec has {', '.join(_SPEC_FIELDS)})")
    items = spec.get("workloads")
    if not isinstance(items, list) or not items:
        report.error(("spec", "workloads") if "workloads" in spec else ("spec",),
                     "spec.workloads must be a non-empty list of {apiVersion, kind, namespace, name}")
        return ()
    out = []
    for i, item in enumerate(items):
        where = ("spec", "workloads", i)
        if not isinstance(item, dict):
            report.error(where, "must be a mapping {apiVersion, kind, namespace, name}")
            continue
        ok = True
        for key in item:
            if key not in _REF_FIELDS:
                report.error((*where, key), "unknown field (a workload is apiVersion, kind, namespace, name)")
                ok = False
        for key, required in _REF_FIELDS.items():
            value = item.get(key)
            if value is None and not required:
                continue
            if not isinstance(value, str) or not value or len(value) > _MAX_TEXT:
                report.error((*where, key) if key in item else where, f"{key} must be a non-empty string")
                ok = False
        if ok:
            out.append(ResourceId(item["apiVersion"], item["kind"], item.get("namespace"), item["name"]))
    return tuple(out)
