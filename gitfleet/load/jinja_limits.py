"""Bounds on what one Jinja2 template render may cost (issue 9, "Limits").

Templates come from pull requests, possibly from forks, and run in CI: the sandbox
keeps them away from files and Python internals, but not from building a 1 GB string
with ``center(10**9)`` or looping ``range(100000)`` three levels deep. Every way a
template can make something big or spend time goes through one of Jinja2's sandbox
hooks, and each hook checks its bound *before* the work is done:

* strings: ``*``, ``%``, ``+``, ``~``, ``str.format``, the padding methods
  (``center``, ``ljust``, ``zfill``...), ``join``, ``replace``, ``translate`` and the
  ``center``/``indent``/``format``/``join``/``replace``/``wordwrap``/``tojson``
  filters are refused past ``MAX_OUTPUT`` characters; so is every concatenated
  output (the render, ``{% set %}`` blocks, macros);
* lists: ``*``, ``+``, ``batch`` and ``slice`` past ``MAX_ITEMS`` items;
* integers: ``**`` and ``*`` past ``MAX_INT_BITS`` bits;
* time: every loop iteration, call, filter, operator and attribute access ticks a
  per-render clock that stops the render after ``MAX_SECONDS``.

A bound that trips raises ``LimitError``, which the engine reports as the template's
error with its line. The figures are far beyond any real manifest (Kubernetes stores
an object in at most 1.5 MB of etcd).
"""

from __future__ import annotations

import contextvars
import functools
import math
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

MAX_OUTPUT = 1024 * 1024  # characters of any string a template builds, its output included
MAX_ITEMS = 1_000_000  # items of any list a template builds
MAX_INT_BITS = 100_000  # ~30,000 decimal digits
MAX_SECONDS = 3.0  # per render
MAX_SOURCE = 1024 * 1024  # characters of template source (compiling is ~100x slower than reading YAML)
_TICKS_PER_CLOCK_READ = 64
LOOP_FILTER = "gitfleet_bounded_loop"
CONCAT_FILTER = "gitfleet_bounded_concat"


class LimitError(SecurityError):
    """A template went past one of the bounds of this module."""


class Budget:
    """The clock of one render."""

    __slots__ = ("deadline", "ticks")

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.ticks = 0

    def tick(self) -> None:
        self.ticks += 1
        if self.ticks % _TICKS_PER_CLOCK_READ == 0 and time.monotonic() > self.deadline:
            raise LimitError(f"rendering took longer than {MAX_SECONDS:g} s (loops nested too deep?)")


_UNBOUNDED = Budget(math.inf)  # compile-time constant folding runs outside any render
_current: contextvars.ContextVar[Budget] = contextvars.ContextVar("gitfleet_jinja_budget", default=_UNBOUNDED)


def start_render() -> contextvars.Token[Budget]:
    return _current.set(Budget(MAX_SECONDS))


def end_render(token: contextvars.Token[Budget]) -> None:
    _current.reset(token)


def tick() -> None:
    _current.get().tick()


# ---------------------------------------------------------------------------
# size checks, each done before the work


def _mib(chars: int) -> str:
    return f"{chars / (1024 * 1024):.3g} MiB"


def check_text(size: int, what: str) -> None:
    if size > MAX_OUTPUT:
        raise LimitError(f"{what} would be {size:,} characters; a template may build at most {_mib(MAX_OUTPUT)}")


def check_items(size: int, what: str) -> None:
    if size > MAX_ITEMS:
        raise LimitError(f"{what} would have {size:,} items; a template may build at most {MAX_ITEMS:,}")


def check_int(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise LimitError(f"{what} would be a {bits:,}-bit integer; a template may build at most {MAX_INT_BITS:,} bits")


def check_result(value: Any, what: str) -> Any:
    """The last guard, after a call: nothing big leaves a builtin unnoticed."""
    if isinstance(value, (str, bytes)):
        check_text(len(value), what)
    elif isinstance(value, (list, tuple, dict)):
        check_items(len(value), what)
    elif isinstance(value, int):
        check_int(value.bit_length(), what)
    return value


def _width(value: Any) -> int:
    """What a width argument adds per use: an int is a count, a string its length."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return len(value)
    return 0


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?([-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?)[hlL]?[diouxXeEfFgGcrsa%]")


def _spec_numbers(spec: str) -> list[int]:
    """Widths and precisions written in a format spec (a run of digits longer than
    nine is past the bound whatever it says, and not worth converting)."""
    return [int(d) if len(d) <= 9 else MAX_OUTPUT + 1 for d in re.findall(r"\d+", spec)]


def _check_dynamic_widths(args: Iterable[Any], what: str) -> None:
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_OUTPUT:
            raise LimitError(f"{what}: a field width of {arg:,} would build more than {_mib(MAX_OUTPUT)}")


def check_percent(fmt: str, args: Any) -> None:
    """``fmt % args`` (the ``%`` operator and the ``format`` filter): refuse widths and
    precisions that would pad past the bound; ``*`` takes them from ``args``."""
    values = list(args.values()) if isinstance(args, Mapping) else \
        list(args) if isinstance(args, tuple) else [args]
    dynamic = False
    total = len(fmt)
    for spec in _PERCENT_SPEC.findall(fmt):
        total += sum(_spec_numbers(spec))
        dynamic |= "*" in spec
    check_text(total + sum(len(v) for v in values if isinstance(v, str)), "the result of %")
    if dynamic:
        _check_dynamic_widths(values, "%")


def check_format(fmt: str, args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    """``fmt.format(*args, **kwargs)``: as ``check_percent``, for format specs (nested
    ``{}`` in a spec take the width from the arguments)."""
    total = len(fmt)
    dynamic = False
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises the same error itself, having built nothing
    for _, _, spec, _ in fields:
        if spec:
            total += sum(_spec_numbers(spec))
            dynamic |= "{" in spec
    values = [*args, *kwargs.values()]
    check_text(total + sum(len(v) for v in values if isinstance(v, str)), "the result of format")
    if dynamic:
        _check_dynamic_widths(values, "format")


def _replace_size(s: str, old: str, new: str, count: Any = None) -> int:
    hits = s.count(old) if old else len(s) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(s) + hits * max(0, len(new) - len(old))


def _materialized(value: Iterable[Any], what: str) -> list[Any]:
    items = []
    for item in value:
        items.append(item)
        if len(items) % 1024 == 0:
            check_items(len(items), what)
            tick()
    return items


def check_join(sep: str, items: list[Any], what: str) -> None:
    size = len(sep) * max(0, len(items) - 1)
    for item in items:
        size += len(item) if isinstance(item, str) else 20
    check_text(size, what)


# ---------------------------------------------------------------------------
# str methods called from templates (the sandbox's ``call``)


def _check_str_method(method: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Pre-check a bound ``str`` method; returns the arguments to call it with
    (``join`` gets its iterable as a list, already counted)."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, (str, bytes)):
        return args
    name = getattr(method, "__name__", "")
    what = f"the result of str.{name}"
    if name in ("center", "ljust", "rjust", "zfill") and args:
        check_text(_width(args[0]) + len(owner), what)
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        check_text(len(owner) * max(1, _width(tabsize)), what)
    elif name == "join" and args:
        items = _materialized(args[0], what)
        check_join(str(owner), items, what)
        return (items, *args[1:])
    elif name == "replace" and len(args) >= 2 and isinstance(owner, str) \
            and isinstance(args[0], str) and isinstance(args[1], str):
        check_text(_replace_size(owner, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count")), what)
    elif name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        check_text(len(owner) * max(1, longest), what)
    return args


# ---------------------------------------------------------------------------
# operators


def binop(operator: str, left: Any, right: Any) -> Any:
    """``left <operator> right`` for the intercepted operators, bounded."""
    tick()
    if operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            # At least this many bits (exact for powers of two), at most twice as many.
            check_int((abs(left).bit_length() - 1) * right + 1, "the result of **")
        return left**right
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(count, int) and not isinstance(count, bool):
                if isinstance(seq, str):
                    check_text(len(seq) * count, "the result of *")
                elif isinstance(seq, (list, tuple)):
                    check_items(len(seq) * count, "the result of *")
        if isinstance(left, int) and isinstance(right, int):
            check_int(abs(left).bit_length() + abs(right).bit_length(), "the result of *")
        return left * right
    if operator == "%":
        if isinstance(left, str):
            check_percent(left, right)
        return left % right
    if operator == "+":
        if isinstance(left, str) and isinstance(right, str):
            check_text(len(left) + len(right), "the result of +")
        elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
            check_items(len(left) + len(right), "the result of +")
        return left + right
    raise LimitError(f"operator {operator} is not handled")  # pragma: no cover - intercepted set is ours


def concat(parts: Iterable[Any]) -> str:
    """``Environment.concat``: the render's output, ``{% set %}`` blocks and macros."""
    budget = _current.get()
    buf = []
    size = 0
    for part in parts:
        size += len(part)
        if size > MAX_OUTPUT:
            check_text(size, "text built by the template (its output, a ~, a {% set %} block or a macro)")
        budget.tick()
        buf.append(part)
    return "".join(buf)


def _bounded_concat(values: Iterable[Any]) -> str:
    """The ``~`` operator: ``str`` of each operand, joined, bounded."""
    return concat(str(v) for v in values)


def _bounded_loop(iterable: Any) -> Iterator[Any]:
    """Every ``{% for %}`` iterates through this: one tick per iteration."""
    budget = _current.get()
    for item in iterable:
        budget.tick()
        yield item


# ---------------------------------------------------------------------------
# filters


def _bounded_filter(name: str, original: Callable[..., Any], check: Callable[..., None] | None) -> Callable[..., Any]:
    @functools.wraps(original)  # keeps jinja_pass_arg, so Jinja2 passes the same first argument
    def bounded(*args: Any, **kwargs: Any) -> Any:
        tick()
        if check is not None:
            check(*args, **kwargs)
        result = original(*args, **kwargs)
        return check_result(result, f"the result of the {name} filter")

    return bounded


def _filter_checks() -> dict[str, Callable[..., None]]:
    """Pre-checks of the filters that can build more than they are given, called with
    the filter's own arguments (without Jinja2's context or environment)."""

    def center(value: Any, width: Any = 80, *_: Any) -> None:
        check_text(len(str(value)) + _width(width), "the result of the center filter")

    def indent(s: Any, width: Any = 4, *_: Any, **__: Any) -> None:
        text = str(s)
        check_text(len(text) + _width(width) * (text.count("\n") + 1), "the result of the indent filter")

    def format_(value: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(value, str):
            check_percent(value, kwargs or args)

    def join(value: Any, d: Any = "", *_: Any, **__: Any) -> None:
        if isinstance(value, (list, tuple, range, Mapping)):
            check_join(str(d), list(value), "the result of the join filter")

    def replace(s: Any, old: Any, new: Any, count: Any = None) -> None:
        if isinstance(old, str) and isinstance(new, str):
            check_text(_replace_size(str(s), old, new, count), "the result of the replace filter")

    def wordwrap(s: Any, width: Any = 79, break_long_words: Any = True, wrapstring: Any = None,
                 *_: Any, **kwargs: Any) -> None:
        wrap = kwargs.get("wrapstring", wrapstring)
        lines = len(str(s)) // max(1, _width(kwargs.get("width", width))) + str(s).count("\n") + 1
        check_text(len(str(s)) + lines * (len(wrap) if isinstance(wrap, str) else 1), "the result of wordwrap")

    def count_arg(value: Any, count: Any = 1, *_: Any, **__: Any) -> None:
        check_items(_width(count), "a batch or slice")

    def tojson(value: Any, indent: Any = None) -> None:
        if _width(indent) > 64:
            raise LimitError("the tojson filter's indent is at most 64")

    return {
        "center": center, "indent": indent, "format": format_, "join": join, "replace": replace,
        "wordwrap": wordwrap, "batch": count_arg, "slice": count_arg, "tojson": tojson,
    }


def bounded_filters(filters: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Every filter of ``filters`` wrapped: a tick, the pre-check where one is needed,
    and the size of the result."""
    checks = _filter_checks()
    out: dict[str, Callable[..., Any]] = {}
    for name, original in filters.items():
        check = checks.get(name)
        # Filters marked pass_context/pass_eval_context/pass_environment get that first.
        if check is not None and getattr(original, "jinja_pass_arg", None) is not None:
            check = functools.partial(_skip_first, check)
        out[name] = _bounded_filter(name, original, check)
    out[LOOP_FILTER] = _bounded_loop
    out[CONCAT_FILTER] = _bounded_concat
    return out


def _skip_first(check: Callable[..., None], _first: Any, *args: Any, **kwargs: Any) -> None:
    check(*args, **kwargs)


# ---------------------------------------------------------------------------
# the sandbox's hooks


def call(method: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    tick()
    return _check_str_method(method, args, kwargs)


def wrap_format(fmt: str, is_map: bool, inner: Callable[..., str]) -> Callable[..., str]:
    """``str.format``/``format_map`` as the sandbox wraps them, pre-checked."""

    @functools.wraps(inner)
    def bounded(*args: Any, **kwargs: Any) -> str:
        tick()
        if is_map and len(args) == 1 and isinstance(args[0], Mapping):
            check_format(fmt, (), args[0])
        else:
            check_format(fmt, args, kwargs)
        return inner(*args, **kwargs)

    return bounded


def checked_attribute(obj: Any, value: Any) -> Any:
    """An attribute or item read from a template. A ``namespace()`` is the one thing a
    template can grow across loop iterations (``ns.s = ns.s ~ ns.s``): its values are
    checked whenever they are read."""
    tick()
    if isinstance(obj, Namespace):
        check_result(value, "a namespace value")
    return value


class BoundLoops(NodeTransformer):
    """Rewrites the parsed template so every ``{% for %}`` iterates through
    ``LOOP_FILTER`` and every ``~`` goes through ``CONCAT_FILTER``."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, LOOP_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), CONCAT_FILTER, [], [], None, None,
                            lineno=node.lineno)
