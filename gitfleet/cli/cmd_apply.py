"""``gitfleet apply``: one-shot apply of the fleet repo to the member clusters, with
server-side apply, pruning and drift correction, recorded on the status branch.

Exit codes: 0 every cluster converged; 1 invalid input (nothing applied); 2 usage
error; 3 some clusters or objects failed (the others were applied).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gitfleet.cli import exitcodes
from gitfleet.cli.common import CommandError, add_repo_argument, add_rev_argument, print_warnings
from gitfleet.git.source import GitSource, open_source
from gitfleet.git.statusbranch import commit_status, read_status_tree
from gitfleet.kube.settings import ClientSettings
from gitfleet.load.loader import load_fleet
from gitfleet.model.plan import Plan
from gitfleet.model.resource import Fleet
from gitfleet.plan.build import build_plan

if TYPE_CHECKING:
    from gitfleet.kube.client import KubeClient

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
        " kubeconfig context named like it. Results go to status/<cluster>.yaml on the status branch.",
    )
    add_repo_argument(parser)
    add_rev_argument(parser)
    add_cluster_arguments(parser)
    parser.add_argument("--dry-run", action="store_true",
                        help="server-side dry run: validate and report, change nothing")
    parser.add_argument("--allow-mass-prune", action="store_true",
                        help="prune even when more than maxPruneFraction of a cluster's objects would go")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text",
                        help="report format (default: text)")
    parser.add_argument("--no-status", action="store_true", help="do not record results on the status branch")
    parser.add_argument("--branch", help="status branch (default: fleet.yaml spec.statusBranch)")
    parser.add_argument("--push", action="store_true", help="push the status branch to 'origin'")
    parser.set_defaults(func=run)


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    """Which clusters, and how to reach them (shared with ``gitfleet drift``)."""
    parser.add_argument("--cluster", action="append", metavar="NAME",
                        help="only this cluster (repeatable; default: every Push-mode cluster)")
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


@dataclass
class Loaded:
    """The fleet repo at one revision, rendered, and where it came from."""

    source: GitSource
    fleet: Fleet
    plan: Plan
    revision: str | None  # the source commit; None outside Git
    dirty: bool
    summary: str | None


def load(repo: str, rev: str | None) -> Loaded:
    source = open_source(repo)
    files = source.files(rev)
    fleet = load_fleet(files)
    plan = build_plan(fleet)
    revision: str | None = None
    dirty = False
    summary = None
    if source.repo is not None:
        revision = source.resolve(rev) if rev is not None else source.head_sha()
        dirty = rev is None and source.is_dirty()
        summary = source.commit(revision).message if revision else None
    return Loaded(source, fleet, plan, revision, dirty, summary)


def selected_clusters(fleet: Fleet, wanted: list[str] | None) -> list[str]:
    known = {c.name for c in fleet.clusters}
    if wanted:
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise CommandError(f"unknown cluster(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return sorted(set(wanted))
    # Pull-mode members are reconciled by their own agent, not pushed to.
    return sorted(c.name for c in fleet.clusters if c.sync_mode != "Pull")


def connect_clusters(fleet: Fleet, names: list[str], args: argparse.Namespace) -> dict[str, KubeClient | Exception]:
    if args.concurrency < 1:
        raise CommandError("--concurrency must be at least 1")
    from gitfleet.kube.config import connect, management_client

    settings = ClientSettings(concurrency=args.concurrency, qps=args.qps, burst=max(1, args.burst))
    management = management_client(args.management_context, args.kubeconfig, settings)
    wanted = [c for c in fleet.clusters if c.name in set(names)]
    return dict(connect(wanted, args.kubeconfig, management, settings))


def close(clients: dict[str, KubeClient | Exception]) -> None:
    from gitfleet.kube.client import KubeClient

    for client in clients.values():
        if isinstance(client, KubeClient):
            client.close()


def previous_tree(loaded: Loaded, branch: str) -> dict[str, bytes]:
    if loaded.source.repo is None:
        return {}
    return read_status_tree(loaded.source, branch)


def run(args: argparse.Namespace) -> int:
    from gitfleet.apply.engine import ApplyOptions
    from gitfleet.apply.report import format_apply
    from gitfleet.apply.session import run_apply

    loaded = load(args.repo, args.rev)
    print_warnings(loaded.plan.warnings)
    names = selected_clusters(loaded.fleet, args.cluster)
    branch = args.branch or loaded.fleet.settings.status_branch
    previous = previous_tree(loaded, branch)
    clients = connect_clusters(loaded.fleet, names, args)
    try:
        options = ApplyOptions(dry_run=args.dry_run, allow_mass_prune=args.allow_mass_prune)
        result = run_apply(loaded.plan, loaded.fleet.settings, clients, previous, options, only=names)
    finally:
        close(clients)
    out: dict[str, Any] = result.to_json()
    if not args.dry_run and not args.no_status:
        out["statusCommit"] = record(loaded, branch, result, previous, args.push)
    if args.output == "json":
        json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_apply(result))
    return exitcodes.OK if result.ok else exitcodes.PARTIAL


def record(loaded: Loaded, branch: str, result: Any, previous: dict[str, bytes], push: bool) -> str | None:
    from gitfleet.apply.session import status_tree

    """Commit the render and the status files; ``None`` when nothing changed or the
    repo is not in Git (then a note goes to stderr)."""
    if loaded.revision is None:
        print("gitfleet apply: the fleet repo is not in a Git repository (or has no commit):"
              " results are not recorded on a status branch", file=sys.stderr)
        return None
    pull = frozenset(c.name for c in loaded.fleet.clusters if c.sync_mode == "Pull")
    files, extra = status_tree(loaded.plan, loaded.fleet.settings, result, previous, loaded.revision, pull)
    return commit_status(loaded.source, branch, files, loaded.revision, extra_files=extra, push=push,
                         summary=loaded.summary, dirty=loaded.dirty)
