"""One output convention for every verb, as kubectl's: ``-o/--output FORMAT`` (with
``--format`` kept as a synonym, since scripts and CI use it), a formatter table per
result type, and the invalid-input report in the format asked for."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO, TypeVar

from gitfleet.errors import Problem, UsageError

T = TypeVar("T")
Formatter = Callable[[T], str]


class _OutputFormat(argparse.Action):
    """``-o FORMAT``; a value that looks like a folder gets a pointer to ``--output-dir``."""

    def __init__(self, option_strings: Sequence[str], dest: str, formats: Sequence[str] = (),
                 **kwargs: Any) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.formats = tuple(formats)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        value = str(values)
        if value not in self.formats:
            hint = ""
            if hasattr(namespace, "output_dir"):
                hint = f"; to write the render into a folder, use --output-dir {value}"
            parser.error(f"argument -o/--output: invalid choice: {value!r} (choose from"
                         f" {', '.join(self.formats)}){hint}")
        setattr(namespace, self.dest, value)
        namespace.output_explicit = True


def add_output_argument(parser: argparse.ArgumentParser | Any, formats: Sequence[str], default: str,
                        what: str = "output format") -> None:
    """``-o/--output`` and its synonym ``--format``, choices ``formats``."""
    parser.add_argument("-o", "--output", "--format", dest="output", formats=tuple(formats), default=default,
                        action=_OutputFormat, metavar="FORMAT",
                        help=f"{what}: {'|'.join(formats)} (default: {default}); --format is a synonym")
    parser.set_defaults(output_explicit=False)


def emit(formatters: Mapping[str, Formatter[T]], fmt: str, result: T, out: TextIO | None = None) -> None:
    (out or sys.stdout).write(formatters[fmt](result))


def to_json(data: Any) -> str:
    """JSON as every verb prints it: indented, UTF-8, and never ``NaN``/``Infinity``."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def incompatible(*pairs: tuple[bool, str]) -> None:
    """Raise a usage error for the first flag combination that cannot work."""
    for broken, message in pairs:
        if broken:
            raise UsageError(message)


# -- the invalid-input report ---------------------------------------------------------


def problems_json(problems: Sequence[Problem], label: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": 1}
    if label is not None:
        doc["invalid"] = label
    doc["errors"] = [{"path": p.path, "line": p.line, "col": p.col, "message": p.message, "severity": p.severity}
                     for p in problems]
    return doc


def problems_text(problems: Sequence[Problem], label: str | None = None, where: str = "") -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    side = f" in {label}" if label else ""
    lines = [p.shown(where) for p in problems]
    lines.append(f"{errors} error(s){side}; nothing was rendered, compared or applied")
    return "\n".join(lines) + "\n"


def problems_markdown(problems: Sequence[Problem], label: str | None = None) -> str:
    from gitfleet.diff.markdown import MARKER

    errors = sum(1 for p in problems if p.severity == "error")
    what = f"{label} is invalid" if label else "the fleet repo is invalid"
    lines = [MARKER, "### gitfleet diff", "", f"❌ **{what}** ({errors} error(s)); nothing can be compared:", "",
             _code_block("\n".join(str(p) for p in problems)), ""]
    return "\n".join(lines)


def _code_block(text: str) -> str:
    # A fence longer than any run of backticks in the text: repo text cannot close it.
    import re

    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


INVALID_FORMATTERS: dict[str, Callable[[Sequence[Problem], str | None], str]] = {
    "json": lambda p, label: to_json(problems_json(p, label)),
    "markdown": problems_markdown,
}


def report_invalid(problems: Sequence[Problem], fmt: str | None, label: str | None = None, where: str = "",
                   out: TextIO | None = None, err: TextIO | None = None) -> None:
    """The problems on stderr, always (paths from ``where``, REPO as the user named it);
    and on stdout in ``fmt`` when a program or a pull request comment reads that format
    (paths of the repository)."""
    if fmt in INVALID_FORMATTERS:
        (out or sys.stdout).write(INVALID_FORMATTERS[fmt](problems, label))
    (err or sys.stderr).write(problems_text(problems, label, where))
