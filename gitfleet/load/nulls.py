"""Dropping null-valued fields, as Karmada's API server does before validating.

For custom resources the API server prunes a field whose value is null unless its
schema says ``nullable: true`` (none of Karmada's do), and only then validates. So
``overrideRules:`` followed by nothing but a comment, or ``labelSelector: ~``, means
"not set" to Karmada, and must to gitfleet too, rather than failing the schema. A
required field that is null is then reported as missing, as the API server does.
List items are kept: the API server rejects a null item, and so does the schema.

Keys are only removed, never renamed or reordered, so every remaining JSON path (and
with it the position a message points at) is the same as in the parsed document.
"""

from __future__ import annotations

from typing import Any


def without_nulls(value: Any) -> Any:
    """``value`` without null mapping entries at any depth. Returns ``value`` itself
    when it holds none (parsed documents are shared and memoised by identity, so an
    unchanged one must stay the same object); never changes ``value``."""
    pruned, changed = _prune(value)
    return pruned if changed else value


def _prune(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        changed = False
        for key, item in value.items():
            if item is None:
                changed = True
                continue
            new, sub = _prune(item)
            changed = changed or sub
            out[key] = new
        return (out, True) if changed else (value, False)
    if isinstance(value, list):
        items = [_prune(item) for item in value]
        if any(sub for _, sub in items):
            return [new for new, _ in items], True
        return value, False
    return value, False
