"""The re-scheduling memory (:class:`gitfleet.model.state.FleetState`) as files of the
status tree under ``state/``, both ways (format: ``docs/status-branch.md``).

```
state/fleet.yaml                                            # version, taints first seen
state/resources/<namespace|_cluster>/<group|core>.<Kind>.<name>.yaml   # one per resource
```

One file per resource, named by the same key -> path rule as ``clusters/``
(:func:`gitfleet.status.layout.object_file`), so a reschedule rewrites one small blob and
Git stores every unchanged one once. Writing is canonical: keys sorted, lists sorted,
defaults left out, so the same state always gives the same bytes and a render whose
state did not change commits nothing. Every file carries ``version``; a reader keeps the
fields it does not know (``extra``) and refuses a newer major version rather than drop
what it cannot understand.

The status branch is untrusted (anyone who can push to it, a hand edit): reading checks
every type, bound and name and fails with :class:`StateError` at ``path:line:col``,
never with a traceback. Pure: no I/O.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, cast, get_args

from gitfleet.errors import PositionedError
from gitfleet.load.yamlio import MAX_FILE_BYTES, Locator, dump_yaml
from gitfleet.model.keys import ResourceId
from gitfleet.model.state import (
    EMPTY_STATE,
    EvictionTask,
    FleetState,
    PreviousTarget,
    PurgeMode,
    ResourceState,
    TaintSeen,
)
from gitfleet.status.layout import STATE_DIR, LayoutError, UnsafePathError, object_file
from gitfleet.status.record import RecordReader, one_document, type_name

FORMAT_VERSION = 1
FLEET_STATE_FILE = f"{STATE_DIR}/fleet.yaml"
RESOURCES_DIR = f"{STATE_DIR}/resources"

# Bounds on what one file may hold. A Duplicated resource lists every cluster, and the
# bench's largest fleet has 10,000; a hostile file must not make a reader build more.
MAX_LIST_ITEMS = 100_000
MAX_NAME_CHARS = 253  # a DNS subdomain, what Kubernetes allows for an object or cluster name
MAX_KEY_CHARS = 1_024
MAX_TEXT_CHARS = 4_096  # reasons, rebalancer references, affinity term names
MAX_PLACEMENT_CHARS = 1 << 20  # the applied placement's JSON
MAX_INT32 = 2**31 - 1  # replicas and grace periods are int32 in Karmada's API

_PURGE_MODES: tuple[str, ...] = get_args(PurgeMode)
# RFC 3339 in UTC, as every time of the model is written (the clock is an input).
_RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z")

_RESOURCE_FIELDS = frozenset({"version", "resource", "clusters", "appliedPlacement", "observedAffinity",
                              "evictionTasks", "rebalancers", "lastScheduled"})
_FLEET_FIELDS = frozenset({"version", "taintsSeen"})
_TASK_FIELDS = frozenset({"cluster", "replicas", "purgeMode", "reason", "since", "gracePeriodSeconds"})
_TAINT_FIELDS = frozenset({"cluster", "key", "value", "effect", "firstSeen"})


class StateError(PositionedError):
    """A file under ``state/`` that cannot be read: not YAML, a wrong type or value, a
    name that cannot be a path, or a newer format version."""


def is_state_path(path: str) -> bool:
    return path.startswith(STATE_DIR + "/")


def resource_state_path(key: str) -> str:
    """``state/resources/<namespace|_cluster>/<group|core>.<Kind>.<name>.yaml`` of the
    resource ``key``; :class:`UnsafePathError` for a name that cannot be a file name."""
    try:
        rid = ResourceId.parse(key)
    except ValueError as exc:
        raise UnsafePathError(str(exc)) from None
    return f"{RESOURCES_DIR}/{object_file(rid)}"


# ---------------------------------------------------------------------------
# writing


def _canonical(value: Any) -> Any:
    """``value`` with every mapping's keys sorted (list order is the writer's)."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


@functools.lru_cache(maxsize=65_536)
def _key_text(name: str) -> str | None:
    """``name`` as :func:`dump_yaml` writes a mapping key (quoted when YAML would read
    it as something else), or None when it takes more than one line (``? `` form)."""
    text = dump_yaml({name: 0})
    if not text.endswith(": 0\n") or "\n" in text[:-1] or text.startswith("? "):
        return None
    return text[:-4]


def _clusters_text(clusters: Mapping[str, int]) -> str | None:
    """``clusters:`` as :func:`dump_yaml` writes it, without its representer: the
    cluster lists are most of the bytes of ``state/`` (a Duplicated resource lists every
    cluster), and PyYAML's representer is Python even with the C emitter."""
    lines = ["clusters:\n"]
    for name, replicas in clusters.items():
        key = _key_text(name)
        if key is None or type(replicas) is not int:
            return None
        lines.append(f"  {key}: {replicas}\n")
    return "".join(lines)


def _document(known: Mapping[str, Any], extra: Mapping[str, Any]) -> bytes:
    """One file: the known fields (over any extra field of the same name) and the kept
    unknown ones, sorted; empty and default values were left out by the caller.

    Exactly :func:`dump_yaml` of the sorted mapping, written field by field (a block
    mapping is the concatenation of its one-field mappings)."""
    merged = {**extra, **known}
    clusters = known.get("clusters")
    if clusters:
        # Built in name order with string keys: canonical already, and the bulk of the
        # file, so not walked again.
        doc = _canonical({k: v for k, v in merged.items() if k != "clusters"})
        doc["clusters"] = clusters
        doc = {k: doc[k] for k in sorted(doc, key=str)}
    else:
        doc = _canonical(merged)
    parts = []
    for key, value in doc.items():
        if type(value) is int or (type(value) is str and len(value) <= _MEMO_CHARS):
            parts.append(_scalar_field(key, value))
            continue
        text = _clusters_text(value) if key == "clusters" and key in known and value else None
        parts.append(text if text is not None else dump_yaml({key: value}))
    return "".join(parts).encode()


_MEMO_CHARS = 1 << 16  # longer texts (only a hand-made file has them) are not kept


@functools.lru_cache(maxsize=4096)
def _scalar_field(key: str, value: str | int) -> str:
    """``dump_yaml({key: value})`` for a string or int: the resources of one policy share
    their applied placement and a render's times its clock, so most fields repeat."""
    return dump_yaml({key: value})


def _task_doc(task: EvictionTask) -> dict[str, Any]:
    doc: dict[str, Any] = {"cluster": task.cluster, "replicas": task.replicas}
    if task.purge_mode != "Gracefully":
        doc["purgeMode"] = task.purge_mode
    if task.reason:
        doc["reason"] = task.reason
    if task.since:
        doc["since"] = task.since
    if task.grace_period_seconds is not None:
        doc["gracePeriodSeconds"] = task.grace_period_seconds
    return doc


def _task_order(task: EvictionTask) -> tuple[str, str, int, str, str, int]:
    return (task.cluster, task.since, task.replicas, task.purge_mode, task.reason,
            -1 if task.grace_period_seconds is None else task.grace_period_seconds)


def resource_state_yaml(state: ResourceState) -> bytes:
    """The file of one resource's memory."""
    doc: dict[str, Any] = {"version": FORMAT_VERSION, "resource": state.resource}
    if state.clusters:
        doc["clusters"] = dict(sorted((t.name, t.replicas) for t in state.clusters))  # PreviousTarget order
    if state.applied_placement is not None:
        doc["appliedPlacement"] = state.applied_placement
    if state.observed_affinity is not None:
        doc["observedAffinity"] = state.observed_affinity
    if state.eviction_tasks:
        doc["evictionTasks"] = [_task_doc(t) for t in sorted(state.eviction_tasks, key=_task_order)]
    if state.rebalancers:
        doc["rebalancers"] = sorted(set(state.rebalancers))
    if state.last_scheduled is not None:
        doc["lastScheduled"] = state.last_scheduled
    return _document(doc, state.extra)


# The bytes of each ResourceState written or read, by identity while it lives: a render
# keeps the state of every resource it did not reschedule (the same object), so writing
# state/ again (every render writes it whole, and an increment compares it with the
# previous one) costs a lookup per unchanged resource. Keyed by id(), since a state's
# ``extra`` makes it unhashable; an entry goes when its state does.
_written: dict[int, tuple[weakref.ref[ResourceState], bytes]] = {}


def _remember_file(state: ResourceState, data: bytes) -> None:
    key = id(state)
    _written[key] = (weakref.ref(state, lambda _, key=key: _written.pop(key, None)), data)  # type: ignore[misc]


def _resource_file(state: ResourceState) -> bytes:
    """:func:`resource_state_yaml`, once per state object."""
    hit = _written.get(id(state))
    if hit is not None and hit[0]() is state:
        return hit[1]
    data = resource_state_yaml(state)
    _remember_file(state, data)
    return data


def fleet_state_yaml(state: FleetState) -> bytes:
    """``state/fleet.yaml``: the format version and the fleet-wide records."""
    doc: dict[str, Any] = {"version": FORMAT_VERSION}
    if state.taints:
        taints = sorted(state.taints, key=lambda t: (t.cluster, t.key, t.value, t.effect, t.first_seen))
        doc["taintsSeen"] = [
            {"cluster": t.cluster, "key": t.key, **({"value": t.value} if t.value else {}),
             "effect": t.effect, "firstSeen": t.first_seen}
            for t in taints
        ]
    return _document(doc, state.extra)


def state_files(state: FleetState) -> dict[str, bytes]:
    """The ``state/`` files of ``state`` as ``{path: bytes}``, to be written whole by
    every render (a resource no longer remembered loses its file). ``state/fleet.yaml``
    is always there, so a status tree that has it records a memory, even an empty one.
    Raises :class:`UnsafePathError` for a resource key that cannot be a path and
    :class:`gitfleet.status.layout.LayoutError` for two keys that share one."""
    files = {FLEET_STATE_FILE: fleet_state_yaml(state)}
    owners: dict[str, str] = {}
    for key in sorted(state.resources):
        resource = state.resources[key]
        if resource.resource != key:
            raise ValueError(f"the state of {resource.resource} is filed under {key}")
        path = resource_state_path(key)
        if path in owners:
            raise LayoutError(f"{key} and {owners[path]} are the same object under two apiVersions;"
                              " keep one of them")
        owners[path] = key
        files[path] = _resource_file(resource)
    return files


# ---------------------------------------------------------------------------
# reading


class _Doc(RecordReader):
    """One parsed state file, for checks that fail at the position of what they check."""

    error = StateError
    max_items = MAX_LIST_ITEMS
    max_text = MAX_TEXT_CHARS

    def __init__(self, path: str, data: Mapping[str, Any], locator: Locator) -> None:
        super().__init__(path, locator)
        self.data = data


_type = type_name


def _parse(path: str, raw: bytes) -> _Doc:
    document = one_document(path, raw, StateError)
    doc = _Doc(path, {}, document.locator)
    data = doc.mapping((), document.data)
    doc = _Doc(path, data, document.locator)
    _check_version(doc)
    return doc


def _check_version(doc: _Doc) -> None:
    if "version" not in doc.data:
        raise doc.fail((), f"no 'version' field: every state file says its format version ({FORMAT_VERSION})")
    version = doc.data["version"]
    if type(version) is not int or version < 1:
        raise doc.fail(("version",), f"expected a positive whole number, found {version!r:.40}")
    if version > FORMAT_VERSION:
        raise doc.fail(("version",), f"written by a newer gitfleet (state format version {version}); this"
                                     f" gitfleet reads version {FORMAT_VERSION}: upgrade gitfleet, or render"
                                     " with --fresh to schedule without the recorded state")


def _optional(doc: _Doc, key: str, read: Callable[[tuple[str | int, ...], Any], Any]) -> Any:
    value = doc.data.get(key)
    return None if value is None else read((key,), value)


def _get(data: Mapping[str, Any], key: str, default: Any) -> Any:
    """``data[key]``, or ``default`` when it is missing or null (an empty field may be
    written either way by hand); any other value is checked by the caller."""
    value = data.get(key)
    return default if value is None else value


def _extra(data: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    # Copied: the parsed data is shared with the parse cache, and a caller may change
    # what it holds.
    return copy.deepcopy({k: v for k, v in data.items() if k not in known})


def _read_task(doc: _Doc, where: tuple[str | int, ...], value: Any) -> EvictionTask:
    item = doc.mapping(where, value)
    doc.unknown(where, item, _TASK_FIELDS)
    for required in ("cluster", "replicas"):
        if required not in item:
            raise doc.fail(where, f"an eviction task needs '{required}'")
    mode = item.get("purgeMode", "Gracefully")
    if mode not in _PURGE_MODES:
        raise doc.fail((*where, "purgeMode"), f"{mode!r:.40} is not one of {', '.join(_PURGE_MODES)}")
    grace = item.get("gracePeriodSeconds")
    return EvictionTask(
        cluster=doc.name((*where, "cluster"), item["cluster"], "cluster"),
        replicas=doc.count((*where, "replicas"), item["replicas"]),
        purge_mode=cast(PurgeMode, mode),
        reason=doc.text((*where, "reason"), item.get("reason", "")),
        since=doc.time((*where, "since"), item["since"]) if "since" in item else "",
        grace_period_seconds=None if grace is None else doc.count((*where, "gracePeriodSeconds"), grace),
    )


def _read_resource(path: str, raw: bytes) -> ResourceState:
    doc = _parse(path, raw)
    data = doc.data
    if "resource" not in data:
        raise doc.fail((), "no 'resource' field: the key of the resource this file remembers")
    key = doc.text(("resource",), data["resource"], MAX_KEY_CHARS)
    try:
        expected = resource_state_path(key)
    except UnsafePathError as exc:
        raise doc.fail(("resource",), str(exc)) from None
    if expected != path:
        # The path is what the key -> path rule makes of the key, nothing else: a file
        # cannot speak for a resource whose file is elsewhere.
        raise doc.fail(("resource",), f"the state of {key} belongs in {expected}")
    clusters = doc.mapping(("clusters",), _get(data, "clusters", {}))
    if len(clusters) > MAX_LIST_ITEMS:
        raise doc.fail(("clusters",), f"more than {MAX_LIST_ITEMS} clusters")
    targets = tuple(sorted(
        PreviousTarget(doc.name(("clusters", name), name, "cluster"), doc.count(("clusters", name), replicas))
        for name, replicas in clusters.items()
    ))
    tasks = tuple(_read_task(doc, ("evictionTasks", i), v)
                  for i, v in enumerate(doc.items(("evictionTasks",), _get(data, "evictionTasks", []))))
    evicted = [t.cluster for t in tasks]
    for index, cluster in enumerate(evicted):
        if cluster in evicted[:index]:
            raise doc.fail(("evictionTasks", index, "cluster"), f"a second eviction task for cluster {cluster}")
    rebalancers = tuple(sorted({doc.text(("rebalancers", i), v)
                                for i, v in enumerate(doc.items(("rebalancers",), _get(data, "rebalancers", [])))}))
    return ResourceState(
        resource=key,
        clusters=targets,
        applied_placement=_optional(doc, "appliedPlacement", lambda w, v: doc.text(w, v, MAX_PLACEMENT_CHARS)),
        observed_affinity=_optional(doc, "observedAffinity", doc.text),
        eviction_tasks=tuple(sorted(tasks, key=_task_order)),
        rebalancers=rebalancers,
        last_scheduled=_optional(doc, "lastScheduled", doc.time),
        extra=_extra(data, _RESOURCE_FIELDS),
    )


# One line of a canonical ``clusters:`` block: a name the writer leaves plain and a count.
# Anything else (quotes, other characters, comments, another indentation) is read by
# the YAML parser.
_CLUSTER_LINES = re.compile(rb"(?:  [a-z0-9][-a-z0-9.]{0,252}: (?:0|[1-9][0-9]{0,9})\n)+")
_CLUSTERS_KEY = b"clusters:\n"


def _read_canonical(path: str, raw: bytes) -> ResourceState | None:
    """The state in ``raw`` when ``raw`` is exactly what :func:`resource_state_yaml`
    writes for it, else None (then only the full reader can say what it holds).

    The cluster list, most of a file's bytes (a Duplicated resource lists every
    cluster), is read line by line; the other fields by :func:`_read_resource` on the
    file without it. The result is written again and must give ``raw`` byte for byte:
    the reader reads back whatever the writer writes, so the full reader would have
    read this very state, and a file that is not canonical (hand-edited, hostile, from
    another gitfleet) never takes this path."""
    if len(raw) > MAX_FILE_BYTES:
        return None
    if raw.startswith(_CLUSTERS_KEY):
        start = 0
    else:
        start = raw.find(b"\n" + _CLUSTERS_KEY) + 1
        if start == 0:
            return None
    body = start + len(_CLUSTERS_KEY)
    block = _CLUSTER_LINES.match(raw, body)
    if block is None:
        return None
    clusters: dict[str, int] = {}
    for line in raw[body:block.end() - 1].split(b"\n"):
        key, _, count = line[2:].partition(b": ")
        clusters[key.decode()] = int(count)
    lines = raw.count(b"\n", body, block.end())
    if len(clusters) != lines or len(clusters) > MAX_LIST_ITEMS or max(clusters.values()) > MAX_INT32:
        return None  # a name twice, or out of bounds: the full reader says where
    # The names need no path_component check: starting with a letter or digit and made
    # of [-a-z0-9.], none is empty, '.', '..', '.git' or holds a separator.
    try:
        rest = _read_resource(path, raw[:start] + raw[block.end():])
    except StateError:
        return None
    if rest.clusters:
        return None
    state = replace(rest, clusters=tuple(PreviousTarget(n, c) for n, c in sorted(clusters.items())))
    if resource_state_yaml(state) != raw:
        return None
    _remember_file(state, raw)
    return state


# The states read, by file: the reconciler reads the same state/ every cycle, and the
# same objects make the next render's memory equal to its record by identity and its
# files a lookup (_written). A state with kept unknown fields is read each time (its
# ``extra`` is a mutable copy). Bounded by the bytes of the files kept.
_READ_CACHE_BYTES = 32 << 20
_read_cache: OrderedDict[tuple[str, bytes], ResourceState] = OrderedDict()
_read_cache_bytes = 0
_read_lock = threading.Lock()


def _read_file(path: str, raw: bytes) -> ResourceState:
    global _read_cache_bytes
    key = (path, raw)
    with _read_lock:
        hit = _read_cache.get(key)
        if hit is not None:
            _read_cache.move_to_end(key)
            return hit
    state = _read_canonical(path, raw) or _read_resource(path, raw)
    if state.extra or len(raw) > _READ_CACHE_BYTES // 4:
        return state
    with _read_lock:
        if key not in _read_cache:
            _read_cache[key] = state
            _read_cache_bytes += len(raw)
        while _read_cache_bytes > _READ_CACHE_BYTES:
            (_, old), _ = _read_cache.popitem(last=False)
            _read_cache_bytes -= len(old)
    return state


def _read_taint(doc: _Doc, where: tuple[str | int, ...], value: Any) -> TaintSeen:
    item = doc.mapping(where, value)
    doc.unknown(where, item, _TAINT_FIELDS)
    for required in ("cluster", "key", "effect", "firstSeen"):
        if required not in item:
            raise doc.fail(where, f"a taint needs '{required}'")
    return TaintSeen(
        cluster=doc.name((*where, "cluster"), item["cluster"], "cluster"),
        key=doc.text((*where, "key"), item["key"], MAX_NAME_CHARS + 64),
        value=doc.text((*where, "value"), item.get("value", ""), MAX_NAME_CHARS + 64),
        effect=doc.text((*where, "effect"), item["effect"], 64),
        first_seen=doc.time((*where, "firstSeen"), item["firstSeen"]),
    )


def _read_fleet(raw: bytes) -> tuple[tuple[TaintSeen, ...], dict[str, Any]]:
    doc = _parse(FLEET_STATE_FILE, raw)
    items = doc.items(("taintsSeen",), _get(doc.data, "taintsSeen", []))
    taints = [_read_taint(doc, ("taintsSeen", i), v) for i, v in enumerate(items)]
    seen: set[tuple[str, str, str, str]] = set()
    for index, t in enumerate(taints):
        if (t.cluster, t.key, t.value, t.effect) in seen:
            raise doc.fail(("taintsSeen", index), f"taint {t.key}={t.value}:{t.effect} of cluster {t.cluster}"
                                                  " is listed twice")
        seen.add((t.cluster, t.key, t.value, t.effect))
    ordered = sorted(taints, key=lambda t: (t.cluster, t.key, t.value, t.effect, t.first_seen))
    return tuple(ordered), _extra(doc.data, _FLEET_FIELDS)


def read_state(files: Mapping[str, bytes]) -> FleetState:
    """The memory recorded in a status tree (its ``state/`` files; other files are not
    looked at), or :data:`EMPTY_STATE` when there is none: a first scheduling.

    Raises :class:`StateError` (``path:line:col``, the path inside the status tree) for
    the first file that cannot be read. Files under ``state/`` other than
    ``fleet.yaml`` and ``resources/`` are not part of format version 1: they are
    skipped, and a render writes ``state/`` whole, so they go with the next one."""
    paths = sorted(p for p in files if is_state_path(p))
    if not paths:
        return EMPTY_STATE
    taints: tuple[TaintSeen, ...] = ()
    extra: dict[str, Any] = {}
    resources: dict[str, ResourceState] = {}
    for path in paths:
        if path == FLEET_STATE_FILE:
            taints, extra = _read_fleet(files[path])
        elif path.startswith(RESOURCES_DIR + "/"):
            if path.count("/") != 3 or not path.endswith(".yaml"):
                raise StateError(path, 1, 1, "not a resource's state file: they are"
                                             f" {RESOURCES_DIR}/<namespace|_cluster>/<group|core>.<Kind>.<name>.yaml")
            state = _read_file(path, files[path])
            resources[state.resource] = state
    return FleetState(resources=resources, taints=taints, version=FORMAT_VERSION, extra=extra)
