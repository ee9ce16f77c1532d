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
        return self.shown()

    def shown(self, where: str = "") -> str:
        """``path:line:col: message``, the path from ``where`` (REPO as the user named it)."""
        prefix = "" if self.severity == "error" else "warning: "
        path = f"{where.rstrip('/')}/{self.path}" if where and self.path and not self.path.startswith("<") else self.path
        return f"{path}:{self.line}:{self.col}: {prefix}{self.message}"


class GitfleetError(Exception):
    """Base of every error gitfleet raises on purpose."""


class InputError(GitfleetError):
    """The fleet repo is invalid. Carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem], where: str = "") -> None:
        self.problems = sorted(problems)
        self.where = where  # REPO as the user named it: a terminal shows paths from there
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


class UsageError(GitfleetError):
    """The command asked for something that cannot be done as asked: a missing REPO
    folder, an unknown revision or cluster, an unreadable kubeconfig, two options that
    do not go together. ``code`` is the exit code (2 unless said otherwise); the
    message is worded once, here or where it is raised, for every verb alike."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code
