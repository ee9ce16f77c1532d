"""Entry point: ``gitfleet <verb>``. Maps errors to the documented exit codes."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
from collections.abc import Sequence

from gitfleet import __version__
from gitfleet.cli import exitcodes
from gitfleet.cli.output import report_invalid
from gitfleet.errors import GitfleetError, InputError, UsageError

# Each module adds one verb, named after it (``cmd_render`` adds ``render``). Listed, not
# discovered, so the help order is stable.
LONG_LIVED = frozenset({"run", "agent", "clusters"})  # verbs whose process keeps running
COMMANDS = (
    "cmd_validate", "cmd_render", "cmd_explain", "cmd_diff", "cmd_status",
    "cmd_apply", "cmd_drift", "cmd_clusters", "cmd_run", "cmd_agent", "cmd_secrets",
)
# The top-level options that take no value and show no verb list; ``-vv`` and unique
# prefixes (``--verb``) are accepted too, as argparse does. Anything else before the verb
# (``-h``, ``--version``, a typo) makes the parser register every verb, as help needs.
_VERBOSE = "--verbose"
_MIN_VERBOSE_PREFIX = len("--verb")  # "--ver" could also be --version


def verb_module(argv: Sequence[str]) -> str | None:
    """The one verb module ``argv`` needs, or None when the parser must know every verb
    (no verb, an unknown one, or a help/version flag before it).

    A fresh process spends most of its start importing: registering only the verb run
    keeps the other verbs' dependencies (the Kubernetes client, the diff and status
    renderers...) out of it.
    """
    for arg in argv:
        if arg.startswith("-") and arg != "-":
            is_verbose = arg == "-" + "v" * (len(arg) - 1) or (
                len(arg) >= _MIN_VERBOSE_PREFIX and _VERBOSE.startswith(arg))
            if not is_verbose:
                return None
            continue
        module = f"cmd_{arg}"
        return module if module in COMMANDS else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command-line parser: with every verb, or with only the one ``argv`` names
    (see :func:`verb_module`); ``argv=None`` means every verb."""
    parser = argparse.ArgumentParser(
        prog="gitfleet",
        description="GitOps for fleets of Kubernetes clusters, with Karmada's placement and"
        " override policies and no control plane.",
    )
    parser.add_argument("--version", action="version", version=f"gitfleet {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    only = verb_module(argv) if argv is not None else None
    if only is None or not _register(subparsers, only):
        for name in COMMANDS:
            _register(subparsers, name)
    return parser


def _register(subparsers: argparse._SubParsersAction, name: str) -> bool:  # type: ignore[type-arg]
    """Add verb module ``name``'s subcommand; False when the module is not there."""
    try:
        module = importlib.import_module(f"gitfleet.cli.{name}")
    except ModuleNotFoundError as err:
        if err.name == f"gitfleet.cli.{name}":
            return False
        raise
    module.add_parser(subparsers)
    verb = subparsers.choices[name.removeprefix("cmd_")]
    # -v works after the verb as well as before it; SUPPRESS keeps the count given before.
    verb.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                      help="more logging (-vv: debug)")
    return True


def _verb_parser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    """The parser of verb ``command`` (its usage is what a usage error should show)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            chosen = action.choices[command]
            assert isinstance(chosen, argparse.ArgumentParser)
            return chosen
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; ``argv=None`` is the process's own command line (then the process
    ends with it, which lets a one-shot verb skip the garbage collector's last walk)."""
    ending = argv is None
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    verb = _verb_parser(parser, getattr(args, "command", None))
    if extra:
        verb.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return exitcodes.USAGE
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code = int(args.func(args))
        if ending and args.command not in LONG_LIVED:
            # A one-shot verb is done: without this, interpreter shutdown walks every parse
            # cache still alive (seconds on a 10,000-cluster fleet).
            gc.freeze()
        return code
    except InputError as err:
        report_invalid(err.problems, getattr(args, "output", None), where=err.where)
        return exitcodes.INVALID
    except UsageError as err:
        print(f"gitfleet {args.command}: {err}", file=sys.stderr)
        if err.code == exitcodes.USAGE:
            print(f"(see 'gitfleet {args.command} --help')", file=sys.stderr)
        return err.code
    except GitfleetError as err:
        print(f"gitfleet {args.command}: {err}", file=sys.stderr)
        return exitcodes.INVALID
    except BrokenPipeError:
        return exitcodes.OK
    except KeyboardInterrupt:
        return 130
