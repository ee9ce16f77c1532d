"""Durations as gitfleet's files write them: a number of seconds, or a string such as
``90s``, ``5m``, ``1h`` (the ``duration`` of ``run-config.json`` and of ``fleet.yaml``
``spec.failover``). One reader for both, so the same text means the same time."""

from __future__ import annotations

import re

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
PATTERN = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([smh])$")


def seconds(value: float | str) -> float:
    """A schema-valid duration in seconds (the schema's pattern let a string through)."""
    if isinstance(value, int | float):
        return float(value)
    match = PATTERN.match(value)
    assert match, value
    return float(match.group(1)) * UNITS[match.group(2)]
