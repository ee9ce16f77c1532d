"""Symbolic links in a fleet repo: never fleet files, always said so.

A link's target may lie outside the repo (``/etc``, a CI runner's secrets) or change
with the checkout; Git stores only the target's path. gitfleet reads the repo as Git
stores it, in a folder on disk and at a revision alike: a link to a file or a folder
is skipped, with a warning naming it, and what it points at is never read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gitfleet.load.discover import is_excluded
from gitfleet.model.source import Symlink

SKIPPED = ("symbolic link skipped: a link is not a fleet file (gitfleet reads the repo as Git stores it and"
           " never follows a link); copy the content here, or list the link in fleet.yaml spec.exclude")


def is_link(data: bytes) -> bool:
    return isinstance(data, Symlink)


def reported_links(files: Mapping[str, bytes], exclude: Iterable[str] = ()) -> list[str]:
    """The links of ``files`` to warn about, sorted: those outside dot-folders (which
    are not read at all) and not excluded by ``fleet.yaml``."""
    patterns = tuple(exclude)
    return sorted(
        path for path, data in files.items()
        if is_link(data)
        and not any(part.startswith(".") for part in path.split("/"))
        and not (patterns and is_excluded(path, patterns))
    )
