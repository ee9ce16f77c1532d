"""``gitfleet render``: offline placement and overrides, to stdout, a folder, or a
commit on the status branch."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gitfleet.cli import exitcodes
from gitfleet.cli.common import (
    CommandError,
    add_repo_argument,
    add_rev_argument,
    load_and_plan,
    print_warnings,
)
from gitfleet.load.yamlio import dump_yaml
from gitfleet.model.plan import Plan
from gitfleet.status.layout import plan_to_tree
from gitfleet.status.secrets import mask_plan

RENDER_MARKER = "placements.yaml"


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "render",
        help="compute placements and per-cluster manifests offline",
        description="Compute where every resource goes and the overridden manifest for each"
        " cluster, without touching any cluster. Prints YAML (one document per manifest, each"
        " after a '# cluster: NAME' comment) or the JSON document of DESIGN.md §3; with -o,"
        " writes the status-branch layout to a folder; with --commit, records it on the status"
        " branch. Secret values are shown as digests everywhere.",
    )
    add_repo_argument(parser)
    add_rev_argument(parser)
    parser.add_argument("-o", "--output-dir", metavar="DIR",
                        help="write the status-branch tree layout into DIR (replaced as a whole)")
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml",
                        help="stdout format (default: yaml)")
    parser.add_argument("--cluster", action="append", metavar="NAME",
                        help="only this cluster (repeatable)")
    parser.add_argument("--commit", action="store_true",
                        help="record the render as a commit on the status branch; after a small"
                        " change, only what it affects is planned again (the previous render is"
                        " remembered in $GITFLEET_CACHE/render, default ~/.cache/gitfleet/render)")
    parser.add_argument("--push", action="store_true",
                        help="with --commit: push the status branch to the remote 'origin'")
    parser.add_argument("--branch", help="status branch (default: fleet.yaml spec.statusBranch)")
    parser.set_defaults(func=run)


def _filter(plan: Plan, clusters: list[str] | None, known: set[str]) -> Plan:
    if not clusters:
        return plan
    unknown = sorted(set(clusters) - known)
    if unknown:
        raise CommandError(f"unknown cluster(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    wanted = set(clusters)
    placements = tuple(
        type(p)(**{**p.__dict__, "clusters": tuple(c for c in p.clusters if c.name in wanted)})
        for p in plan.placements
    )
    return Plan(
        placements=placements,
        manifests={n: m for n, m in plan.manifests.items() if n in wanted},
        warnings=plan.warnings,
        explanations=plan.explanations,
    )


def _yaml_stream(manifests: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    parts: list[str] = []
    for cluster in sorted(manifests):
        for key in sorted(manifests[cluster]):
            parts.append(f"---\n# cluster: {cluster}\n# resource: {key}\n{dump_yaml(manifests[cluster][key])}")
    return "".join(parts)


def write_tree(files: Mapping[str, bytes], target: Path) -> None:
    """Replace ``target`` with exactly ``files``, atomically enough that a crash leaves
    either the old render or the new one, and never deletes a folder gitfleet did not
    write."""
    if target.exists() and any(target.iterdir()) and not (target / RENDER_MARKER).exists():
        raise CommandError(
            f"{target} exists, is not empty and is not a gitfleet render (no {RENDER_MARKER});"
            " refusing to replace it"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        made: set[Path] = set()
        for rel, data in files.items():
            path = staging / rel
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            path.write_bytes(data)
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old)
        else:
            staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _commit_only(args: argparse.Namespace) -> int:
    """``render --commit`` alone: incremental when the last commit's render is known."""
    from gitfleet.cli.cmd_commit import finish_commit, prepare_commit

    prepared = prepare_commit(args.repo, args.rev, args.branch)
    print_warnings(prepared.warnings)
    sha = finish_commit(prepared, args.push)
    print(f"status branch: {'committed ' + sha if sha else 'unchanged, nothing committed'}", file=sys.stderr)
    return exitcodes.OK


def run(args: argparse.Namespace) -> int:
    if args.commit and not args.output_dir and not args.cluster:
        return _commit_only(args)
    fleet, plan = load_and_plan(args.repo, args.rev)
    plan = _filter(plan, args.cluster, {c.name for c in fleet.clusters})
    print_warnings(plan.warnings)
    masked = mask_plan(plan)
    if args.output_dir:
        write_tree(plan_to_tree(masked), Path(args.output_dir))
    if args.commit:
        from gitfleet.cli.cmd_commit import commit_render

        sha = commit_render(args.repo, args.rev, plan, args.branch or fleet.settings.status_branch,
                            args.push)
        print(f"status branch: {'committed ' + sha if sha else 'unchanged, nothing committed'}",
              file=sys.stderr)
    if args.output_dir or args.commit:
        return exitcodes.OK
    if args.format == "json":
        json.dump(masked.to_json(), sys.stdout, indent=2, sort_keys=False, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(_yaml_stream(masked.manifests))
    return exitcodes.OK
