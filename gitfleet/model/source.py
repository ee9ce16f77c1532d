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
