"""Golden-file comparison shared by the tests of CLI output: the expected text lives in a
file next to the test; ``GITFLEET_UPDATE_GOLDEN=1`` rewrites it for review."""

from __future__ import annotations

import os
from pathlib import Path


def check_golden(path: Path, text: str) -> None:
    if os.environ.get("GITFLEET_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} missing: run with GITFLEET_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{path.name} differs; rerun with GITFLEET_UPDATE_GOLDEN=1 if intended"
