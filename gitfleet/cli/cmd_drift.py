"""``gitfleet drift``: compare the live clusters with the fleet repo on the fields
gitfleet manages, and print every difference as cluster, resource key, JSON pointer,
desired and live value. Reads only; ``gitfleet apply`` corrects drift when the policy
says ``correct``.

Exit codes: 0 done (no drift, or drift without ``--exit-code``); 1 drift found with
``--exit-code`` (or invalid input); 2 usage error; 3 some clusters could not be checked.
"""

from __future__ import annotations

import argparse
import json
import sys

from gitfleet.cli import exitcodes
from gitfleet.cli.cmd_apply import (
    add_cluster_arguments,
    close,
    connect_clusters,
    load,
    previous_tree,
    selected_clusters,
)
from gitfleet.cli.common import add_repo_argument, add_rev_argument, print_warnings


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
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text",
                        help="report format (default: text)")
    parser.add_argument("--exit-code", action="store_true", help="exit 1 when there is drift")
    parser.add_argument("--branch", help="status branch (default: fleet.yaml spec.statusBranch)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gitfleet.apply.engine import ApplyOptions
    from gitfleet.apply.report import drift_json, format_drift
    from gitfleet.apply.session import run_apply

    loaded = load(args.repo, args.rev)
    print_warnings(loaded.plan.warnings)
    names = selected_clusters(loaded.fleet, args.cluster)
    previous = previous_tree(loaded, args.branch or loaded.fleet.settings.status_branch)
    clients = connect_clusters(loaded.fleet, names, args)
    try:
        result = run_apply(loaded.plan, loaded.fleet.settings, clients, previous,
                           ApplyOptions(mode="drift"), only=names)
    finally:
        close(clients)
    if args.output == "json":
        json.dump(drift_json(result), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_drift(result))
    if any(c.error for c in result.clusters.values()):
        return exitcodes.PARTIAL
    drifted = any(c.drift() for c in result.clusters.values())
    return exitcodes.INVALID if args.exit_code and drifted else exitcodes.OK
