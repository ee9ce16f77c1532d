"""The Jinja2 engine: rendering ``.j2`` resource templates in a sandbox (DESIGN.md §1).

It lives in ``gitfleet.load`` because loading a repo means rendering its templates
once (to know which objects they define), and the layer contract puts ``load`` below
``template``; ``gitfleet.template`` re-exports it for the plan's per-cluster renders.

Templates come from the fleet repo, which many people may change, so they run in
Jinja2's immutable sandbox: no attribute starting with ``_``, no ``mro``/``__globals__``
escape, no mutation of ``values`` or ``cluster``, and no loader, hence no ``include``,
``import`` or ``extends`` and no file access. Undefined names are errors
(``StrictUndefined``). Block tags on their own line leave no blank line behind
(``trim_blocks`` + ``lstrip_blocks``), which is what YAML authors expect.

Templates may also not cost much: output size, strings, lists, integers and render
time are bounded (``gitfleet.load.jinja_limits``), and the source size too.

Compiling costs ~100x a render, so compiled templates are cached by source text.
Jinja2 itself is imported on the first render: most CLI runs (and every repo without a
``.j2`` file) never render one, and importing it costs a fresh process ~40 ms.
"""

from __future__ import annotations

import threading
import traceback
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

import yaml

from gitfleet.errors import TemplateError
from gitfleet.load.lists import expand_plain
from gitfleet.load.yamlio import load_plain
from gitfleet.model.cluster import Cluster
from gitfleet.redaction import Redactor

if TYPE_CHECKING:
    from jinja2 import Template, nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

_TEMPLATE_FILENAME = "<gitfleet-template>"


@cache
def _environment() -> ImmutableSandboxedEnvironment:
    """The one sandbox, made on first use (see the module docstring)."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from gitfleet.load import jinja_limits as limits

    class _Environment(ImmutableSandboxedEnvironment):
        """The sandbox, with every hook bounded (``jinja_limits``)."""

        intercepted_binops = frozenset({"*", "**", "%", "+"})
        concat = staticmethod(limits.concat)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            return limits.binop(operator, left, right)

        def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
            args = limits.call(obj, args, kwargs)
            return limits.check_result(super().call(context, obj, *args, **kwargs), "the result of a call")

        def getattr(self, obj: Any, attribute: str) -> Any:
            return limits.checked_attribute(obj, super().getattr(obj, attribute))

        def getitem(self, obj: Any, argument: Any) -> Any:
            return limits.checked_attribute(obj, super().getitem(obj, argument))

        def wrap_str_format(self, value: Any) -> Any:
            inner = super().wrap_str_format(value)
            if inner is None:
                return None
            return limits.wrap_format(value.__self__, value.__name__ == "format_map", inner)

    env = _Environment(
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters = limits.bounded_filters(env.filters)
    # lipsum(n) writes n paragraphs of random text: unbounded and not deterministic.
    env.globals.pop("lipsum", None)
    return env


def _forbidden_nodes() -> tuple[tuple[type[nodes.Node], str], ...]:
    from jinja2 import nodes

    return (
        (nodes.Include, "include"),
        (nodes.Import, "import"),
        (nodes.FromImport, "from ... import"),
        (nodes.Extends, "extends"),
    )


_CACHE_SIZE = 2048
_compiled: OrderedDict[str, Template | TemplateError] = OrderedDict()
_lock = threading.Lock()


def _compile(source: str, path: str) -> Template:
    with _lock:
        hit = _compiled.get(source)
        if hit is not None:
            _compiled.move_to_end(source)
    if hit is None:
        hit = _compile_uncached(source, path)
        with _lock:
            _compiled[source] = hit
            while len(_compiled) > _CACHE_SIZE:
                _compiled.popitem(last=False)
    if isinstance(hit, TemplateError):
        # The same text may live at several paths: report the caller's.
        raise TemplateError(path, hit.line, hit.col, hit.message)
    return hit


def _compile_uncached(source: str, path: str) -> Template | TemplateError:
    from jinja2 import TemplateSyntaxError

    from gitfleet.load import jinja_limits as limits

    if len(source) > limits.MAX_SOURCE:
        return TemplateError(path, 1, 1, f"template is larger than {limits.MAX_SOURCE // 1024} KiB; split it")
    env = _environment()
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return TemplateError(path, exc.lineno or 1, 1, f"template syntax error: {exc.message}")
    except RecursionError:
        return TemplateError(path, 1, 1, "template nests expressions or tags too deeply")
    for node_type, word in _forbidden_nodes():
        for node in ast.find_all(node_type):
            return TemplateError(
                path, node.lineno, 1,
                f"`{word}` is not allowed: templates are rendered in a sandbox without file access; "
                "put shared data in fleet.yaml spec.values instead",
            )
    try:
        ast = limits.BoundLoops().visit(ast)
        code = env.compile(ast, filename=_TEMPLATE_FILENAME)
    except limits.LimitError as exc:  # constant folding ran into a bound
        return TemplateError(path, 1, 1, f"template exceeds a limit: {exc}")
    except RecursionError:
        return TemplateError(path, 1, 1, "template nests expressions or tags too deeply")
    return env.template_class.from_code(env, code, env.make_globals(None), None)


def _error_line(exc: BaseException) -> int:
    """The template line the exception was raised at (Jinja2 rewrites tracebacks so
    template frames carry template line numbers)."""
    line = 1
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == _TEMPLATE_FILENAME and frame.lineno:
            line = frame.lineno
    return line


def render_text(source: str, path: str, context: Mapping[str, Any]) -> str:
    """Render ``source`` (the text of ``path``) with ``context``; raise ``TemplateError``.

    An error message never quotes a string of ``values``: templates look up Secret
    values there, and Python's messages echo what they failed on (a missing key, a
    format argument)."""
    try:
        return _render_text(source, path, context)
    except TemplateError as exc:
        message = _values_redactor(context).text(exc.message)
        if message == exc.message:
            raise
        raise TemplateError(exc.path, exc.line, exc.col, message) from None


def _values_redactor(context: Mapping[str, Any]) -> Redactor:
    def strings(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from strings(v)

    return Redactor(strings(context.get("values")))


def _render_text(source: str, path: str, context: Mapping[str, Any]) -> str:
    template = _compile(source, path)
    # Already imported by _compile: these lookups cost nothing.
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    from gitfleet.load import jinja_limits as limits

    token = limits.start_render()
    try:
        return template.render(**context)
    except limits.LimitError as exc:
        raise TemplateError(path, _error_line(exc), 1, f"template exceeds a limit: {exc}") from exc
    except RecursionError as exc:
        raise TemplateError(path, _error_line(exc), 1, "template recursion is too deep") from exc
    except SecurityError as exc:
        raise TemplateError(path, _error_line(exc), 1, f"template tried to leave its sandbox: {exc}") from exc
    except UndefinedError as exc:
        raise TemplateError(
            path, _error_line(exc), 1,
            f"undefined in template: {exc.message}; the context has values, cluster and fleet",
        ) from exc
    except TemplateSyntaxError as exc:
        raise TemplateError(path, exc.lineno or 1, 1, f"template syntax error: {exc.message}") from exc
    except Exception as exc:  # any failure of template code is the template's error
        raise TemplateError(
            path, _error_line(exc), 1, f"template failed: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        limits.end_render(token)


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or exc.context or "cannot parse"
    if "constructor for the tag" in problem:
        # The tag is what the template wrote, perhaps a value that starts with "!".
        return "unsupported YAML tag (a custom tag, not shown; a value that starts with ! must be quoted)"
    return problem


# A template rendered for 10,000 clusters gives a handful of distinct texts (one per
# region, say): parsing each once instead of per cluster halves the cost of a render.
_PARSED_CACHE_SIZE = 256
_PARSED_CACHE_MAX_TEXT = 256 * 1024
_parsed: OrderedDict[str, list[Any]] = OrderedDict()


def _fresh(value: Any) -> Any:
    """A deep copy of JSON-like data (several times faster than ``copy.deepcopy``)."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


def parse_rendered(source: str, rendered: str, path: str) -> list[dict[str, Any]]:
    """The YAML 1.1 documents of a rendered template, objects the caller owns; errors
    point into the template."""
    with _lock:
        hit = _parsed.get(rendered)
        if hit is not None:
            _parsed.move_to_end(rendered)
    if hit is not None:
        return _fresh(hit)  # type: ignore[no-any-return]
    docs = _parse_rendered_uncached(source, rendered, path)
    if len(rendered) <= _PARSED_CACHE_MAX_TEXT:
        with _lock:
            _parsed[rendered] = _fresh(docs)
            while len(_parsed) > _PARSED_CACHE_SIZE:
                _parsed.popitem(last=False)
    return docs


def _parse_rendered_uncached(source: str, rendered: str, path: str) -> list[dict[str, Any]]:
    try:
        docs = load_plain(rendered)
    except yaml.MarkedYAMLError as exc:
        from gitfleet.load.lines import LineMap  # only errors need it (and its difflib)

        mark = exc.problem_mark or exc.context_mark
        lines = LineMap(source, rendered)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise TemplateError(
            path, lines.source_line(line), lines.source_col(line, col),
            f"rendered template is not valid YAML: {_yaml_problem(exc)}",
        ) from exc
    except yaml.YAMLError as exc:
        raise TemplateError(path, 1, 1, "rendered template is not valid YAML") from exc
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict):
            raise TemplateError(path, 1, 1, f"rendered document {i + 1} is not a mapping (an object)")
    return docs


def render_documents(text: str, path: str, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Render a ``.j2`` file and parse its output: one dict per non-empty document,
    list objects expanded into their items (:mod:`gitfleet.load.lists`)."""
    docs = expand_plain(parse_rendered(text, render_text(text, path, context), path))
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict):
            raise TemplateError(path, 1, 1, f"rendered object {i + 1} (an item of a List) is not a mapping")
    return docs


def cluster_context(cluster: Cluster) -> dict[str, Any]:
    """What a template sees as ``cluster``."""
    return {
        "name": cluster.name,
        "labels": dict(cluster.labels),
        "provider": cluster.provider,
        "region": cluster.region,
        "zone": cluster.zones[0] if cluster.zones else None,
        "zones": list(cluster.zones),
        "object": cluster.obj,
    }


def fleet_context(fleet_name: str, cluster_names: Iterable[str]) -> dict[str, Any]:
    """What a template sees as ``fleet`` (name, clusters). Build it once per fleet and
    pass it to every ``template_context``: the sandbox is immutable, so one render
    cannot change it for the next, and a copy per cluster made validating 10,000
    clusters quadratic (100 million names, 98 s, 942 MB)."""
    return {"name": fleet_name, "clusters": sorted(cluster_names)}


def template_context(
    values: Mapping[str, Any], fleet_name: str, cluster_names: Iterable[str], cluster: Cluster,
    *, fleet: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole context: ``values``, ``cluster`` and ``fleet`` (name, clusters);
    ``fleet``, when given, is a shared ``fleet_context`` (the name and names are then
    not read)."""
    return {
        "values": values,
        "cluster": cluster_context(cluster),
        "fleet": fleet if fleet is not None else fleet_context(fleet_name, cluster_names),
    }


def clear_cache() -> None:
    with _lock:
        _compiled.clear()
        _parsed.clear()
