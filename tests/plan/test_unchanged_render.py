"""``unchanged_render`` says "" exactly when an increment from the record would find
nothing to replan and nothing to change (a no-op apply trusts it to skip planning), and
otherwise why (issue 11, item 7)."""

from __future__ import annotations

from typing import Any

import pytest
from git.fleets import EDITS, fleet

from gitfleet.load.loader import load_fleet
from gitfleet.model.state import EMPTY_STATE, PlanMemory
from gitfleet.plan.incremental import Increment, plan_increment, render_full, unchanged_render

T0, T1 = "2026-12-04T10:00:00Z", "2026-12-05T10:00:00Z"
TOOL = "tool"


def recorded(files: dict[str, bytes]) -> Any:
    plan, record = render_full(load_fleet(files), files, TOOL, PlanMemory(EMPTY_STATE, T0))
    assert record is not None and plan.state is not None
    return record


def encoded(changes: dict[str, str | None]) -> dict[str, bytes]:
    files = {p: t.encode() for p, t in fleet().items()}
    for path, text in changes.items():
        if text is None:
            files.pop(path, None)
        else:
            files[path] = text.encode()
    return files


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_unchanged_exactly_when_an_increment_changes_nothing(edit: str) -> None:
    base = encoded({})
    record = recorded(base)
    head = encoded(EDITS[edit])
    memory = PlanMemory(record.state, T1)  # the next render of a chain, a day later
    why = unchanged_render(record, head, TOOL, memory)
    outcome = plan_increment(record, head, TOOL, memory)
    nothing = isinstance(outcome, Increment) and not outcome.changes and not outcome.replanned
    if edit == "no-change":
        assert why == "" and nothing
    else:
        assert why and not nothing, why


CASES: dict[str, tuple[str, Any, str]] = {
    "the same render": (TOOL, "left", ""),
    "another gitfleet": ("other", "left", "gitfleet or a library it renders with changed"),
    "no memory": (TOOL, None, "the render's memory changed (--fresh, or a first render with memory)"),
    "the memory it was made with, at another time": (TOOL, "used", "another time"),
}


@pytest.mark.parametrize(("tool", "state", "why"), CASES.values(), ids=CASES.keys())
def test_what_unchanged_render_looks_at(tool: str, state: Any, why: str) -> None:
    files = encoded({})
    record = recorded(files)
    memory = None if state is None else PlanMemory(record.state if state == "left" else record.state_in, T1)
    found = unchanged_render(record, files, tool, memory)
    assert (found == "") if not why else why in found
