"""The observed health of the members (:class:`gitfleet.model.health.ClusterHealth`) as
files of the status tree, both ways (format: ``docs/status-branch.md``)::

    status/clusters/<cluster>.yaml

Written canonically (keys sorted, defaults left out) so the same health gives the same
bytes. Every file carries ``version``; a reader keeps top-level fields it does not know
(``extra``) and refuses a newer version rather than drop what it cannot understand.

The status branch is untrusted (anyone who can push to it): reading checks every type,
bound and name and fails with :class:`HealthError` at ``path:line:col``, never with a
traceback. Pure: no I/O.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from typing import Any, cast

from gitfleet.errors import PositionedError
from gitfleet.load.yamlio import dump_yaml
from gitfleet.model.cluster import ResourceSummary, Taint
from gitfleet.model.health import OUTCOMES, ClusterHealth, Condition, ConditionStatus, Outcome, ProbeResult
from gitfleet.model.quantity import parse_quantity
from gitfleet.status.capacity import NodesRecordError, nodes_record, read_nodes
from gitfleet.status.layout import STATUS_DIR, UnsafePathError, path_component
from gitfleet.status.record import RecordReader, one_document, type_name

FORMAT_VERSION = 1
HEALTH_DIR = f"{STATUS_DIR}/clusters"

MAX_NAME_CHARS = 253
MAX_TEXT_CHARS = 4_096
MAX_ITEMS = 64  # conditions, taints, resources of a summary: a handful in practice
MAX_INT32 = 2**31 - 1
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_STATUSES = ("True", "False", "Unknown")
_SUMMARY_PARTS = ("allocatable", "allocated", "allocating")
_RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z")

_FIELDS = frozenset({"version", "cluster", "conditions", "taints", "lastProbe", "consecutiveFailures",
                     "consecutiveSuccesses", "disruptionGuard", "resourceSummary"})
_CONDITION_FIELDS = frozenset({"type", "status", "reason", "message", "lastTransitionTime"})
_TAINT_FIELDS = frozenset({"key", "value", "effect", "timeAdded"})
_PROBE_FIELDS = frozenset({"time", "result", "message"})


class HealthError(PositionedError):
    """A file under ``status/clusters/`` that cannot be read."""


def health_path(cluster: str) -> str:
    """``status/clusters/<cluster>.yaml``; :class:`UnsafePathError` for a name that
    cannot be a file name."""
    return f"{HEALTH_DIR}/{path_component(cluster, 'cluster')}.yaml"


def is_health_path(path: str) -> bool:
    return path.startswith(HEALTH_DIR + "/")


# ---------------------------------------------------------------------------
# writing


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def _condition_doc(c: Condition) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": c.type, "status": c.status}
    if c.reason:
        doc["reason"] = c.reason
    if c.message:
        doc["message"] = c.message
    if c.last_transition_time:
        doc["lastTransitionTime"] = c.last_transition_time
    return doc


def _taint_doc(t: Taint) -> dict[str, Any]:
    doc: dict[str, Any] = {"key": t.key, "effect": t.effect}
    if t.value:
        doc["value"] = t.value
    if t.time_added:
        doc["timeAdded"] = t.time_added
    return doc


def health_yaml(health: ClusterHealth) -> bytes:
    """The file of one member's observed health."""
    doc: dict[str, Any] = {"version": FORMAT_VERSION, "cluster": health.cluster}
    if health.conditions:
        doc["conditions"] = [_condition_doc(c) for c in sorted(health.conditions, key=lambda c: c.type)]
    if health.taints:
        # The machine's order (NoSchedule first), which is also what apply_observed adds.
        doc["taints"] = [_taint_doc(t) for t in health.taints]
    if health.last_probe is not None or health.last_probe_time:
        probe: dict[str, Any] = {}
        if health.last_probe_time:
            probe["time"] = health.last_probe_time
        if health.last_probe is not None:
            probe["result"] = health.last_probe.outcome
            if health.last_probe.message:
                probe["message"] = health.last_probe.message
        doc["lastProbe"] = probe
    if health.consecutive_failures:
        doc["consecutiveFailures"] = health.consecutive_failures
    if health.consecutive_successes:
        doc["consecutiveSuccesses"] = health.consecutive_successes
    if health.guard_active:
        doc["disruptionGuard"] = True
    if health.resource_summary is not None:
        s = health.resource_summary
        doc["resourceSummary"] = {part: dict(getattr(s, part)) for part in _SUMMARY_PARTS if getattr(s, part)}
        if s.nodes is not None:
            doc["resourceSummary"]["nodes"] = nodes_record(s.nodes)
    return dump_yaml(_canonical({**health.extra, **doc})).encode()


def health_files(observed: Mapping[str, ClusterHealth]) -> dict[str, bytes]:
    """``{status/clusters/<name>.yaml: bytes}`` of every observed member, for
    ``extra_files`` of a status commit. Raises :class:`UnsafePathError` for a name that
    cannot be a path, ValueError for a record filed under another name."""
    files: dict[str, bytes] = {}
    for name in sorted(observed):
        health = observed[name]
        if health.cluster != name:
            raise ValueError(f"the health of {health.cluster} is filed under {name}")
        files[health_path(name)] = health_yaml(health)
    return files


# ---------------------------------------------------------------------------
# reading

Where = tuple[str | int, ...]


class _Doc(RecordReader):
    error = HealthError
    max_items = MAX_ITEMS
    max_entries = MAX_ITEMS
    max_text = MAX_TEXT_CHARS


_type = type_name


def _get(data: Mapping[str, Any], key: str, default: Any) -> Any:
    value = data.get(key)
    return default if value is None else value


def _condition(doc: _Doc, where: Where, value: Any) -> Condition:
    item = doc.mapping(where, value, _CONDITION_FIELDS)
    doc.required(where, item, "type", "status")
    when = item.get("lastTransitionTime")
    return Condition(
        type=doc.text((*where, "type"), item["type"], 316),
        status=cast(ConditionStatus, doc.one_of((*where, "status"), item["status"], _STATUSES)),
        reason=doc.text((*where, "reason"), _get(item, "reason", "")),
        message=doc.text((*where, "message"), _get(item, "message", "")),
        last_transition_time=None if when is None else doc.time((*where, "lastTransitionTime"), when),
    )


def _taint(doc: _Doc, where: Where, value: Any) -> Taint:
    item = doc.mapping(where, value, _TAINT_FIELDS)
    doc.required(where, item, "key", "effect")
    added = item.get("timeAdded")
    return Taint(
        key=doc.text((*where, "key"), item["key"], 316),
        value=doc.text((*where, "value"), _get(item, "value", ""), 63),
        effect=doc.one_of((*where, "effect"), item["effect"], _EFFECTS),
        time_added=None if added is None else doc.time((*where, "timeAdded"), added),
    )


def _probe(doc: _Doc, value: Any) -> tuple[str | None, ProbeResult | None]:
    where: Where = ("lastProbe",)
    item = doc.mapping(where, value, _PROBE_FIELDS)
    when = item.get("time")
    result = None
    if item.get("result") is not None:
        outcome = doc.one_of((*where, "result"), item["result"], OUTCOMES)
        result = ProbeResult(cast(Outcome, outcome), doc.text((*where, "message"), _get(item, "message", "")))
    elif "message" in item:
        raise doc.fail((*where, "message"), "a message needs the 'result' it explains")
    return (None if when is None else doc.time((*where, "time"), when)), result


def _quantity(doc: _Doc, where: Where, value: Any) -> str | int | float:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise doc.fail(where, f"expected a quantity such as 8, 500m or 64Gi, found {_type(value)}")
    if isinstance(value, str) and len(value) > 64 or isinstance(value, int) and abs(value) > 10**18:
        raise doc.fail(where, "the quantity is out of range")
    if isinstance(value, float) and not math.isfinite(value):
        raise doc.fail(where, f"{value} is not a quantity")
    try:
        parse_quantity(value)
    except (ValueError, OverflowError):
        raise doc.fail(where, f"{str(value)[:64]!r} is not a quantity such as 8, 500m or 64Gi") from None
    return value


def _summary(doc: _Doc, value: Any) -> ResourceSummary:
    where: Where = ("resourceSummary",)
    item = doc.mapping(where, value, frozenset((*_SUMMARY_PARTS, "nodes")))
    parts: dict[str, dict[str, Any]] = {}
    for part in _SUMMARY_PARTS:
        entries = doc.mapping((*where, part), _get(item, part, {}))
        parts[part] = {doc.text((*where, part, name), name, 316): _quantity(doc, (*where, part, name), q)
                       for name, q in entries.items()}
    nodes = None
    if item.get("nodes") is not None:
        try:
            nodes = read_nodes(item["nodes"])
        except NodesRecordError as err:
            raise doc.fail((*where, "nodes", *err.where), err.message) from None
    return ResourceSummary(allocatable=parts["allocatable"], allocated=parts["allocated"],
                           allocating=parts["allocating"], nodes=nodes)


def read_health_file(path: str, raw: bytes) -> ClusterHealth:
    """One ``status/clusters/<name>.yaml``; :class:`HealthError` when it cannot be read."""
    document = one_document(path, raw, HealthError)
    doc = _Doc(path, document.locator)
    data = doc.mapping((), document.data)
    if "version" not in data:
        raise doc.fail((), f"no 'version' field: every health file says its format version ({FORMAT_VERSION})")
    version = data["version"]
    if type(version) is not int or version < 1:
        raise doc.fail(("version",), f"expected a positive whole number, found {version!r:.40}")
    if version > FORMAT_VERSION:
        raise doc.fail(("version",), f"written by a newer gitfleet (health format version {version}); this"
                                     f" gitfleet reads version {FORMAT_VERSION}: upgrade gitfleet")
    if "cluster" not in data:
        raise doc.fail((), "no 'cluster' field: the member this file observes")
    name = doc.text(("cluster",), data["cluster"], MAX_NAME_CHARS)
    try:
        expected = health_path(name)
    except UnsafePathError as exc:
        raise doc.fail(("cluster",), str(exc)) from None
    if expected != path:
        raise doc.fail(("cluster",), f"the health of {name} belongs in {expected}")
    conditions = tuple(_condition(doc, ("conditions", i), v)
                       for i, v in enumerate(doc.items(("conditions",), _get(data, "conditions", []))))
    types = [c.type for c in conditions]
    for index, kind in enumerate(types):
        if kind in types[:index]:
            raise doc.fail(("conditions", index, "type"), f"a second {kind} condition")
    taints = tuple(_taint(doc, ("taints", i), v) for i, v in enumerate(doc.items(("taints",), _get(data, "taints", []))))
    seen = [(t.key, t.effect) for t in taints]
    for index, pair in enumerate(seen):
        if pair in seen[:index]:
            raise doc.fail(("taints", index), f"taint {pair[0]}:{pair[1]} is listed twice")
    probe_time, probe = _probe(doc, data["lastProbe"]) if data.get("lastProbe") is not None else (None, None)
    guard = _get(data, "disruptionGuard", False)
    if type(guard) is not bool:
        raise doc.fail(("disruptionGuard",), f"expected true or false, found {_type(guard)}")
    summary = _summary(doc, data["resourceSummary"]) if data.get("resourceSummary") is not None else None
    return ClusterHealth(
        cluster=name,
        conditions=tuple(sorted(conditions, key=lambda c: c.type)),
        taints=taints,
        last_probe_time=probe_time,
        last_probe=probe,
        consecutive_failures=doc.count(("consecutiveFailures",), _get(data, "consecutiveFailures", 0)),
        consecutive_successes=doc.count(("consecutiveSuccesses",), _get(data, "consecutiveSuccesses", 0)),
        guard_active=guard,
        resource_summary=summary,
        extra=copy.deepcopy({k: v for k, v in data.items() if k not in _FIELDS}),
    )


def read_health(files: Mapping[str, bytes]) -> dict[str, ClusterHealth]:
    """The observed health recorded in a status tree (its ``status/clusters/`` files;
    other files are not looked at), by member name; empty when there is none.
    :class:`HealthError` for the first file that cannot be read."""
    out: dict[str, ClusterHealth] = {}
    for path in sorted(p for p in files if is_health_path(p)):
        rest = path[len(HEALTH_DIR) + 1:]
        if "/" in rest or not rest.endswith(".yaml"):
            raise HealthError(path, 1, 1, f"not a member's health file: they are {HEALTH_DIR}/<cluster>.yaml")
        health = read_health_file(path, files[path])
        out[health.cluster] = health
    return out
