"""What the reconciler observed of its members, read back from a status tree
(:class:`gitfleet.model.health.Observed`): the health files ``status/clusters/<name>.yaml``
and, from each member's apply report ``status/<name>.yaml``, the resources that were
ready there.

A resource counts as ready on a member when the last apply there listed it in the
``inventory``, reported no failure for it, and either reported it ready under
``workloads`` (with the desired replica count it was ready at) or did not list it there
(objects without replicas are ready once they exist). A report that cannot be read
counts as reporting nothing ready: readiness only ever ends a graceful eviction task
early, so reading too little is safe. Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from gitfleet.load.yamlio import load_plain
from gitfleet.model.health import Observed, TargetReady
from gitfleet.model.state import FleetState
from gitfleet.status.health import is_health_path, read_health
from gitfleet.status.layout import STATUS_DIR

MAX_REPORT_BYTES = 8 * 1024 * 1024  # a report of 10,000 objects is ~1 MB


def read_observed(files: Mapping[str, bytes], readiness_of: Collection[str] = ()) -> Observed:
    """The observation recorded in ``files`` (a status tree, or only its ``status/``
    folder), with readiness read only from the reports of the members in
    ``readiness_of`` (a render needs it only where a graceful eviction task waits).
    :class:`gitfleet.status.health.HealthError` for a health file that cannot be read
    (it changes placements, so it is checked like the state)."""
    health = read_health({p: b for p, b in files.items() if is_health_path(p)})
    ready: set[TargetReady] = set()
    wanted = set(readiness_of)
    for path, raw in files.items():
        cluster = _report_cluster(path)
        if cluster is not None and cluster in wanted:
            ready.update(ready_in_report(cluster, raw))
    return Observed(health, frozenset(ready))


def awaiting_readiness(state: FleetState) -> frozenset[str]:
    """The members whose readiness can end a graceful eviction task: the targets of
    every resource with a task."""
    return frozenset(t.name for r in state.resources.values() if r.eviction_tasks for t in r.clusters)


def _report_cluster(path: str) -> str | None:
    prefix = STATUS_DIR + "/"
    if not path.startswith(prefix) or not path.endswith(".yaml"):
        return None
    name = path[len(prefix):-len(".yaml")]
    return name if name and "/" not in name else None


def ready_in_report(cluster: str, raw: bytes) -> set[TargetReady]:
    """The resources a member's apply report shows ready (see the module's rule)."""
    if len(raw) > MAX_REPORT_BYTES:
        return set()
    try:
        docs = load_plain(raw.decode())
    except Exception:  # noqa: BLE001 - a report that does not parse reports nothing
        return set()
    doc = docs[0] if len(docs) == 1 else None
    if not isinstance(doc, Mapping) or doc.get("cluster") not in (None, cluster):
        return set()
    inventory = {k for k in _list(doc.get("inventory")) if isinstance(k, str)}
    failed = {str(f.get("resource")) for f in _list(doc.get("failures")) if isinstance(f, Mapping)}
    workloads: dict[str, Mapping[str, Any]] = {}
    for item in _list(doc.get("workloads")):
        if isinstance(item, Mapping) and isinstance(item.get("resource"), str):
            workloads[item["resource"]] = item
    out: set[TargetReady] = set()
    for key in inventory - failed:
        item = workloads.get(key)
        if item is None:
            out.add(TargetReady(cluster, key))
        elif item.get("ready") is True:
            replicas = item.get("replicas")
            out.add(TargetReady(cluster, key, replicas if _count(replicas) else None))
    return out


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def report_problem(cluster: str, raw: bytes) -> str | None:
    """Why an agent's report cannot be merged into the status branch (None when it can):
    a Pull member's agent is trusted with its own member only, so its report must be one
    bounded YAML mapping about that member."""
    if len(raw) > MAX_REPORT_BYTES:
        return f"the report is {len(raw):,} bytes, more than {MAX_REPORT_BYTES:,}"
    try:
        docs = load_plain(raw.decode())
    except Exception:  # noqa: BLE001 - any parse failure is the same answer
        return "the report is not YAML"
    if len(docs) != 1 or not isinstance(docs[0], Mapping):
        return "the report is not one YAML mapping"
    if docs[0].get("cluster") != cluster:
        return f"the report is about {str(docs[0].get('cluster'))[:80]!r}, not {cluster!r}"
    return None
