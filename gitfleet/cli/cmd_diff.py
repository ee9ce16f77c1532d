"""``gitfleet diff``: the pull-request dry run. Renders the fleet repo at a base revision
and at the head (a revision, or the working tree) and prints what would change on every
cluster. Exit codes: 0 done (or no differences with ``--exit-code``), 1 invalid input
(or differences with ``--exit-code``), 2 usage error."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from gitfleet.cli import exitcodes
from gitfleet.cli.common import CommandError, add_repo_argument
from gitfleet.diff import diff_plans, format_json, format_markdown, format_text
from gitfleet.diff.markdown import MARKER
from gitfleet.diff.model import PlanDiff
from gitfleet.errors import GitfleetError, InputError, Problem
from gitfleet.git.errors import GitSourceError
from gitfleet.git.source import GitSource, open_source
from gitfleet.load.loader import load_fleet
from gitfleet.model.plan import Plan
from gitfleet.model.resource import Fleet
from gitfleet.plan.build import build_plan

FORMATS = ("text", "markdown", "json")


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
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--exit-code", action="store_true", help="exit 1 when there are differences")
    parser.add_argument("--context", type=int, default=3, metavar="N", help="lines of context in diffs")
    live = parser.add_argument_group(
        "live", "--live compares the head render with the live member clusters instead of --base:"
        " what `gitfleet apply` would change, by server-side dry run (nothing is written)")
    live.add_argument("--live", action="store_true", help="diff against the live clusters")
    live.add_argument("--branch", help="status branch holding the previous render (for pruning)")
    from gitfleet.cli.cmd_apply import add_cluster_arguments

    add_cluster_arguments(live)
    parser.set_defaults(func=run)


@dataclass(frozen=True)
class Side:
    """One side of the comparison, rendered."""

    label: str
    fleet: Fleet
    plan: Plan


class SideInvalid(GitfleetError):
    """One side does not load or plan; carries its problems."""

    def __init__(self, label: str, problems: list[Problem]) -> None:
        self.label, self.problems = label, problems
        super().__init__(f"{label} is invalid: {len(problems)} problem(s)")


def render_side(files: Mapping[str, bytes], label: str) -> Side:
    try:
        fleet = load_fleet(files)
        return Side(label, fleet, build_plan(fleet))
    except InputError as err:
        raise SideInvalid(label, list(err.problems)) from None
    except GitfleetError as err:
        raise SideInvalid(label, [Problem("<fleet>", 0, 0, str(err))]) from None


def _label(source: GitSource, rev: str | None) -> str:
    if rev is None:
        return "working tree"
    return f"{rev} ({source.resolve(rev)[:12]})"


def _report_invalid(err: SideInvalid, fmt: str, out: TextIO, errout: TextIO) -> None:
    errors = [p for p in err.problems if p.severity == "error"]
    if fmt == "json":
        out.write(json.dumps({
            "version": 1,
            "invalid": err.label,
            "errors": [{"path": p.path, "line": p.line, "col": p.col, "message": p.message,
                        "severity": p.severity} for p in err.problems],
        }, indent=2) + "\n")
    elif fmt == "markdown":
        lines = [MARKER, "### gitfleet diff", "",
                 f"❌ **{err.label} is invalid** ({len(errors)} error(s)); nothing can be compared:", "", "```"]
        lines += [str(p) for p in err.problems] + ["```", ""]
        out.write("\n".join(lines))
    for problem in err.problems:
        print(problem, file=errout)
    print(f"{len(errors)} error(s) in {err.label}; nothing was compared", file=errout)


def compute(repo: str, base: str, head: str | None, context: int = 3) -> PlanDiff:
    """Both sides rendered and diffed; raises :class:`SideInvalid` for an invalid side."""
    source = open_source(repo)
    try:
        base_label, head_label = _label(source, base), _label(source, head)
        base_files, head_files = source.files_at(base), source.files(head)
    except GitSourceError as err:  # an unknown revision is a usage error
        raise CommandError(str(err)) from None
    new = render_side(head_files, head_label)  # head first: its errors are what a PR author needs
    old = render_side(base_files, base_label)
    return diff_plans(
        old.plan, new.plan, new.fleet.settings.apply.max_prune_fraction,
        base_clusters=[c.name for c in old.fleet.clusters],
        head_clusters=[c.name for c in new.fleet.clusters],
        base_label=base_label, head_label=head_label, context=context,
    )


def _color(out: TextIO) -> bool:
    return out.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def run_live(args: argparse.Namespace) -> int:
    """What an apply of the head would do on the live clusters."""
    from gitfleet.apply.livediff import live_diff
    from gitfleet.apply.report import format_live_diff
    from gitfleet.cli.cmd_apply import close, connect_clusters, load, previous_tree, selected_clusters

    loaded = load(args.repo, args.head)
    names = selected_clusters(loaded.fleet, args.cluster)
    clients = connect_clusters(loaded.fleet, names, args)
    try:
        previous = previous_tree(loaded, args.branch or loaded.fleet.settings.status_branch)
        result = live_diff(loaded.plan, loaded.fleet.settings, clients, previous, only=names)
    finally:
        close(clients)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(format_live_diff(result))
    if not result.ok:
        return exitcodes.PARTIAL
    changed = any(o.action != "unchanged" for c in result.clusters.values() for o in c.objects)
    return exitcodes.INVALID if args.exit_code and changed else exitcodes.OK


def run(args: argparse.Namespace) -> int:
    if args.context < 0:
        raise CommandError("--context must be 0 or more")
    if args.live:
        return run_live(args)
    if not args.base:
        raise CommandError("--base REV is required (or --live to compare with the live clusters)")
    try:
        diff = compute(args.repo, args.base, args.head, args.context)
    except SideInvalid as err:
        _report_invalid(err, args.format, sys.stdout, sys.stderr)
        return exitcodes.INVALID
    if args.format == "json":
        sys.stdout.write(format_json(diff))
    elif args.format == "markdown":
        sys.stdout.write(format_markdown(diff))
    else:
        sys.stdout.write(format_text(diff, color=_color(sys.stdout)))
    if args.exit_code and diff.has_changes:
        return exitcodes.INVALID
    return exitcodes.OK
