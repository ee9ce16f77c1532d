"""``gitfleet explain KEY``: why a resource did or did not land on each cluster."""

from __future__ import annotations

import argparse
import difflib
import json
import sys

from gitfleet.cli import exitcodes
from gitfleet.cli.common import CommandError, add_repo_argument, add_rev_argument, load_and_plan
from gitfleet.explain.render import explanation_data, explanation_text
from gitfleet.model.keys import ResourceId


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "explain",
        help="why a resource did or did not land on each cluster, and the replica arithmetic",
        description="Explain one resource: the policy chosen and why the others lost, each"
        " cluster's verdict per scheduling step, the replica arithmetic, and which override rule"
        " changed which field on each cluster.",
    )
    add_repo_argument(parser)
    parser.add_argument("key", help="resource key <apiVersion>/<Kind>/<namespace>/<name>"
                        " (namespace _ for cluster-scoped), e.g. apps/v1/Deployment/shop/web")
    add_rev_argument(parser)
    parser.add_argument("--cluster", action="append", metavar="NAME", help="only this cluster")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        ResourceId.parse(args.key)
    except ValueError as err:
        raise CommandError(str(err)) from err
    fleet, plan = load_and_plan(args.repo, args.rev)
    placement = next((p for p in plan.placements if p.resource == args.key), None)
    if placement is None:
        close = difflib.get_close_matches(args.key, [p.resource for p in plan.placements], n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise CommandError(f"no resource {args.key} in the fleet repo{hint}", exitcodes.INVALID)
    names = sorted(c.name for c in fleet.clusters)
    if args.cluster:
        unknown = sorted(set(args.cluster) - set(names))
        if unknown:
            raise CommandError(f"unknown cluster(s): {', '.join(unknown)}")
        names = sorted(set(args.cluster))
    exp = plan.explanations[args.key]
    if args.output == "json":
        json.dump(explanation_data(exp, placement, names), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(explanation_text(exp, placement, names))
    return exitcodes.OK
