"""The per-node part of an observed ``resourceSummary`` as the status branch records it
(``resourceSummary.nodes`` in ``status/clusters/<name>.yaml``, gitfleet's extension of
Karmada's summary; :mod:`gitfleet.schedule.estimator` makes it):

```yaml
nodes:                     # identical Nodes grouped, sorted by taints then leftovers
- count: 2
  free: {cpu: 2500m, memory: 7Gi, pods: "109"}
  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]   # omitted when none
```

The record is read back on every render, including an offline diff of a pull request,
so reading is defensive: a bad entry raises :class:`NodesRecordError` with its place
inside ``nodes`` for the caller's reader to turn into ``path:line:col``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from gitfleet.model.cluster import NodeCapacity, Taint
from gitfleet.model.quantity import parse_quantity

MAX_GROUPS = 10_000  # distinct node shapes; a member with more is not a fleet member
MAX_COUNT = 1_000_000  # Nodes in one group
MAX_RESOURCES = 64
MAX_TAINTS = 64
MAX_TEXT = 316  # a qualified name plus a label value, as the API bounds them
_EFFECTS = frozenset({"NoSchedule", "NoExecute"})
# parse_quantity computes 10**exponent exactly: "1e9999999" alone costs seconds.
_BIG_EXPONENT = re.compile(r"[eE][+-]?0*\d{3,}")

Where = tuple[str | int, ...]


class NodesRecordError(ValueError):
    """A malformed ``nodes`` entry; ``where`` is its place below ``nodes``."""

    def __init__(self, where: Where, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def nodes_record(nodes: Sequence[NodeCapacity]) -> list[dict[str, Any]]:
    """The YAML-ready form of the groups (their order is the estimator's)."""
    out: list[dict[str, Any]] = []
    for group in nodes:
        entry: dict[str, Any] = {"count": group.count, "free": {k: str(v) for k, v in sorted(group.free.items())}}
        if group.taints:
            entry["taints"] = [{"key": t.key, **({"value": t.value} if t.value else {}), "effect": t.effect}
                               for t in group.taints]
        out.append(entry)
    return out


def read_nodes(value: Any) -> tuple[NodeCapacity, ...]:
    """The groups of a recorded ``nodes`` list; raises :class:`NodesRecordError`."""
    if not isinstance(value, list):
        raise NodesRecordError((), "expected a list of node groups")
    if len(value) > MAX_GROUPS:
        raise NodesRecordError((), f"more than {MAX_GROUPS} node groups")
    return tuple(_group((i,), entry) for i, entry in enumerate(value))


def _group(where: Where, entry: Any) -> NodeCapacity:
    if not isinstance(entry, dict):
        raise NodesRecordError(where, "expected a map with count, free and taints")
    unknown = sorted(str(k) for k in entry if k not in ("count", "free", "taints"))
    if unknown:
        raise NodesRecordError((*where, unknown[0]), f"unknown field {unknown[0][:64]!r}")
    count = entry.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= MAX_COUNT:
        raise NodesRecordError((*where, "count"), f"count must be an integer from 1 to {MAX_COUNT}")
    return NodeCapacity(count, _free((*where, "free"), entry.get("free")),
                        _taints((*where, "taints"), entry.get("taints", [])))


def _free(where: Where, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) > MAX_RESOURCES:
        raise NodesRecordError(where, f"expected a map of at most {MAX_RESOURCES} resources to quantities")
    out: dict[str, Any] = {}
    for name, amount in value.items():
        if not isinstance(name, str) or not 0 < len(name) <= MAX_TEXT:
            raise NodesRecordError(where, "a resource name must be a non-empty string")
        out[name] = _quantity((*where, name), amount)
    return out


def _quantity(where: Where, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise NodesRecordError(where, "expected a quantity such as 8, 500m or 64Gi")
    if isinstance(value, float) and not math.isfinite(value):
        raise NodesRecordError(where, f"{value} is not a quantity")
    if isinstance(value, str) and (len(value) > 64 or _BIG_EXPONENT.search(value)):
        raise NodesRecordError(where, "the quantity is out of range")
    try:
        amount = parse_quantity(value)
    except (ValueError, OverflowError):
        raise NodesRecordError(where, f"{str(value)[:64]!r} is not a quantity such as 8, 500m or 64Gi") from None
    # Bounded so the estimate's integer arithmetic stays small (Kubernetes caps at 2^63).
    if abs(amount) >= 2**63:
        raise NodesRecordError(where, "the quantity is out of range")
    return value


def _taints(where: Where, value: Any) -> tuple[Taint, ...]:
    if not isinstance(value, list) or len(value) > MAX_TAINTS:
        raise NodesRecordError(where, f"expected a list of at most {MAX_TAINTS} taints")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) - {"key", "value", "effect"}:
            raise NodesRecordError((*where, i), "expected a taint: key, value and effect")
        key, text, effect = item.get("key", ""), item.get("value", ""), item.get("effect")
        if not all(isinstance(v, str) and len(v) <= MAX_TEXT for v in (key, text)):
            raise NodesRecordError((*where, i), "a taint's key and value must be strings")
        if effect not in _EFFECTS:
            raise NodesRecordError((*where, i, "effect"), "effect must be NoSchedule or NoExecute")
        out.append(Taint(key, text, effect))
    return tuple(out)
