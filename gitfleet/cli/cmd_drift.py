"""``gitfleet drift``: compare the live clusters with the fleet repo on the fields
gitfleet manages, and print every difference as cluster, resource key, JSON pointer,
desired and live value. Reads only; ``gitfleet apply`` corrects drift when the policy
says ``correct``.

Exit codes: 0 done (no drift, or drift without ``--exit-code``); 1 drift found with
``--exit-code`` (or invalid input); 2 usage error; 3 some clusters could not be checked.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from gitfleet.cli import exitcodes
from gitfleet.cli.common import (
    add_branch_argument,
    add_cluster_arguments,
    add_memory_arguments,
    add_repo_argument,
    add_rev_argument,
    connection,
    print_warnings,
)
from gitfleet.cli.output import add_output_argument, to_json

if TYPE_CHECKING:
    from gitfleet.apply.result import FleetResult


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "drift",
        help="report where the live clusters differ from the fleet repo",
        description="Compare each member's live objects with the rendered manifests on the fields"
        " gitfleet manages only (defaulted fields, status and fields of other managers make no"
        " noise), honouring fleet.yaml spec.apply.ignore. Changes nothing.",
    )
    add_repo_argument(parser)
    add_rev_argument(parser)
    add_cluster_arguments(parser)
    add_memory_arguments(parser)
    add_output_argument(parser, tuple(FORMATTERS), "text", "report format")
    parser.add_argument("--exit-code", action="store_true", help="exit 1 when there is drift")
    add_branch_argument(parser)
    parser.set_defaults(func=run)


def _text(result: FleetResult) -> str:
    from gitfleet.apply.report import format_drift

    return format_drift(result)


def _json(result: FleetResult) -> str:
    from gitfleet.apply.report import drift_json

    return to_json(drift_json(result))


FORMATTERS = {"text": _text, "json": _json}


def run(args: argparse.Namespace) -> int:
    from gitfleet.apply.engine import ApplyOptions
    from gitfleet.service.applying import apply_planned, target

    link = connection(args)
    chosen = target(args.repo, args.rev, args.cluster, args.branch, fresh=args.fresh,
                    now=args.now)
    print_warnings(chosen.warnings)
    result = apply_planned(chosen.planned, chosen.members, link, chosen.previous_files, ApplyOptions(mode="drift"))
    sys.stdout.write(FORMATTERS[args.output](result))
    if any(c.error for c in result.clusters.values()):
        return exitcodes.PARTIAL
    drifted = any(c.drift() for c in result.clusters.values())
    return exitcodes.INVALID if args.exit_code and drifted else exitcodes.OK
