"""``gitfleet status``: what the status branch says: placements and the last source
commit rendered (and, from the apply engine, per-cluster results)."""

from __future__ import annotations

import argparse
import sys

from gitfleet.apply.statusfile import status_section
from gitfleet.cli import exitcodes
from gitfleet.cli.common import add_branch_argument, add_repo_argument
from gitfleet.cli.output import add_output_argument
from gitfleet.git.source import GitSource
from gitfleet.git.statusbranch import read_status_commit
from gitfleet.service.source import open_repo
from gitfleet.status.layout import status_branch_name
from gitfleet.status.report import StatusReport, build_report, format_json, format_table, format_yaml


def _table(report: StatusReport) -> str:
    return format_table(report, (status_section,))


FORMATTERS = {"table": _table, "json": format_json, "yaml": format_yaml}


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "status",
        help="placements and last rendered source commit, from the status branch",
        description="Read the tip of the status branch and print where every resource is"
        " placed and which source commit was rendered last.",
    )
    add_repo_argument(parser)
    add_output_argument(parser, tuple(FORMATTERS), "table", "output format")
    add_branch_argument(parser)
    parser.set_defaults(func=run)


def _branch(source: GitSource) -> str:
    if source.root is not None:
        path = source.root / "fleet.yaml"
        return status_branch_name(path.read_bytes() if path.is_file() else None)
    if source.head_sha() is None:
        return status_branch_name(None)
    return status_branch_name(source.files_at("HEAD").get("fleet.yaml"))


def collect(repo: str, branch: str | None = None) -> StatusReport:
    """The status report of ``repo`` (a folder or a URL, whose mirror is fetched)."""
    source = open_repo(repo)
    name = branch or _branch(source)
    tip = read_status_commit(source, name)
    if tip is None:
        return StatusReport(branch=name)
    from gitfleet.service.agent import latest_reports

    # A Pull member's agent reports on a branch of its own: its newest report counts.
    files = {**tip.files, **latest_reports(source, name)} if source.repo is not None else tip.files
    return build_report(name, tip.sha, tip.source_sha, tip.time, files, dirty=tip.dirty)


def run(args: argparse.Namespace) -> int:
    report = collect(args.repo, args.branch)
    sys.stdout.write(FORMATTERS[args.output](report))
    return exitcodes.OK
