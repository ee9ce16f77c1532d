"""What the verbs share: their common arguments, and turning them into what the
application layer (:mod:`gitfleet.service`) takes.

``gitfleet.cli.main`` imports this module for every verb, so the loader, the planner
and the Kubernetes client are imported where they are used, not here: ``status``,
``clusters`` and ``run`` start without them.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from gitfleet.errors import InputError, UsageError

if TYPE_CHECKING:
    from gitfleet.service.members import Connection

# A usage problem found after argument parsing; the application layer raises the same.
CommandError = UsageError


def add_repo_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "repo", nargs="?", default=".",
        help="fleet repo: a folder (possibly inside a Git work tree) or a Git URL (default: .)",
    )


def add_rev_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rev", help="read the repo at this Git revision (branch, tag, SHA, HEAD~1) instead of"
        " the working tree as it is on disk",
    )


def add_memory_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The memory a render schedules with: the status branch's, or none (``--fresh``)."""
    parser.add_argument("--fresh", action="store_true",
                        help="schedule as a first scheduling, ignoring the decisions recorded on the status"
                        " branch (state/)")
    parser.add_argument("--now", metavar="TIME",
                        help="the render's clock, RFC 3339 (e.g. 2026-12-04T10:02:11Z; default: now): evictions"
                        " and eviction tasks are judged at this time, so a render can be reproduced")


def add_branch_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--branch", help="status branch (default: fleet.yaml spec.statusBranch)")


def add_cluster_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup,
                          what: str = "default: every Push-mode cluster") -> None:
    """Which clusters, and how to reach them (apply, drift, diff --live)."""
    from gitfleet.kube.settings import ClientSettings

    parser.add_argument("--cluster", action="append", metavar="NAME",
                        help=f"only this cluster (repeatable; {what})")
    parser.add_argument("--kubeconfig", metavar="FILE",
                        help="kubeconfig with one context per cluster, named like it (default: $KUBECONFIG)")
    parser.add_argument("--management-context", metavar="CONTEXT",
                        help="kubeconfig context of the cluster holding the Secrets that inventory"
                        " spec.secretRef names (default: the cluster gitfleet runs in, if any)")
    defaults = ClientSettings()
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency, metavar="N",
                        help=f"requests in flight per cluster (default: {defaults.concurrency})")
    parser.add_argument("--qps", type=float, default=defaults.qps,
                        help=f"client-side requests per second per cluster, lifted when the server announces"
                        f" API Priority and Fairness; 0: unlimited (default: {defaults.qps:g})")
    parser.add_argument("--burst", type=int, default=defaults.burst,
                        help=f"client-side burst per cluster (default: {defaults.burst})")


def connection(args: argparse.Namespace) -> Connection:
    from gitfleet.kube.settings import ClientSettings
    from gitfleet.service.members import Connection

    settings = ClientSettings(concurrency=args.concurrency, qps=args.qps, burst=max(1, args.burst))
    result = Connection(args.kubeconfig, args.management_context, settings)
    result.check()
    return result


def print_problems(err: InputError, out: TextIO | None = None) -> None:
    from gitfleet.cli.output import problems_text

    (out or sys.stderr).write(problems_text(err.problems))


def print_warnings(warnings: tuple[str, ...], out: TextIO | None = None) -> None:
    out = out or sys.stderr
    for warning in warnings:
        print(warning, file=out)


def read_files(repo: str, rev: str | None) -> dict[str, bytes]:
    """The fleet files of REPO at ``rev`` (None: the working tree)."""
    from gitfleet.service.source import read_repo

    return dict(read_repo(repo, rev, git=False).files)
