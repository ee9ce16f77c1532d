"""Where a document came from, so errors can point at ``path:line:col``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SourcePos:
    """A 1-based position in a file of the fleet repo."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


UNKNOWN = SourcePos("<unknown>", 0, 0)


class Symlink(bytes):
    """A symbolic link among the files of a fleet repo, as Git stores one: the bytes are
    the link's target, never what it points at. Readers (a folder on disk, a Git tree)
    hand links over as this type, so the loader can say that it skipped them; a link
    is never a fleet file, whichever way the repo is read."""

    __slots__ = ()
