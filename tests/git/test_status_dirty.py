"""The ``Gitfleet-Dirty`` trailer, as ``gitfleet status`` reads it back."""

from __future__ import annotations

import pytest

from gitfleet.git.statusbranch import is_dirty, status_message

SRC = "c" * 40


@pytest.mark.parametrize(
    ("message", "dirty"),
    [
        (status_message(SRC), False),
        (status_message(SRC, dirty=True), True),
        (status_message(SRC, "a summary", dirty=True), True),
        (f"render x\n\nGitfleet-Source: {SRC}\nGitfleet-Dirty: TRUE\n", True),
        (f"render x\n\nGitfleet-Source: {SRC}\nGitfleet-Dirty: false\n", False),
        ("render x\n\nGitfleet-Dirty:\n", False),
        ("", False),
    ],
    ids=["clean", "dirty", "dirty-with-summary", "upper-case", "explicit-false", "empty-value", "no-message"],
)
def test_is_dirty(message: str, dirty: bool) -> None:
    assert is_dirty(message) is dirty
