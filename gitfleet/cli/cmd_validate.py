"""``gitfleet validate``: every problem of the repo, as ``path:line:col: message``."""

from __future__ import annotations

import argparse
import os

from gitfleet.cli import exitcodes
from gitfleet.cli.common import add_repo_argument, add_rev_argument, read_files
from gitfleet.load.discover import NoFleetRepoError
from gitfleet.plan.validate import validate_repo


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "validate",
        help="check schemas and semantics; print every problem as path:line:col: message",
        description="Validate the fleet repo: JSON Schemas, Karmada's admission rules, templates"
        " rendered for every target cluster and overrides evaluated. Prints every problem, sorted"
        " by file and line; a resource that goes to no cluster is a warning. Exit 1 when there is"
        " an error (or, with --strict, a warning); warnings alone exit 0.",
    )
    add_repo_argument(parser)
    add_rev_argument(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="do not print warnings")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings as errors: exit 1 when there is any (for CI)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    files = read_files(args.repo, args.rev)
    try:
        problems = validate_repo(files)
    except NoFleetRepoError as err:
        where = os.path.abspath(args.repo) if args.rev is None else f"{args.repo} at {args.rev}"
        raise err.at(where, args.repo) from None
    for problem in problems:
        if not (args.quiet and problem.severity == "warning"):
            print(problem)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if errors or (args.strict and warnings):
        strict = " (--strict: warnings fail)" if args.strict and not errors else ""
        print(f"invalid: {errors} error(s), {warnings} warning(s){strict}")
        return exitcodes.INVALID
    print(f"valid: {len(files)} file(s), {warnings} warning(s)")
    return exitcodes.OK
