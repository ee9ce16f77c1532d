"""``gitfleet apply``: one-shot apply of the fleet repo to the member clusters, with
server-side apply, pruning and drift correction, recorded on the status branch.

Exit codes: 0 every cluster converged; 1 invalid input (nothing applied); 2 usage
error; 3 some clusters or objects failed (the others were applied).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

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
from gitfleet.cli.output import add_output_argument, incompatible, to_json

if TYPE_CHECKING:
    from gitfleet.apply.result import FleetResult
    from gitfleet.service.members import Members

# The Kubernetes client takes ~0.5 s to import: only the verbs that talk to clusters
# pay for it, inside their functions.


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "apply",
        help="apply the fleet repo to the member clusters",
        description="Render the fleet repo and make every member cluster match it: server-side"
        " apply (field manager 'gitfleet'), CRDs and Namespaces first, objects whose content did"
        " not change are not written, objects that are no longer desired are pruned, drift is"
        " corrected or reported (fleet.yaml spec.apply). Each cluster is reached through the"
        " kubeconfig context named like it. A cluster that left the inventory is pruned of what"
        " gitfleet applied there, when it can be reached. Pull-mode clusters are left to their"
        " agent. Results go to status/<cluster>.yaml on the status branch.",
    )
    add_repo_argument(parser)
    add_rev_argument(parser)
    add_cluster_arguments(parser)
    add_memory_arguments(parser)
    parser.add_argument("--dry-run", action="store_true",
                        help="server-side dry run: validate and report, change nothing (records nothing)")
    parser.add_argument("--allow-mass-prune", action="store_true",
                        help="prune even when more than maxPruneFraction of a cluster's objects would go")
    add_output_argument(parser, tuple(FORMATTERS), "text", "report format")
    parser.add_argument("--no-status", action="store_true", help="do not record results on the status branch")
    add_branch_argument(parser)
    parser.add_argument("--push", action="store_true", help="push the status branch to 'origin'")
    parser.set_defaults(func=run)


def _text(report: dict[str, Any]) -> str:
    from gitfleet.apply.report import format_apply

    result: FleetResult = report["result"]
    members: Members = report["members"]
    lines = [format_apply(result).rstrip("\n")] if result.clusters else []
    if members.skipped_pull:
        lines.append(f"skipped Pull-mode cluster(s) {', '.join(members.skipped_pull)}: their own agent applies them")
    if report.get("statusNote"):
        lines.append(report["statusNote"])
    return "\n".join(line for line in lines if line) + "\n"


def _json(report: dict[str, Any]) -> str:
    out: dict[str, Any] = report["result"].to_json()
    out["skippedPullClusters"] = list(report["members"].skipped_pull)
    out["departedClusters"] = list(report["members"].departed)
    if "statusCommit" in report:
        out["statusCommit"] = report["statusCommit"]
    return to_json(out)


FORMATTERS = {"text": _text, "json": _json}


def run(args: argparse.Namespace) -> int:
    from gitfleet.apply.engine import ApplyOptions
    from gitfleet.service.applying import apply_planned, target
    from gitfleet.service.memory import DiskMemory
    from gitfleet.service.recording import record_results

    recording = not args.dry_run and not args.no_status
    incompatible(
        (args.push and not recording, "--push needs a recorded run: drop --dry-run/--no-status or --push"),
        (args.branch is not None and args.no_status,
         "--branch names the status branch, and --no-status records nothing"),
    )
    link = connection(args)
    memory = DiskMemory()  # a no-op apply takes its plan from what the last apply remembered
    chosen = target(args.repo, args.rev, args.cluster, args.branch, departed=True, keep_tree=recording,
                    fresh=args.fresh, now=args.now, memory=memory)
    print_warnings(chosen.warnings)
    options = ApplyOptions(dry_run=args.dry_run, allow_mass_prune=args.allow_mass_prune)
    result = apply_planned(chosen.planned, chosen.members, link, chosen.previous_files, options, chosen.previous_keys)
    report: dict[str, Any] = {"result": result, "members": chosen.members}
    if recording:
        if chosen.revision.sha is None:
            report["statusNote"] = ("the fleet repo is not in a Git repository (or has no commit): results"
                                    " are not recorded on a status branch")
            report["statusCommit"] = None
        else:
            report["statusCommit"], _ = record_results(chosen.revision, chosen.branch, chosen.planned, result,
                                                       chosen.previous, args.push, memory=memory)
    sys.stdout.write(FORMATTERS[args.output](report))
    return exitcodes.OK if result.ok else exitcodes.PARTIAL
