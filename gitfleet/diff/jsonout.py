"""The machine-readable format of ``gitfleet diff`` (documented in docs/ci.md)."""

from __future__ import annotations

import json

from gitfleet.diff.model import PlanDiff

FORMAT_VERSION = 1


def format_json(diff: PlanDiff) -> str:
    return json.dumps({"version": FORMAT_VERSION, **diff.to_json()}, indent=2, ensure_ascii=False) + "\n"
