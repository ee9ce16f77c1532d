"""Reads a fleet repo from a folder on disk, as it is now (uncommitted edits included).

What is read is what Git would store: regular files, and symbolic links as links (a
:class:`~gitfleet.model.source.Symlink` holding the target, which the loader skips
with a warning), so a link never brings in content from outside the repo and the
folder reads like a commit of it (``render --rev``). Other special files (FIFOs,
devices), which Git cannot hold, are not read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from gitfleet.model.source import Symlink

FLEET_SUFFIXES = (".yaml", ".yml", ".yaml.j2", ".yml.j2")
# O_NOFOLLOW: a file swapped for a link after the walk saw it is not followed either;
# O_NONBLOCK: opening a FIFO does not wait for a writer.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_regular(path: Path) -> bytes | None:
    """The content of ``path`` when it is a regular file, else None."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None  # a link that appeared meanwhile (ELOOP), or vanished
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return handle.read()


def _link(path: Path) -> Symlink:
    return Symlink(os.fsencode(os.readlink(path)))


def read_directory(root: Path) -> dict[str, bytes]:
    """Every fleet file below ``root`` as ``{posix relative path: bytes}``, and every
    symbolic link (to a file or a folder) as a :class:`Symlink`.

    Dot-folders and dot-files are skipped (``.git``, ``.github``); the loader applies
    ``fleet.yaml``'s exclude globs itself, so it sees the same input from disk and Git.
    """
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        folders = []
        for name in sorted(d for d in dirnames if not d.startswith(".")):
            full = Path(dirpath, name)
            if full.is_symlink():  # os.walk lists links to folders here and does not enter them
                files[full.relative_to(root).as_posix()] = _link(full)
            else:
                folders.append(name)
        dirnames[:] = folders
        for filename in filenames:
            if filename.startswith("."):
                continue
            full = Path(dirpath, filename)
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                files[rel] = _link(full)
            elif filename.endswith(FLEET_SUFFIXES):
                data = _read_regular(full)
                if data is not None:
                    files[rel] = data
    return files
