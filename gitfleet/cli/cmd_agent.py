"""``gitfleet agent --cluster NAME``: the agent of a Pull-mode member. Runs inside the
member (its service account), follows the fleet repo, applies the decision the status
branch records for its member after checking it against the member's folder there, and
publishes its report on ``<status branch>-agents/<member>``.

Exit codes: 0 stopped cleanly (``--once``: applied); 1 invalid config or, with
``--once``, a refused status branch; 2 usage error; 3 ``--once`` partial or error.
"""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "agent",
        help="run the agent of a Pull-mode member",
        description="Apply, inside a Pull-mode member, what the status branch records for it: the"
        " member's manifests are rendered from the recorded source commit and must equal its folder"
        " on the status branch (else nothing is applied), then applied with server-side apply, prune"
        " and drift correction; the report goes to the branch <status branch>-agents/<member>, where"
        " the reconciler reads it (and taints the member when its agent falls silent). The config"
        " file's schema is policies-schema/agent-config.json; flags override it.",
    )
    parser.add_argument("--config", metavar="FILE", help="agent configuration (YAML)")
    parser.add_argument("--cluster", metavar="NAME", help="the member this agent runs in")
    parser.add_argument("--repo", metavar="URL", help="the fleet repo (a Git URL or a folder in a Git repository)")
    parser.add_argument("--kubeconfig", metavar="FILE", help="reach the member through this kubeconfig (default:"
                        " in-cluster)")
    parser.add_argument("--context", metavar="NAME", help="kubeconfig context (default: named like the cluster)")
    parser.add_argument("--status-branch", metavar="BRANCH", help="status branch (default: fleet.yaml's)")
    parser.add_argument("--interval", metavar="DURATION", help="time between passes (default: the fleet's"
                        " healthInterval)")
    parser.add_argument("--listen", metavar="HOST:PORT", help="address of /healthz, /readyz, /metrics")
    parser.add_argument("--dry-run", action="store_true", default=None, help="server-side dry run, change nothing")
    parser.add_argument("--once", action="store_true", help="one pass, print its outcome, exit")
    parser.add_argument("--print-rbac", action="store_true", help="print the ServiceAccount, ClusterRole and"
                        " ClusterRoleBinding this member's agent needs (what the status branch places there), exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gitfleet.cli import exitcodes
    from gitfleet.reconcile.agent import Agent, load_agent_config
    from gitfleet.reconcile.logfmt import configure

    interval: float | str | None = args.interval
    if interval is not None:
        try:
            interval = float(interval)
        except ValueError:
            pass
    config = load_agent_config(args.config, {
        "repo": args.repo, "cluster": args.cluster, "kubeconfig": args.kubeconfig, "context": args.context,
        "statusBranch": args.status_branch, "interval": interval, "listen": args.listen, "dryRun": args.dry_run,
    })
    if args.print_rbac:
        import sys

        from gitfleet.service.agent_rbac import print_rbac

        text, notes = print_rbac(config.settings.repo, config.settings.cluster, config.settings.status_branch)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        sys.stdout.write(text)
        return exitcodes.OK
    # Only a running agent logs in key=value lines (printing RBAC keeps the CLI's logging).
    configure(args.verbose)
    if args.once:
        agent = Agent(config)
        try:
            outcome = agent.run_pass()
        finally:
            agent.close()
        print(outcome.outcome + (f": {outcome.error}" if outcome.error else ""))
        if outcome.outcome == "applied":
            return exitcodes.OK
        return exitcodes.INVALID if outcome.outcome == "refused" else exitcodes.PARTIAL
    from gitfleet.reconcile.agent import run as run_agent

    run_agent(config)
    return exitcodes.OK
