"""Reads a fleet repo from a folder on disk, as it is now (uncommitted edits included)."""

from __future__ import annotations

import os
from pathlib import Path

FLEET_SUFFIXES = (".yaml", ".yml", ".yaml.j2", ".yml.j2")


def read_directory(root: Path) -> dict[str, bytes]:
    """Every fleet file below ``root`` as ``{posix relative path: bytes}``.

    Dot-folders and dot-files are skipped (``.git``, ``.github``); the loader applies
    ``fleet.yaml``'s exclude globs itself, so it sees the same input from disk and Git.
    """
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in filenames:
            if filename.startswith(".") or not filename.endswith(FLEET_SUFFIXES):
                continue
            full = Path(dirpath, filename)
            files[full.relative_to(root).as_posix()] = full.read_bytes()
    return files
