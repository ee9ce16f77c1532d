"""``gitfleet validate``: every problem of the repo, as ``path:line:col: message``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gitfleet.cli import exitcodes
from gitfleet.cli.common import add_repo_argument, add_rev_argument
from gitfleet.cli.output import add_output_argument, problems_json, to_json


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
    parser.add_argument("--age-key-file", metavar="PATH",
                        help="age key for SOPS files (default: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, sops's key file); "
                        "with a key, SOPS files are decrypted and their content validated too")
    add_output_argument(parser, tuple(FORMATTERS), "text", "report format")
    parser.set_defaults(func=run)


def _text(report: dict[str, Any]) -> str:
    lines = [p.shown(report["where"]) for p in report["shown"]]
    errors, warnings = report["errors"], report["warnings"]
    if report["failed"]:
        strict = " (--strict: warnings fail)" if report["strict"] and not errors else ""
        lines.append(f"invalid: {errors} error(s), {warnings} warning(s){strict}")
    else:
        lines.append(f"valid: {report['files']} file(s), {warnings} warning(s)")
    return "\n".join(lines) + "\n"


def _json(report: dict[str, Any]) -> str:
    doc = problems_json(report["shown"])
    doc.update(valid=not report["failed"], files=report["files"], errorCount=report["errors"],
               warningCount=report["warnings"])
    return to_json(doc)


FORMATTERS = {"text": _text, "json": _json}


def _decrypted_problems(files: Any, key_file: str | None) -> list[Any]:
    """SOPS files decrypted with the key, when there is one, and validated in clear."""
    from gitfleet.errors import UsageError
    from gitfleet.load.sops_files import decrypted_problems
    from gitfleet.sops.format import SopsError
    from gitfleet.sops.keys import load_identities

    try:
        identities = load_identities(key_file)
    except SopsError as exc:
        raise UsageError(exc.message) from None
    return decrypted_problems(files, identities)


def run(args: argparse.Namespace) -> int:
    from gitfleet.service.planning import validate
    from gitfleet.service.source import read_repo

    revision = read_repo(args.repo, args.rev, git=False)
    problems = validate(revision)
    if not any(p.severity == "error" for p in problems):
        problems = sorted(problems + _decrypted_problems(revision.files, args.age_key_file))
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    failed = bool(errors or (args.strict and warnings))
    report = {
        "shown": [p for p in problems if not (args.quiet and p.severity == "warning")],
        "where": revision.where, "errors": errors, "warnings": warnings, "failed": failed,
        "strict": args.strict, "files": len(revision.files),
    }
    sys.stdout.write(FORMATTERS[args.output](report))
    return exitcodes.INVALID if failed else exitcodes.OK
