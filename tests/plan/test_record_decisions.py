"""The record of a render taken from scheduling decisions alone (what ``gitfleet diff``
starts the head from when the status branch cannot give the base) is the record a full
render leaves, after any edit of the incremental render's edit table."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_incremental import EDITS, base_fleet, encode

from gitfleet.errors import InputError
from gitfleet.git.worktree import read_directory
from gitfleet.load.loader import load_fleet
from gitfleet.plan.incremental import record_decisions, render_full
from gitfleet.status.layout import LayoutError

SAMPLE = Path(__file__).resolve().parents[2] / "sample-repo"


def assert_same_record(files: dict[str, bytes]) -> bool:
    """False when the full render fails (nothing to compare)."""
    fleet = load_fleet(files)
    try:
        _, full = render_full(fleet, files, "t")
    except (InputError, LayoutError):
        return False
    skeleton = record_decisions(fleet, files, "t")
    assert (skeleton is None) == (full is None)
    if full is not None and skeleton is not None:
        assert skeleton.templates == full.templates
        assert skeleton.warnings == full.warnings
        assert skeleton.sources == full.sources
        assert skeleton.global_paths == full.global_paths
    return True


def test_sample_repo() -> None:
    assert assert_same_record({p: b for p, b in read_directory(SAMPLE).items() if isinstance(b, bytes)})


@pytest.mark.parametrize("seed", range(4))
def test_after_random_edits(seed: int) -> None:
    rng = random.Random(seed)
    files = base_fleet()
    compared = 0
    for _ in range(20):
        name = rng.choice(sorted(EDITS))
        EDITS[name](files, random.Random(rng.randint(0, 10**6)))
        try:
            ok = assert_same_record(encode(files))
        except InputError:
            ok = False  # the edit broke loading: nothing is recorded either way
        if not ok:
            EDITS["fix_templates"](files, rng)
        compared += ok
    assert compared >= 5
