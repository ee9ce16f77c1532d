"""``gitfleet explain KEY``: why a resource did or did not land on each cluster."""

from __future__ import annotations

import argparse
import difflib
import sys
from typing import Any

from gitfleet.cli import exitcodes
from gitfleet.cli.common import CommandError, add_memory_arguments, add_repo_argument, add_rev_argument
from gitfleet.cli.output import add_output_argument, to_json


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "explain",
        help="why a resource did or did not land on each cluster, and the replica arithmetic",
        description="Explain one resource: the policy chosen and why the others lost, each"
        " cluster's verdict per scheduling step, the replica arithmetic, and which override rule"
        " changed which field on each cluster (Secret values as digests).",
    )
    add_repo_argument(parser)
    parser.add_argument("key", help="resource key <apiVersion>/<Kind>/<namespace>/<name>"
                        " (namespace _ for cluster-scoped), e.g. apps/v1/Deployment/shop/web")
    add_rev_argument(parser)
    add_memory_arguments(parser)
    parser.add_argument("--cluster", action="append", metavar="NAME", help="only this cluster (repeatable)")
    add_output_argument(parser, tuple(FORMATTERS), "text", "output format")
    parser.set_defaults(func=run)


def _text(view: dict[str, Any]) -> str:
    from gitfleet.explain.render import explanation_text

    return explanation_text(view["explanation"], view["placement"], view["clusters"])


def _json(view: dict[str, Any]) -> str:
    from gitfleet.explain.render import explanation_data

    return to_json(explanation_data(view["explanation"], view["placement"], view["clusters"]))


FORMATTERS = {"text": _text, "json": _json}


def run(args: argparse.Namespace) -> int:
    from gitfleet.model.keys import ResourceId
    from gitfleet.service.planning import plan_once, require_clusters
    from gitfleet.service.recall import memory_of
    from gitfleet.service.source import read_repo

    try:
        ResourceId.parse(args.key)
    except ValueError as err:
        raise CommandError(str(err)) from err
    revision = read_repo(args.repo, args.rev, git=False)
    fleet, plan = plan_once(revision.files, revision.where, memory_of(revision, fresh=args.fresh, now=args.now))
    chosen = require_clusters(fleet, args.cluster)
    placement = next((p for p in plan.placements if p.resource == args.key), None)
    if placement is None:
        close = difflib.get_close_matches(args.key, [p.resource for p in plan.placements], n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise CommandError(f"no resource {args.key} in the fleet repo{hint}", exitcodes.INVALID)
    names = chosen or sorted(c.name for c in fleet.clusters)
    view = {"explanation": plan.explanations[args.key], "placement": placement, "clusters": names}
    sys.stdout.write(FORMATTERS[args.output](view))
    return exitcodes.OK
