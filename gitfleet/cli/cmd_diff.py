"""``gitfleet diff``: the pull-request dry run. Renders the fleet repo at a base revision
and at the head (a revision, or the working tree) and prints what would change on every
cluster; with ``--live``, what an apply of the head would change on the live members.
Exit codes: 0 done (or no differences with ``--exit-code``), 1 invalid input (or
differences with ``--exit-code``), 2 usage error, 3 (``--live``) some clusters could not
be compared."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, TextIO

from gitfleet.cli import exitcodes
from gitfleet.cli.common import (
    CommandError,
    add_branch_argument,
    add_cluster_arguments,
    add_memory_arguments,
    add_repo_argument,
    connection,
    print_warnings,
)
from gitfleet.cli.output import add_output_argument, incompatible, report_invalid, to_json

if TYPE_CHECKING:
    from gitfleet.apply.result import FleetResult
    from gitfleet.diff.model import PlanDiff

FORMATS = ("text", "markdown", "json")
LIVE_FORMATS = ("text", "json")


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "diff",
        help="what a change would do to each cluster (pull-request dry run)",
        description="Render the fleet repo at --base and at --head (default: the working tree)"
        " and print, per cluster, the objects that would be deleted, created or changed, plus"
        " placement moves and replica changes. Secret values show as digests.",
    )
    add_repo_argument(parser)
    parser.add_argument("--base", metavar="REV",
                        help="revision to compare against (required unless --live)")
    parser.add_argument("--head", metavar="REV", help="revision to compare (default: the working tree)")
    add_output_argument(parser, FORMATS, "text", "output format (--live: text|json)")
    parser.add_argument("--exit-code", action="store_true", help="exit 1 when there are differences")
    parser.add_argument("--context", type=int, default=3, metavar="N", help="lines of context in diffs")
    add_memory_arguments(parser)
    live = parser.add_argument_group(
        "live", "--live compares the head render with the live member clusters instead of --base:"
        " what `gitfleet apply` would change, by server-side dry run (nothing is written)")
    live.add_argument("--live", action="store_true", help="diff against the live clusters")
    add_branch_argument(live)
    add_cluster_arguments(live)
    parser.set_defaults(func=run)


def _color(out: TextIO) -> bool:
    return out.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _text(diff: PlanDiff) -> str:
    from gitfleet.diff import format_text

    return format_text(diff, color=_color(sys.stdout))


def _markdown(diff: PlanDiff) -> str:
    from gitfleet.diff import format_markdown

    return format_markdown(diff)


def _json(diff: PlanDiff) -> str:
    from gitfleet.diff import format_json

    return format_json(diff)


FORMATTERS = {"text": _text, "markdown": _markdown, "json": _json}


def _live_text(result: FleetResult) -> str:
    from gitfleet.apply.report import format_live_diff

    return format_live_diff(result)


def _live_json(result: FleetResult) -> str:
    return to_json(result.to_json())


LIVE_FORMATTERS = {"text": _live_text, "json": _live_json}


def run_live(args: argparse.Namespace) -> int:
    """What an apply of the head would do on the live clusters."""
    from gitfleet.service.applying import live_diff_planned, target

    link = connection(args)
    chosen = target(args.repo, args.head, args.cluster, args.branch, fresh=args.fresh, now=args.now)
    print_warnings(chosen.warnings)
    result = live_diff_planned(chosen.planned, chosen.members, link, chosen.previous_files)
    sys.stdout.write(LIVE_FORMATTERS[args.output](result))
    if not result.ok:
        return exitcodes.PARTIAL
    changed = any(o.action != "unchanged" for c in result.clusters.values() for o in c.objects)
    return exitcodes.INVALID if args.exit_code and changed else exitcodes.OK


def run(args: argparse.Namespace) -> int:
    from gitfleet.service.diffing import SideInvalid, diff_revisions
    from gitfleet.service.memory import DiskMemory
    from gitfleet.service.source import open_repo

    if args.context < 0:
        raise CommandError("--context must be 0 or more")
    live_only = bool(args.cluster) or args.kubeconfig is not None or args.management_context is not None
    incompatible(
        (args.live and args.base is not None, "--live compares the head with the live clusters: drop --base"),
        (args.live and args.output not in LIVE_FORMATTERS,
         f"--live prints {' or '.join(LIVE_FORMATS)}, not {args.output}"),
        (not args.live and args.branch is not None, "--branch goes with --live"),
        (not args.live and live_only, "--cluster, --kubeconfig and --management-context go with --live"),
        (not args.live and not args.base,
         "--base REV is required (or --live to compare with the live clusters)"),
    )
    if args.live:
        return run_live(args)
    try:
        compared = diff_revisions(open_repo(args.repo), args.base, args.head, args.context, DiskMemory(),
                                  fresh=args.fresh, now=args.now)
    except SideInvalid as err:
        report_invalid(err.problems, args.output if args.output != "text" else None, err.label, err.where)
        return exitcodes.INVALID
    sys.stdout.write(FORMATTERS[args.output](compared))
    if args.exit_code and compared.has_changes:
        return exitcodes.INVALID
    return exitcodes.OK
