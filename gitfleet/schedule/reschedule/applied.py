"""The applied placement (Karmada's ``policy.karmada.io/applied-placement``): the
placement of the last successful schedule, kept as canonical JSON so that "the
placement changed" is a plain comparison (KARMADA-RESCHEDULING §1.1), and read back for
the tolerations that NoExecute eviction checks (§5)."""

from __future__ import annotations

import functools
import json
from dataclasses import asdict
from typing import Any

from gitfleet.model.policy import Placement, Toleration

# A render asks for the same few placements and records once per resource: both ways
# are memoised (a placement is a frozen, hashable value; the parsed JSON is only read).
# A record from the status branch can be as long as state.MAX_PLACEMENT_CHARS: texts
# longer than _MEMO_CHARS are parsed each time rather than kept.
_MEMO = 1024
_MEMO_CHARS = 1 << 16


@functools.lru_cache(maxsize=_MEMO)
def placement_json(placement: Placement) -> str:
    """Key-sorted, compact JSON of the placement: equal placements, equal texts."""
    return json.dumps(asdict(placement), sort_keys=True, separators=(",", ":"))


def _load(text: str | None) -> dict[str, Any] | None:
    """The applied placement parsed, None when unreadable. Shared between callers: read it,
    never change it."""
    if text is None:
        return None
    return _parsed(text) if len(text) <= _MEMO_CHARS else _parsed.__wrapped__(text)


@functools.lru_cache(maxsize=_MEMO)
def _parsed(text: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def _observed_view(doc: dict[str, Any], observed: str | None) -> dict[str, Any]:
    """The placement with only the observed ``clusterAffinities`` term: Karmada ignores
    edits to the other terms (helper.go needConsideredPlacementChanged)."""
    terms = doc.get("cluster_affinities")
    if observed is None or not isinstance(terms, list):
        return doc
    kept = [t for t in terms if isinstance(t, dict) and t.get("affinity_name") == observed]
    return {**doc, "cluster_affinities": kept}


def placement_changed(placement: Placement, applied: str | None, observed: str | None) -> bool:
    """Whether ``placement`` differs from the applied one. A missing or unreadable
    record counts as a change: rescheduling is the safe answer."""
    before = _load(applied)
    if before is None:
        return True
    now = _parsed(placement_json(placement))
    assert now is not None  # a placement's own JSON is an object
    return _observed_view(now, observed) != _observed_view(before, observed)


def applied_tolerations(applied: str | None, fallback: tuple[Toleration, ...]) -> tuple[Toleration, ...]:
    """The ``clusterTolerations`` of the applied placement, which the taint manager
    evaluates (§5); ``fallback`` (the current placement's) when the record is unreadable."""
    doc = _load(applied)
    items = doc.get("tolerations") if doc is not None else None
    if not isinstance(items, list):
        return fallback
    out = []
    for item in items:
        toleration = _toleration(item)
        if toleration is None:
            return fallback
        out.append(toleration)
    return tuple(out)


def _toleration(item: Any) -> Toleration | None:
    if not isinstance(item, dict):
        return None
    texts = [item.get(k, d) for k, d in (("key", ""), ("operator", "Equal"), ("value", ""), ("effect", ""))]
    seconds = item.get("toleration_seconds")
    if not all(isinstance(t, str) for t in texts):
        return None
    if seconds is not None and (not isinstance(seconds, int) or isinstance(seconds, bool)):
        return None
    key, operator, value, effect = (str(t) for t in texts)
    return Toleration(key, operator, value, effect, seconds)
