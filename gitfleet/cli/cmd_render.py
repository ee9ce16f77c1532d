"""``gitfleet render``: offline placement and overrides, to stdout, a folder, or a
commit on the status branch."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gitfleet.cli import exitcodes
from gitfleet.cli.common import (
    add_branch_argument,
    add_memory_arguments,
    add_repo_argument,
    add_rev_argument,
    print_warnings,
)
from gitfleet.cli.output import add_output_argument, emit, incompatible, to_json
from gitfleet.cli.output_dir import write_tree
from gitfleet.model.plan import Plan
from gitfleet.status.secrets import mask_plan


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "render",
        help="compute placements and per-cluster manifests offline",
        description="Compute where every resource goes and the overridden manifest for each"
        " cluster, without touching any cluster. Prints YAML (one document per manifest, after"
        " '# cluster:' and '# resource:' comments) or one JSON document with placements, manifests"
        " per cluster and warnings (-o json); with --output-dir, writes the status-branch layout"
        " into a folder; with --commit, records it on the status branch. Secret values are shown as"
        " digests everywhere.",
    )
    add_repo_argument(parser)
    add_rev_argument(parser)
    add_output_argument(parser, tuple(FORMATTERS), "yaml", "what to print")
    parser.add_argument("--output-dir", metavar="DIR",
                        help="write the status-branch tree layout into DIR (replaced as a whole; a folder"
                        " that is not a gitfleet render is never replaced)")
    parser.add_argument("--cluster", action="append", metavar="NAME",
                        help="show only this cluster (repeatable); a view filter: --commit always records"
                        " every cluster")
    parser.add_argument("--commit", action="store_true",
                        help="record the render as a commit on the status branch; after a small"
                        " change, only what it affects is planned again (the previous render is"
                        " remembered in $GITFLEET_CACHE/render, default ~/.cache/gitfleet/render)")
    parser.add_argument("--push", action="store_true",
                        help="with --commit: push the status branch to the remote 'origin'")
    add_branch_argument(parser)
    add_memory_arguments(parser)
    parser.set_defaults(func=run)


def _view(plan: Plan, clusters: list[str]) -> Plan:
    """``plan`` as seen from ``clusters`` only (what is printed or written, never recorded)."""
    if not clusters:
        return plan
    wanted = set(clusters)
    placements = tuple(
        type(p)(**{**p.__dict__, "clusters": tuple(c for c in p.clusters if c.name in wanted)})
        for p in plan.placements
    )
    return Plan(placements=placements, manifests={n: m for n, m in plan.manifests.items() if n in wanted},
                warnings=plan.warnings, failures={n: f for n, f in plan.failures.items() if n in wanted},
                explanations=plan.explanations)


def _comment(text: str) -> str:
    # A YAML comment ends at a line break: a name must not start a document of its own.
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def yaml_stream(plan: Plan) -> str:
    from gitfleet.load.yamlio import dump_yaml

    manifests: Mapping[str, Mapping[str, Mapping[str, Any]]] = plan.manifests
    parts: list[str] = []
    for cluster in sorted(manifests):
        for key in sorted(manifests[cluster]):
            parts.append(f"---\n# cluster: {_comment(cluster)}\n# resource: {_comment(key)}\n"
                         f"{dump_yaml(manifests[cluster][key])}")
    return "".join(parts)


FORMATTERS = {
    "yaml": yaml_stream,
    "json": lambda plan: to_json(plan.to_json()),
}


def run(args: argparse.Namespace) -> int:
    from gitfleet.service.planning import relocate_warnings, require_clusters
    from gitfleet.service.recall import memory_of
    from gitfleet.service.source import read_repo

    incompatible(
        (args.push and not args.commit, "--push needs --commit (it pushes the status commit)"),
        (args.branch is not None and not args.commit,
         "--branch needs --commit (it names the status branch to record on)"),
        (args.output_explicit and bool(args.output_dir or args.commit),
         "-o chooses what is printed, and --output-dir and --commit print nothing: drop -o"),
        (bool(args.cluster) and args.commit and not args.output_dir,
         ("--cluster only filters what is shown, and --commit alone shows nothing (it always records"
          " every cluster)")),
    )
    revision = read_repo(args.repo, args.rev, git=args.commit)
    if args.commit:
        from gitfleet.service.memory import DiskMemory
        from gitfleet.service.planning import render_for_status
        from gitfleet.service.recording import record_render, require_commit

        require_commit(revision)
        memory = DiskMemory()
        render = render_for_status(revision, args.branch, memory, full=bool(args.output_dir), fresh=args.fresh,
                                   now=args.now)
        if render.fleet is not None:
            require_clusters(render.fleet, args.cluster)
        print_warnings(relocate_warnings(render.warnings, revision.files, revision.where))
        sha = record_render(render, args.push, memory)
        print(f"status branch: {'committed ' + sha if sha else 'unchanged, nothing committed'}", file=sys.stderr)
        if args.output_dir and render.plan is not None:
            write_tree(_tree(_view(mask_plan(render.plan), args.cluster or [])), Path(args.output_dir))
        return exitcodes.OK
    from gitfleet.redaction import Redactor
    from gitfleet.service.planning import plan_once

    fleet, plan = plan_once(revision.files, revision.where, memory_of(revision, fresh=args.fresh, now=args.now))
    require_clusters(fleet, args.cluster)
    redactor = Redactor.from_plan(plan)
    print_warnings(tuple(redactor.text(w) for w in relocate_warnings(plan.warnings, revision.files, revision.where)))
    view = _view(mask_plan(plan), args.cluster or [])
    if args.output_dir:
        write_tree(_tree(view), Path(args.output_dir))
        return exitcodes.OK
    emit(FORMATTERS, args.output, view)
    return exitcodes.OK


def _tree(plan: Plan) -> Mapping[str, bytes]:
    from gitfleet.status.layout import plan_to_tree

    return plan_to_tree(plan)
