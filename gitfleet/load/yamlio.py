"""YAML in and out, meaning what it means to kubectl.

Kubernetes reads YAML 1.1 (``on``/``yes``/``y`` are booleans, ``0644`` is octal,
``1e3`` is a float, timestamps stay strings). Input files are parsed with ruamel.yaml in
round-trip mode, told to use YAML 1.1, because it keeps line and column of every node
(for ``path:line:col`` messages) and rejects duplicate keys. Rendered output is written
and read back with PyYAML's C dumper and loader, an order of magnitude faster; both
sides are configured to resolve scalars the same way, so what one writes the other
reads back unchanged.
"""

from __future__ import annotations

import hashlib
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MantissaNoDotYAML1_1Warning, MarkedYAMLError

from gitfleet.errors import PositionedError

# A JSON path into a document: mapping keys and list indices.
JsonPath = tuple[str | int, ...]

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_VALUE_TAG = "tag:yaml.org,2002:value"
_BINARY_TAG = "tag:yaml.org,2002:binary"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"

# Go's YAML library (sigs.k8s.io/yaml -> go.yaml.in/yaml/v2) also takes these as
# booleans and floats; PyYAML's 1.1 resolver does not, so it is taught them below.
_GO_BOOL = re.compile(r"^(?:y|Y|n|N)$")
_GO_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")

warnings.simplefilter("ignore", MantissaNoDotYAML1_1Warning)


# ---------------------------------------------------------------------------
# ruamel.yaml round-trip parsing with positions


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that keeps timestamps and ``=`` as the text written
    (as Kubernetes does when decoding into unstructured objects) and refuses custom
    tags, which Kubernetes cannot represent."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        return self.construct_scalar(node)

    def construct_plain_text(self, node: Any) -> Any:
        return str(self.construct_scalar(node))

    def construct_unknown_tag(self, node: Any) -> Any:
        raise ConstructorError(
            None, None, f"unsupported YAML tag {node.tag.value if hasattr(node.tag, 'value') else node.tag}",
            node.start_mark,
        )


_Constructor.add_constructor(_TIMESTAMP_TAG, _Constructor.construct_yaml_timestamp)
_Constructor.add_constructor(_VALUE_TAG, _Constructor.construct_plain_text)
_Constructor.add_constructor(_BINARY_TAG, _Constructor.construct_plain_text)
for _tag in (None, "tag:yaml.org,2002:set", "tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs"):
    _Constructor.add_constructor(_tag, _Constructor.construct_unknown_tag)

_local = threading.local()


def _ruamel() -> YAML:
    # A YAML instance is not thread-safe; one per thread is cheap enough.
    inst = getattr(_local, "yaml", None)
    if inst is None:
        inst = YAML(typ="rt")
        inst.version = (1, 1)
        inst.Constructor = _Constructor
        inst.allow_duplicate_keys = False
        _local.yaml = inst
    return inst


class Locator:
    """Maps a JSON path inside one document to its 1-based (line, column).

    A path that ends at a mapping key points at the key; one that ends at a list
    index points at the item. When the path does not exist (a missing required
    field), the deepest part that exists is used, so a message still lands next to
    the problem.
    """

    __slots__ = ("_root", "_start")

    def __init__(self, root: Any, start: tuple[int, int] = (1, 1)) -> None:
        self._root = root
        self._start = start

    @property
    def start(self) -> tuple[int, int]:
        """Where the document's content begins."""
        return self._start

    def locate(self, path: Iterable[str | int]) -> tuple[int, int]:
        node = self._root
        pos = self._start
        for step in path:
            if isinstance(node, CommentedMap):
                key = _find_key(node, step)
                if key is _MISSING:
                    return pos
                line, col = node.lc.key(key)
                pos = (line + 1, col + 1)
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
                line, col = node.lc.item(step)
                pos = (line + 1, col + 1)
                node = node[step]
            else:
                return pos
        return pos


_MISSING = object()


def _find_key(node: CommentedMap, step: str | int) -> Any:
    if step in node:
        return step
    # Keys were converted to strings (``on:`` -> "true"); find the original.
    for key in node:
        if _key_str(key) == step:
            return key
    return _MISSING


@dataclass(frozen=True)
class ParsedDocument:
    """One non-empty document of a file: plain data plus where it came from.

    ``data`` is shared through the parse cache: treat it as read-only and copy
    before changing it.
    """

    data: Any
    locator: Locator
    index: int  # position among the file's non-empty documents


def _key_str(key: Any) -> str:
    # Go's YAML-to-JSON conversion turns non-string keys into their text.
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, float):
        return repr(float(key))
    if isinstance(key, int):
        return str(int(key))
    return str(key)


class _NonScalarKey(Exception):
    def __init__(self, line: int, col: int) -> None:
        super().__init__(line, col)
        self.line, self.col = line, col


def to_plain(node: Any) -> Any:
    """Convert ruamel.yaml's round-trip types into dict/list/str/int/float/bool/None."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if not isinstance(k, (str, int, float)) and k is not None:
                line, col = node.lc.key(k) if isinstance(node, CommentedMap) else (0, 0)
                raise _NonScalarKey(line + 1, col + 1)
            out[_key_str(k)] = to_plain(v)
        return out
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, TaggedScalar):
        return str(node.value)
    return node


def _doc_start(doc: Any) -> tuple[int, int]:
    if isinstance(doc, (CommentedMap, CommentedSeq)):
        return doc.lc.line + 1, doc.lc.col + 1
    return (1, 1)


@dataclass(frozen=True)
class _ParseFailure:
    line: int
    col: int
    message: str


_CACHE_SIZE = 8192
_cache: OrderedDict[str, tuple[ParsedDocument, ...] | _ParseFailure] = OrderedDict()
_cache_lock = threading.Lock()


def parse_documents(content: bytes | str, path: str) -> tuple[ParsedDocument, ...]:
    """Parse a (multi-document) YAML file; empty documents are skipped.

    Raises ``PositionedError`` for invalid YAML or a duplicate key. Results are
    cached by the SHA-1 of the content, since the same blob is read at many
    revisions.
    """
    raw = content.encode() if isinstance(content, str) else content
    digest = hashlib.sha1(raw).hexdigest()
    with _cache_lock:
        hit = _cache.get(digest)
        if hit is not None:
            _cache.move_to_end(digest)
    if hit is None:
        hit = _parse_uncached(raw)
        with _cache_lock:
            _cache[digest] = hit
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    if isinstance(hit, _ParseFailure):
        raise PositionedError(path, hit.line, hit.col, hit.message)
    return hit


def _parse_uncached(raw: bytes) -> tuple[ParsedDocument, ...] | _ParseFailure:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _ParseFailure(1, 1, f"file is not UTF-8: {exc.reason} at byte {exc.start}")
    try:
        docs = list(_ruamel().load_all(text))
    except MarkedYAMLError as exc:
        return _failure_from(exc)
    out: list[ParsedDocument] = []
    for doc in docs:
        if doc is None:
            continue
        try:
            data = to_plain(doc)
        except _NonScalarKey as exc:
            # Typically an unrendered ``{{ ... }}``: YAML reads it as a flow mapping.
            return _ParseFailure(
                exc.line, exc.col,
                "a mapping key is itself a mapping or list (an unrendered `{{ }}`? "
                "only files ending in .j2 are Jinja2 templates)",
            )
        out.append(ParsedDocument(data, Locator(doc, _doc_start(doc)), len(out)))
    return tuple(out)


def _failure_from(exc: MarkedYAMLError) -> _ParseFailure:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    if "found duplicate key" in problem:
        match = re.search(r'duplicate key "(.*?)"', problem)
        key = match.group(1) if match else "?"
        problem = f"duplicate key {key!r} in a mapping (kubectl rejects it); remove one of them"
    elif exc.context and exc.problem:
        problem = f"invalid YAML: {exc.context.strip()}: {exc.problem.strip()}"
    else:
        problem = f"invalid YAML: {problem}"
    return _ParseFailure(line, col, problem)


def clear_cache() -> None:
    """Forget every parsed file (tests use this to measure cold parses)."""
    with _cache_lock:
        _cache.clear()


# ---------------------------------------------------------------------------
# PyYAML C loader and dumper, resolving scalars the way Kubernetes does


def _add_go_resolvers(cls: Any) -> None:
    cls.add_implicit_resolver(_BOOL_TAG, _GO_BOOL, list("yYnN"))
    cls.add_implicit_resolver(_FLOAT_TAG, _GO_FLOAT, list("-+.0123456789"))


class _PlainLoader(yaml.CSafeLoader):
    """CSafeLoader that agrees with the round-trip parser above on every scalar."""

    bool_values: ClassVar[dict[str, bool]] = {
        **yaml.constructor.SafeConstructor.bool_values, "y": True, "n": False,
    }

    def construct_text(self, node: Any) -> Any:
        return self.construct_scalar(node)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        if all(type(k) is str for k in mapping):
            return mapping
        return {_key_str(k): v for k, v in mapping.items()}


_add_go_resolvers(_PlainLoader)
_PlainLoader.add_constructor(_TIMESTAMP_TAG, _PlainLoader.construct_text)
_PlainLoader.add_constructor(_VALUE_TAG, _PlainLoader.construct_text)
_PlainLoader.add_constructor(_BINARY_TAG, _PlainLoader.construct_text)


class _Dumper(yaml.CSafeDumper):
    """CSafeDumper that quotes every string the loaders would read as something else."""


_add_go_resolvers(_Dumper)

_DUMP_OPTIONS: dict[str, Any] = {
    "Dumper": _Dumper,
    "sort_keys": False,
    "default_flow_style": False,
    "allow_unicode": True,
    "width": 1 << 30,
}


def dump_yaml(obj: Any) -> str:
    """One document as YAML text (keys in insertion order)."""
    return str(yaml.dump(obj, **_DUMP_OPTIONS))


def dump_all(objs: Sequence[Any]) -> str:
    """Several documents separated by ``---``."""
    return str(yaml.dump_all(list(objs), explicit_start=True, **_DUMP_OPTIONS))


def load_plain(text: str | bytes) -> list[Any]:
    """Every non-empty document of ``text``, fast (no positions, no duplicate-key check).

    Meant for reading back rendered output; raises ``yaml.YAMLError`` on bad input.
    """
    return [doc for doc in yaml.load_all(text, Loader=_PlainLoader) if doc is not None]
