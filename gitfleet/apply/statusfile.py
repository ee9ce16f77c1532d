"""``status/<cluster>.yaml`` on the status branch: what the last apply to one cluster
achieved (revision, object counts, failures, drift, readiness) and its inventory.

The document holds no timestamps or durations, so an apply that changes nothing
writes nothing. Its ``inventory`` lists every key gitfleet may have applied to the
cluster and not pruned since, which is what later runs prune from: unlike the rendered
folder, it only moves when an apply does (``gitfleet render --commit`` may record a
render before it is applied). Pure.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from gitfleet.apply.result import ClusterResult
from gitfleet.load.yamlio import dump_yaml, load_plain
from gitfleet.redaction import Redactor
from gitfleet.status.layout import status_path as status_path  # noqa: PLC0414 - re-exported: the one path rule
from gitfleet.status.report import align

# Parsed status files by content: one apply reads each cluster's file several times
# (its inventory for the requests, again for the record), and the file of a large
# cluster lists thousands of keys.
_PARSED: dict[bytes, dict[str, Any]] = {}
_PARSED_SIZE = 64


def read_status(files: Mapping[str, bytes], cluster: str) -> dict[str, Any]:
    """The parsed status file of ``cluster`` in a status tree (empty when absent or
    unreadable: it is a report, and a bad one must not stop an apply)."""
    return copy.deepcopy(dict(_parsed(files, cluster)))  # the caller's to change


def inventory_keys(files: Mapping[str, bytes], cluster: str) -> set[str]:
    return {str(k) for k in _parsed(files, cluster).get("inventory") or ()}


def _parsed(files: Mapping[str, bytes], cluster: str) -> Mapping[str, Any]:
    raw = files.get(status_path(cluster))
    if not raw:
        return {}
    digest = hashlib.blake2b(raw, digest_size=20).digest()
    doc = _PARSED.get(digest)
    if doc is None:
        try:
            docs = load_plain(raw.decode())
        except Exception:  # noqa: BLE001 - see read_status
            return {}
        doc = docs[0] if docs and isinstance(docs[0], dict) else {}
        if len(_PARSED) >= _PARSED_SIZE:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[digest] = doc
    return doc


def cluster_status(
    result: ClusterResult,
    revision: str,
    desired: Iterable[str],
    previous: Mapping[str, Any] | None = None,
    inventory: Iterable[str] = (),
    keep: Iterable[str] = (),
    redactor: Redactor | None = None,
) -> dict[str, Any]:
    """The status document after ``result``.

    ``desired`` are the keys this run was to apply; ``previous`` is the cluster's last
    status document and ``inventory`` every key gitfleet may have applied there before.
    The new ``inventory`` (what a later run may prune) is the desired keys plus
    ``keep`` (suspended keys) when the run completed; otherwise it keeps the old
    inventory and adds what this run sent, so nothing is forgotten.
    ``appliedRevision`` is the last revision whose run completed.
    """
    previous = previous or {}
    redact = (redactor or Redactor()).text
    state = "Failed" if result.error else "Applied" if result.ok else "Degraded"
    doc: dict[str, Any] = {
        "cluster": result.cluster,
        "revision": revision,
        "appliedRevision": revision if result.complete else previous.get("appliedRevision"),
        "state": state,
    }
    if result.error:
        doc["error"] = redact(result.error)
    desired_keys = set(desired)
    counts = result.counts()
    objects = [o for o in result.objects if o.action != "pruned"]
    ready = [o for o in objects if o.readiness is not None]
    doc["objects"] = {
        "desired": len(desired_keys),
        "ready": sum(1 for o in ready if o.readiness and o.readiness.ready),
        "failed": counts.get("failed", 0),
        "conflict": counts.get("conflict", 0),
        "drifted": sum(1 for o in objects if o.drift),
    }
    failures = [
        {"resource": o.key, "action": o.action, "message": redact(o.message)}
        for o in result.objects if o.action in ("failed", "conflict")
    ]
    if failures:
        doc["failures"] = failures
    drift = [
        {**d.to_json(), "corrected": o.action == "configured"}
        for o in result.objects for d in o.drift
    ]
    if drift:
        doc["drift"] = drift
    workloads = []
    for o in ready:
        assert o.readiness is not None
        if o.readiness.replicas is not None or not o.readiness.ready:
            workloads.append({"resource": o.key, **o.readiness.to_json()})
    if workloads:
        doc["workloads"] = workloads
    pruned = {o.key for o in result.objects if o.action == "pruned"}
    if result.complete:
        kept = desired_keys | (set(inventory) & set(keep))
    else:
        kept = (set(inventory) | set(result.attempted)) - pruned
    doc["inventory"] = sorted(kept)
    return doc


def status_yaml(doc: Mapping[str, Any]) -> bytes:
    return dump_yaml(dict(doc)).encode()


def _number(value: Any, where: str, problems: list[str] | None) -> int:
    """A count from a status file as written (0 when absent); a hand-edited value
    that is not a whole number counts as 0 and is reported."""
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if problems is not None:
        problems.append(f"{where}: expected a whole number, found {value!r:.40}")
    return 0


def _mapping(value: Any, where: str, problems: list[str] | None) -> Mapping[str, Any]:
    if value is None or isinstance(value, Mapping):
        return value or {}
    if problems is not None:
        problems.append(f"{where}: expected a mapping, found {type(value).__name__}")
    return {}


def _items(value: Any, where: str, problems: list[str] | None) -> list[Mapping[str, Any]]:
    """The mappings of a list in a status file; anything else is reported and skipped."""
    if value is None:
        return []
    if not isinstance(value, list):
        if problems is not None:
            problems.append(f"{where}: expected a list, found {type(value).__name__}")
        return []
    out = []
    for index, item in enumerate(value):
        if isinstance(item, Mapping):
            out.append(item)
        elif problems is not None:
            problems.append(f"{where}[{index}]: expected a mapping, found {type(item).__name__}")
    return out


def aggregate_workloads(
    statuses: Mapping[str, Mapping[str, Any]], problems: list[str] | None = None
) -> list[dict[str, Any]]:
    """Readiness per resource across clusters, for ``gitfleet status``: ready replicas
    summed over the clusters that report the resource (e.g. 5/6 over 3 clusters).
    Values of the wrong type count as 0 and are added to ``problems``."""
    table: dict[str, dict[str, Any]] = {}
    for cluster in sorted(statuses):
        where = status_path(cluster)
        for index, item in enumerate(_items(statuses[cluster].get("workloads"), f"{where}: workloads", problems)):
            at = f"{where}: workloads[{index}]"
            row = table.setdefault(str(item.get("resource")), {
                "resource": str(item.get("resource")), "clusters": 0, "readyClusters": 0,
                "readyReplicas": 0, "replicas": 0,
            })
            row["clusters"] += 1
            row["readyClusters"] += 1 if item.get("ready") is True else 0
            row["readyReplicas"] += _number(item.get("readyReplicas"), f"{at}.readyReplicas", problems)
            row["replicas"] += _number(item.get("replicas"), f"{at}.replicas", problems)
    return [table[k] for k in sorted(table)]


def format_workloads(statuses: Mapping[str, Mapping[str, Any]], problems: list[str] | None = None) -> list[str]:
    """Text lines of :func:`aggregate_workloads` (a ``gitfleet status`` section)."""
    rows = aggregate_workloads(statuses, problems)
    if not rows:
        return []
    table = [("WORKLOAD", "READY")]
    for row in rows:
        replicas = f"{row['readyReplicas']}/{row['replicas']} replicas, " if row["replicas"] else ""
        table.append((row["resource"], f"{replicas}{row['readyClusters']}/{row['clusters']} clusters ready"))
    return ["", *align(table)]


def _drift_counts(doc: Mapping[str, Any], objects: Mapping[str, Any], where: str,
                  problems: list[str]) -> tuple[int, int]:
    """``(drifted, corrected)``: resources whose drift is still there, and resources
    whose drift this apply corrected (re-applied)."""
    if "drift" not in doc:
        return _number(objects.get("drifted"), f"{where}: objects.drifted", problems), 0
    entries = _items(doc.get("drift"), f"{where}: drift", problems)
    still = {str(d.get("resource")) for d in entries if d.get("corrected") is not True}
    corrected = {str(d.get("resource")) for d in entries if d.get("corrected") is True} - still
    return len(still), len(corrected)


def _objects_summary(doc: Mapping[str, Any], where: str, problems: list[str]) -> str:
    objects = _mapping(doc.get("objects"), f"{where}: objects", problems)
    counts = {k: _number(objects.get(k), f"{where}: objects.{k}", problems)
              for k in ("desired", "ready", "failed", "conflict")}
    parts = [f"{counts['desired']} desired", f"{counts['ready']} ready"]
    parts += [f"{counts[k]} {k}" for k in ("failed", "conflict") if counts[k]]
    drifted, corrected = _drift_counts(doc, objects, where, problems)
    if drifted:
        parts.append(f"{drifted} drifted")
    if corrected:
        parts.append(f"drift corrected ({corrected})")
    return ", ".join(parts)


def status_section(report: Any) -> list[str]:
    """A ``gitfleet status`` table section (passed to ``gitfleet.status.report.format_table``):
    one line per cluster from its status file, then readiness per workload, then what
    in those files could not be read."""
    clusters: Mapping[str, Any] = getattr(report, "clusters", {}) or {}
    docs = {name: doc for name, doc in clusters.items() if isinstance(doc, Mapping)}
    if not docs:
        return []
    problems: list[str] = []
    rows = [("CLUSTER", "STATE", "APPLIED", "OBJECTS")]
    for name in sorted(docs):
        doc, where = docs[name], status_path(name)
        applied = str(doc.get("appliedRevision") or "-")[:12]
        objects = _objects_summary(doc, where, problems)
        if doc.get("error"):
            objects += f"  error: {doc['error']}"
        rows.append((name, str(doc.get("state") or "?"), applied, objects))
    lines = ["", *align(rows), *format_workloads(docs, problems)]
    if problems:
        lines += ["", "wrong values on the status branch (counted as 0):", *(f"  {p}" for p in problems)]
    return lines
