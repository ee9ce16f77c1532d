"""Drift: where a live object differs from what gitfleet applied, on the fields
gitfleet declares only. Fields the server defaulted, ``status`` and fields only other
managers set are never compared, so they make no noise. Pure.

Two comparisons: :func:`subset_changes` walks the desired manifest and looks up each
field in the live object (lists of objects matched by their merge key, as server-side
apply does), and :func:`object_changes` compares two whole objects as the server
returns them (the live one and a server-side dry run of the desired one), which is
exact because the server normalised both.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitfleet.model.quantity import parse_quantity
from gitfleet.redaction import mask_at as _mask

# Keys that identify an item of a list of objects, in the order tried (the merge keys
# of the built-in kinds: containers, env, volumes by name; ports; mounts).
MERGE_KEYS = ("name", "containerPort", "mountPath", "devicePath", "port", "ip", "topologyKey")
# Metadata the server owns: never drift.
NOISE_METADATA = ("managedFields", "resourceVersion", "generation", "creationTimestamp", "uid",
                  "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")


@dataclass(frozen=True)
class Drift:
    """One field that differs live: ``live`` is ``None`` when the field is absent."""

    key: str
    pointer: str
    desired: Any
    live: Any

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.key, "pointer": self.pointer, "desired": self.desired, "live": self.live}


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _scalar_equal(desired: Any, live: Any) -> bool:
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live or desired == live and type(desired) is type(live)
    if desired == live:
        return True
    # Quantities come back normalised ("0.5" -> "500m", "1000m" -> "1").
    if isinstance(desired, (str, int, float)) and isinstance(live, (str, int, float)) and (
        isinstance(desired, str) or isinstance(live, str)
    ):
        try:
            return parse_quantity(desired) == parse_quantity(live)
        except (ValueError, TypeError, ArithmeticError):
            return False
    return False


def merge_key(items: list[Any]) -> str | None:
    """The key that tells the items of a list of objects apart, if there is one."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in MERGE_KEYS:
        values = [i.get(key) for i in items]
        if all(v is not None for v in values) and len(set(map(repr, values))) == len(values):
            return key
    return None


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def subset_changes(desired: Any, live: Any, pointer: str = "") -> Iterator[tuple[str, Any, Any]]:
    """``(pointer, desired, live)`` for every declared field whose live value differs."""
    for path, want, have in _subset(desired, live, ()):
        yield pointer + "".join(f"/{escape(str(p))}" for p in path), want, have


def _subset(desired: Any, live: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any, Any]]:
    # Paths stay tuples until something differs: steady state compares thousands of
    # objects and finds nothing, so no pointer string is built.
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            yield path, desired, live
            return
        for k, v in desired.items():
            if k not in live:
                if not _empty(v):  # the server drops empty values; they cannot drift
                    yield (*path, k), v, None
                continue
            have = live[k]
            if v == have and type(v) is type(have):
                continue
            yield from _subset(v, have, (*path, k))
    elif isinstance(desired, list):
        if not isinstance(live, list):
            yield path, desired, live
            return
        key = merge_key(desired)
        if key is not None:
            by_key = {repr(i.get(key)): i for i in live if isinstance(i, dict)}
            for index, item in enumerate(desired):
                match = by_key.get(repr(item.get(key)))
                if match is None:
                    yield (*path, index), item, None
                else:
                    yield from _subset(item, match, (*path, index))
        elif len(desired) == len(live) and all(isinstance(i, (dict, list)) for i in desired):
            for index, (d, v) in enumerate(zip(desired, live)):
                yield from _subset(d, v, (*path, index))
        elif len(desired) != len(live) or any(not _scalar_equal(d, v) for d, v in zip(desired, live)):
            # A list of scalars (or of unkeyed objects of another length) is atomic.
            yield path, desired, live
    elif desired is not None and not _scalar_equal(desired, live):
        yield path, desired, live


def comparable(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a desired manifest that can drift: ``status`` and server-owned
    metadata left out; a Secret's ``stringData`` folded into ``data`` as the server
    stores it."""
    out = {k: v for k, v in manifest.items() if k not in ("status", "apiVersion", "kind")}
    meta = manifest.get("metadata") or {}
    out["metadata"] = {k: v for k, v in meta.items() if k in ("labels", "annotations")}
    if manifest.get("kind") == "Secret" and manifest.get("apiVersion") == "v1" and manifest.get("stringData"):
        data = dict(out.get("data") or {})
        for k, v in (manifest.get("stringData") or {}).items():
            data[k] = base64.b64encode(str(v).encode()).decode()
        out["data"] = data
        out.pop("stringData", None)
    return out


def _strip_noise(obj: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in NOISE_METADATA}
    out["metadata"] = meta
    return out


def _full_changes(before: Any, after: Any, pointer: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(before, dict) and isinstance(after, dict):
        for k in sorted(set(before) | set(after), key=str):
            child = f"{pointer}/{escape(str(k))}"
            if k not in before:
                yield child, None, after[k]
            elif k not in after:
                yield child, before[k], None
            else:
                yield from _full_changes(before[k], after[k], child)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (b, a) in enumerate(zip(before, after)):
            yield from _full_changes(b, a, f"{pointer}/{index}")
    elif before != after or isinstance(before, bool) is not isinstance(after, bool):
        yield pointer, before, after


def object_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(pointer, before, after)`` between two objects as the server returns them,
    ``status`` and server-owned metadata left out."""
    return list(_full_changes(_strip_noise(before), _strip_noise(after), ""))


def rule_matches(rule: tuple[str, str], api_version: str, kind: str, pointer: str) -> bool:
    """Whether an ignore rule ``(kind or apiVersion/Kind or *, JSON pointer)`` covers
    ``pointer`` (the pointer itself or anything below it)."""
    what, where = rule
    if what not in ("*", kind, f"{api_version}/{kind}"):
        return False
    where = where.rstrip("/")
    return where == "" or pointer == where or pointer.startswith(where + "/")


def is_ignored(rules: tuple[tuple[str, str], ...], api_version: str, kind: str, pointer: str) -> bool:
    return any(rule_matches(r, api_version, kind, pointer) for r in rules)


def find_drift(
    key: str,
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    ignore: tuple[tuple[str, str], ...] = (),
) -> tuple[Drift, ...]:
    """The drift of one object, ignore rules applied, Secret values masked."""
    api_version, kind = str(desired.get("apiVersion", "")), str(desired.get("kind", ""))
    out = []
    for pointer, want, have in subset_changes(comparable(desired), live):
        if is_ignored(ignore, api_version, kind, pointer):
            continue
        out.append(Drift(key, pointer, _mask(desired, pointer, want), _mask(desired, pointer, have)))
    return tuple(out)


def drift_from_changes(
    key: str,
    desired: Mapping[str, Any],
    changes: list[tuple[str, Any, Any]],
    ignore: tuple[tuple[str, str], ...] = (),
) -> tuple[Drift, ...]:
    """Drift entries from :func:`object_changes` (live -> what applying would give)."""
    api_version, kind = str(desired.get("apiVersion", "")), str(desired.get("kind", ""))
    return tuple(
        Drift(key, pointer, _mask(desired, pointer, after), _mask(desired, pointer, before))
        for pointer, before, after in changes
        if not is_ignored(ignore, api_version, kind, pointer)
    )


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _live_child(desired: Any, live: Any, token: str) -> tuple[Any, Any] | None:
    if isinstance(desired, dict) and isinstance(live, dict):
        if token in desired and token in live:
            return desired[token], live[token]
        return None
    if isinstance(desired, list) and isinstance(live, list) and token.isdigit() and int(token) < len(desired):
        item = desired[int(token)]
        key = merge_key(desired)
        if key is not None:
            match = next((i for i in live if isinstance(i, dict) and i.get(key) == item.get(key)), None)
            return (item, match) if match is not None else None
        return (item, live[int(token)]) if int(token) < len(live) else None
    return None


def keep_live_values(
    manifest: Mapping[str, Any], live: Mapping[str, Any], rules: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    """``manifest`` with each field an ignore rule covers set to its live value, so
    re-applying to correct other drift leaves e.g. an autoscaler's replicas alone."""
    out = copy.deepcopy(dict(manifest))
    api_version, kind = str(out.get("apiVersion", "")), str(out.get("kind", ""))
    for what, where in rules:
        if what not in ("*", kind, f"{api_version}/{kind}") or not where.strip("/"):
            continue
        tokens = _tokens(where.rstrip("/"))
        node_d: Any = out
        node_l: Any = live
        for token in tokens[:-1]:
            pair = _live_child(node_d, node_l, token)
            if pair is None:
                break
            node_d, node_l = pair
        else:
            last = tokens[-1]
            if isinstance(node_d, dict) and isinstance(node_l, dict) and last in node_d and last in node_l:
                node_d[last] = copy.deepcopy(node_l[last])
            elif (isinstance(node_d, list) and last.isdigit() and int(last) < len(node_d)):
                pair = _live_child(node_d, node_l, last)
                if pair is not None:
                    node_d[int(last)] = copy.deepcopy(pair[1])
    return out
