"""A deep copy for JSON-like data, several times faster than ``copy.deepcopy`` (no memo,
no reduce protocol); the planner copies every template once per target cluster."""

from __future__ import annotations

from typing import Any


def copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value
