"""``gitfleet validate``: every problem of the repo, as ``path:line:col: message``."""

from __future__ import annotations

import argparse

from gitfleet.cli import exitcodes
from gitfleet.cli.common import add_repo_argument, add_rev_argument, read_files
from gitfleet.errors import InputError, Problem
from gitfleet.load.loader import load_fleet, validate_files
from gitfleet.plan.build import build_plan


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "validate",
        help="check schemas and semantics; print every problem as path:line:col: message",
        description="Validate the fleet repo: JSON Schemas, Karmada's admission rules, templates"
        " rendered for every target cluster and overrides evaluated. Prints every problem, sorted"
        " by file and line. Exit 1 when there is an error; warnings alone exit 0.",
    )
    add_repo_argument(parser)
    add_rev_argument(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="do not print warnings")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    files = read_files(args.repo, args.rev)
    problems: list[Problem] = list(validate_files(files))
    if not any(p.severity == "error" for p in problems):
        # The schema is fine; evaluate templates and overrides per cluster too, since
        # those fail only once placement is known.
        try:
            build_plan(load_fleet(files))
        except InputError as err:
            problems.extend(err.problems)
    shown = sorted({p for p in problems if not (args.quiet and p.severity == "warning")})
    for problem in shown:
        print(problem)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = sum(1 for p in problems if p.severity == "warning")
    if errors:
        print(f"invalid: {errors} error(s), {warnings} warning(s)")
        return exitcodes.INVALID
    print(f"valid: {len(files)} file(s), {warnings} warning(s)")
    return exitcodes.OK
