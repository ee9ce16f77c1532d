"""Entry point: ``gitfleet <verb>``. Maps errors to the documented exit codes."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from gitfleet import __version__
from gitfleet.cli import exitcodes
from gitfleet.cli.common import CommandError, print_problems
from gitfleet.errors import GitfleetError, InputError

# Each module adds one verb. Listed, not discovered, so the help order is stable.
COMMANDS = (
    "cmd_validate", "cmd_render", "cmd_explain", "cmd_diff", "cmd_status",
    "cmd_apply", "cmd_drift", "cmd_clusters", "cmd_run",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gitfleet",
        description="GitOps for fleets of Kubernetes clusters, with Karmada's placement and"
        " override policies and no control plane.",
    )
    parser.add_argument("--version", action="version", version=f"gitfleet {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"gitfleet.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"gitfleet.cli.{name}":
                continue
            raise
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return exitcodes.USAGE
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except InputError as err:
        print_problems(err)
        return exitcodes.INVALID
    except CommandError as err:
        print(f"gitfleet {args.command}: {err}", file=sys.stderr)
        return err.code
    except GitfleetError as err:
        print(f"gitfleet {args.command}: {err}", file=sys.stderr)
        return exitcodes.INVALID
    except BrokenPipeError:
        return exitcodes.OK
    except KeyboardInterrupt:
        return 130
