"""``gitfleet clusters up``: start local member clusters (etcd and kube-apiserver
processes on loopback) and write a kubeconfig with one context per member, to try
gitfleet end to end without a real fleet. Runs in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from gitfleet.cli import exitcodes
from gitfleet.cli.common import CommandError


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "clusters",
        help="local member clusters for trying gitfleet out",
        description="Local member clusters: real kube-apiserver processes sharing one etcd on"
        " loopback (built by scripts/install-test-clusters.sh). They have no nodes: workloads are"
        " stored and reported, never run.",
    )
    verbs = parser.add_subparsers(dest="clusters_command", metavar="VERB")
    up = verbs.add_parser("up", help="start members and wait until Ctrl-C",
                          description="Start --count members named member1..memberN (or --name, or one per"
                          " cluster of --for-repo),"
                          " write --kubeconfig with one context per member, and keep them running"
                          " until Ctrl-C or SIGTERM; then stop them and remove their data.")
    up.add_argument("--count", type=int, default=2, help="how many members (default: 2)")
    up.add_argument("--name", action="append", metavar="NAME",
                    help="member names instead of member1..N (repeatable)")
    up.add_argument("--for-repo", metavar="REPO",
                    help="one member per Push-mode cluster of this fleet repo's inventory, named like it")
    up.add_argument("--kubeconfig", metavar="FILE", required=True, help="where to write the kubeconfig")
    up.set_defaults(func=run_up)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return exitcodes.USAGE


def run_up(args: argparse.Namespace) -> int:
    from gitfleet.testing.clusters import LocalClusters

    if args.for_repo:
        from gitfleet.service.planning import load
        from gitfleet.service.source import read_repo

        revision = read_repo(args.for_repo)
        fleet = load(revision.files, revision.where)
        names = sorted(c.name for c in fleet.clusters if c.sync_mode != "Pull")
        if not names:
            raise CommandError(f"{args.for_repo} has no Push-mode cluster in its inventory")
    else:
        names = args.name or [f"member{i}" for i in range(1, args.count + 1)]
    if not names or args.count < 1:
        raise CommandError("--count must be at least 1")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    clusters = LocalClusters(names, kubeconfig=Path(args.kubeconfig).resolve())
    try:
        print(f"starting {len(names)} member cluster(s)...", file=sys.stderr)
        clusters.start()
        print(f"kubeconfig: {clusters.kubeconfig} (contexts: {', '.join(names)})", file=sys.stderr)
        for name in names:
            print(f"  {name}: {clusters.members[name].server}", file=sys.stderr)
        print(f"try: gitfleet apply sample-repo --kubeconfig {clusters.kubeconfig}\n"
              "press Ctrl-C to stop", file=sys.stderr)
        sys.stderr.flush()
        while not stop.wait(1.0):
            for name, member in clusters.members.items():
                if not member.running:
                    print(f"member {name} exited; see {member.log}", file=sys.stderr)
                    stop.set()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        print("stopping...", file=sys.stderr)
        clusters.stop()
        if Path(args.kubeconfig).exists():
            Path(args.kubeconfig).unlink()
    return exitcodes.OK
