"""What several commands share: reading the fleet repo and reporting its problems.

``gitfleet.cli.main`` imports this module for every verb, so the loader and the planner
are imported where a repo is loaded, not here: ``status``, ``clusters`` and ``run``
start without them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gitfleet.errors import InputError
from gitfleet.git.worktree import read_directory

if TYPE_CHECKING:
    from gitfleet.model.plan import Plan
    from gitfleet.model.resource import Fleet


class CommandError(Exception):
    """A usage problem found after argument parsing (bad path, unknown cluster...)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def add_repo_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "repo", nargs="?", default=".",
        help="fleet repo: a folder (possibly inside a Git work tree) or a Git URL (default: .)",
    )


def add_rev_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rev", help="read the repo at this Git revision (branch, tag, SHA, HEAD~1) instead of"
        " the working tree as it is on disk",
    )


def read_files(repo: str, rev: str | None) -> Mapping[str, bytes]:
    """The fleet files of ``repo``: from disk when ``rev`` is None, else from Git."""
    if rev is None and Path(repo).is_dir():
        return read_directory(Path(repo))
    from gitfleet.git.source import open_source

    return open_source(repo).files(rev)


def load(repo: str, rev: str | None = None) -> Fleet:
    if rev is None and not Path(repo).exists() and "://" not in repo and "@" not in repo:
        raise CommandError(f"fleet repo {repo!r} does not exist")
    from gitfleet.load.loader import load_fleet

    return load_fleet(read_files(repo, rev))


def load_and_plan(repo: str, rev: str | None = None) -> tuple[Fleet, Plan]:
    from gitfleet.plan.build import build_plan

    fleet = load(repo, rev)
    return fleet, build_plan(fleet)


def print_problems(err: InputError, out: TextIO | None = None) -> None:
    out = out or sys.stderr
    for problem in err.problems:
        print(problem, file=out)
    errors = sum(1 for p in err.problems if p.severity == "error")
    print(f"{errors} error(s); nothing was rendered or applied", file=out)


def print_warnings(warnings: tuple[str, ...], out: TextIO | None = None) -> None:
    out = out or sys.stderr
    for warning in warnings:
        print(warning, file=out)
