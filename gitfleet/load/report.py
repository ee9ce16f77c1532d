"""Collecting problems with their positions.

Loading never stops at the first problem: every check writes into a ``Reporter``
for the document it looks at, and the loader reports all of them at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gitfleet.errors import Problem, Severity
from gitfleet.load.yamlio import JsonPath, Locator


def dotted(path: Iterable[str | int]) -> str:
    """``("spec", "rules", 0, "name")`` -> ``spec.rules[0].name``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else str(step)
    return out


@dataclass
class Reporter:
    """Problems about one document of one file."""

    path: str
    locator: Locator | None = None
    problems: list[Problem] = field(default_factory=list)

    def position(self, where: JsonPath = ()) -> tuple[int, int]:
        if self.locator is None:
            return (1, 1)
        return self.locator.locate(where)

    def add(self, where: JsonPath, message: str, severity: Severity = "error") -> None:
        line, col = self.position(where)
        prefix = f"{dotted(where)}: " if where else ""
        self.problems.append(Problem(self.path, line, col, prefix + message, severity))

    def error(self, where: JsonPath, message: str) -> None:
        self.add(where, message, "error")

    def warning(self, where: JsonPath, message: str) -> None:
        self.add(where, message, "warning")

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)
