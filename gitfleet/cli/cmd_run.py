"""``gitfleet run --config FILE``: the background reconciler. Follows a branch of the
fleet repo, applies every new commit to the member clusters, re-checks them for drift
every drift interval, records render and results on the status branch, and serves
``/healthz``, ``/readyz`` and ``/metrics``. Runs until SIGTERM or SIGINT.

Exit codes: 0 stopped cleanly; 1 invalid run config; 2 usage error.
"""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "run",
        help="run the background reconciler",
        description="Reconcile the member clusters with the fleet repo every interval: fetch, and"
        " when the followed commit or the cluster set changed, a cluster failed, or the drift"
        " interval elapsed, render, apply to the Push-mode clusters and record on the status branch."
        " A commit that does not load is reported on /readyz and in the log; the clusters keep the"
        " last good state. The config file's schema is policies-schema/run-config.json.",
    )
    parser.add_argument("--config", required=True, metavar="FILE", help="run configuration (YAML)")
    parser.add_argument("--once", action="store_true",
                        help="run one cycle, print its outcome and exit (0 applied or unchanged, 1 invalid"
                        " repo, 3 partial or error)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # The reconciler pulls in the Kubernetes client and APScheduler: only this verb pays.
    from gitfleet.cli import exitcodes
    from gitfleet.reconcile.config import load_config
    from gitfleet.reconcile.logfmt import configure

    config = load_config(args.config)
    configure(args.verbose)
    if args.once:
        from gitfleet.reconcile.cycle import Reconciler

        report = Reconciler(config).run_cycle()
        print(report.outcome + (f": {report.error}" if report.error else ""))
        if report.outcome in ("applied", "unchanged"):
            return exitcodes.OK
        return exitcodes.INVALID if report.outcome == "invalid" else exitcodes.PARTIAL
    from gitfleet.reconcile.loop import run as run_loop

    run_loop(config)
    return exitcodes.OK
