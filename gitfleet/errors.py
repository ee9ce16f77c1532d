"""Error types that carry a source position, so every message a user sees can say
``path:line:col: what is wrong`` and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about the fleet repo. Sorts by path, then line, then column."""

    path: str
    line: int
    col: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}:{self.col}: {prefix}{self.message}"


class GitfleetError(Exception):
    """Base of every error gitfleet raises on purpose."""


class InputError(GitfleetError):
    """The fleet repo is invalid. Carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PositionedError(GitfleetError):
    """An error about one place in one file."""

    def __init__(self, path: str, line: int, col: int, message: str) -> None:
        self.path, self.line, self.col, self.message = path, line, col, message
        super().__init__(f"{path}:{line}:{col}: {message}")

    def problem(self) -> Problem:
        return Problem(self.path, self.line, self.col, self.message)


class TemplateError(PositionedError):
    """A Jinja2 template failed to render, tried to leave the sandbox, or made its
    identity or replica count depend on the target cluster."""


class OverrideError(GitfleetError):
    """An overrider could not be applied to a manifest (Karmada: no Work for that
    cluster). Carries the policy and rule so the user knows what to fix."""

    def __init__(self, policy: str, rule: int, overrider: str, message: str) -> None:
        self.policy, self.rule, self.overrider, self.message = policy, rule, overrider, message
        super().__init__(f"{policy} rule {rule} {overrider}: {message}")
