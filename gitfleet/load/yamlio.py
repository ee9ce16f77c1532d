"""YAML in and out, meaning what it means to kubectl.

Kubernetes reads YAML 1.1 as Go's ``go.yaml.in/yaml/v2`` does: ``on``/``yes``/``y`` are
booleans, ``0644`` is octal, ``1e3`` is a float, timestamps and ``22:22`` stay strings.
PyYAML's 1.1 resolver is taught the few forms it lacks, and the same resolver serves
reading and writing, so what ``dump_yaml`` writes reads back unchanged.

Input files are parsed with libyaml (PyYAML's C parser) into nodes, which keep the
line and column of every key and item; the plain data is built from the nodes here,
rejecting duplicate keys as kubectl does. This replaced ruamel.yaml's round-trip mode,
which keeps positions too but took 7.8 s of an 8.4 s cold load of a 250-file fleet
(about 15x slower); ruamel.yaml also applies its YAML-version setting to the first
document of a stream only. Parsed files are cached by content hash, since the same
blob is read at many revisions.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml
from yaml.events import CollectionEndEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gitfleet.errors import PositionedError

# A JSON path into a document: mapping keys and list indices.
JsonPath = tuple[str | int, ...]

_STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_NULL_TAG = "tag:yaml.org,2002:null"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_VALUE_TAG = "tag:yaml.org,2002:value"
_BINARY_TAG = "tag:yaml.org,2002:binary"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"

# Go reads these as booleans (y, n), floats (1e3, 08) and ints (0o17); PyYAML's YAML 1.1
# resolver does not, so it is taught them, tried after its own.
_GO_RESOLVERS: tuple[tuple[str, re.Pattern[str], list[str]], ...] = (
    (_BOOL_TAG, re.compile(r"^(?:y|Y|n|N)$"), list("yYnN")),
    (_INT_TAG, re.compile(r"^[-+]?0o[0-7_]+$"), list("-+0")),
    (_FLOAT_TAG, re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
     list("-+.0123456789")),
)
# Aliases are shared, not copied, but every later stage walks the data as a tree:
# refuse documents whose aliases expand it beyond this many nodes ("billion laughs";
# Go's decoder refuses excessive aliasing too).
_MAX_EXPANDED_NODES = 1_000_000
# Bounds on untrusted files, each failing with a clear error before it costs much: the
# size is checked before parsing (a 50 MB flow list takes over 4 GB as nodes), the
# nesting before composing (libyaml's composer recurses in C: ~100,000 levels crash
# the process, ~350 exhaust Python's stack in later stages). Kubernetes objects nest
# about 20 deep; the API server's own JSON decoder stops at 10,000 levels.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 100
# Kubernetes holds integers in 64 bits; Python would happily build a 4,300-digit int
# (and refuses more with a ValueError). Go's parser stops well before this length.
_MAX_INT_CHARS = 40
_INT64 = (-(2**63), 2**63 - 1)


def _add_go_resolvers(cls: Any) -> None:
    for tag, regexp, first in _GO_RESOLVERS:
        cls.add_implicit_resolver(tag, regexp, first)


class _Loader(yaml.CSafeLoader):
    """libyaml parser + PyYAML's safe constructor, agreeing with Go on every scalar:
    timestamps, ``=``, ``!!binary`` and base-60 numbers stay the text written."""

    bool_values: ClassVar[dict[str, bool]] = {
        **yaml.constructor.SafeConstructor.bool_values, "y": True, "n": False,
    }

    def construct_text(self, node: Any) -> Any:
        return self.construct_scalar(node)

    def construct_yaml_int(self, node: Any) -> Any:
        if ":" in node.value:  # base 60 is not a number for Go
            return self.construct_scalar(node)
        if len(node.value) > _MAX_INT_CHARS:
            raise _out_of_range(node)
        value = super().construct_yaml_int(node)
        if not _INT64[0] <= value <= _INT64[1]:
            raise _out_of_range(node)
        return value

    def construct_yaml_float(self, node: Any) -> Any:
        if ":" in node.value:
            return self.construct_scalar(node)
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise yaml.constructor.ConstructorError(
                None, None,
                f"{_shown(node.value)} is not a finite number: Kubernetes' JSON has no NaN or Infinity "
                "(quote it to make it a string)",
                node.start_mark,
            )
        return value

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        if all(type(k) is str for k in mapping):
            return mapping
        return {_key_str(k): v for k, v in mapping.items()}


_add_go_resolvers(_Loader)
_Loader.add_constructor(_TIMESTAMP_TAG, _Loader.construct_text)
_Loader.add_constructor(_VALUE_TAG, _Loader.construct_text)
_Loader.add_constructor(_BINARY_TAG, _Loader.construct_text)
_Loader.add_constructor(_INT_TAG, _Loader.construct_yaml_int)
_Loader.add_constructor(_FLOAT_TAG, _Loader.construct_yaml_float)


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 24 else repr(text[:20]) + f"... ({len(text)} characters)"


def _out_of_range(node: Any) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(
        None, None,
        f"integer {_shown(node.value)} does not fit in 64 bits, as Kubernetes holds integers "
        "(quote it to make it a string)",
        node.start_mark,
    )


def check_limits(text: str) -> tuple[int, int, str] | None:
    """``(line, col, message)`` when ``text`` is too big or nests too deep to parse
    safely (see ``MAX_FILE_BYTES``, ``MAX_DEPTH``), else ``None``. Reads events only:
    libyaml's event parser does not recurse."""
    # A character is at most 4 bytes: most texts need no encoding to know.
    if len(text) > MAX_FILE_BYTES or (len(text) * 4 > MAX_FILE_BYTES and len(text.encode()) > MAX_FILE_BYTES):
        return 1, 1, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; split it"
    if text.count("[") + text.count("{") + text.count("-") + text.count(":") + text.count("?") < MAX_DEPTH:
        return None  # every nesting level takes one of these characters
    parser = yaml.CSafeLoader(text)
    depth = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line, col = (event.start_mark.line + 1, event.start_mark.column + 1) \
                        if event.start_mark is not None else (1, 1)
                    return line, col, (
                        f"YAML nested more than {MAX_DEPTH} levels deep; Kubernetes objects never are")
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as err:
        # libyaml >= 0.2.6 (PyYAML 6.0.4's wheels) stops at 1,000 flow levels while it scans
        # ahead, before the events get here: the same limit, said the same way.
        if "nesting depth" in str(err):
            mark = getattr(err, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            return line, col, f"YAML nested more than {MAX_DEPTH} levels deep; Kubernetes objects never are"
        return None  # the parse proper reports it, with its position
    finally:
        parser.dispose()
    return None


def _key_str(key: Any) -> str:
    # Go's YAML-to-JSON conversion turns non-string keys into their text.
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, float):
        return repr(key)
    return str(key)


# ---------------------------------------------------------------------------
# parsing with positions


class Locator:
    """Maps a JSON path inside one document to its 1-based (line, column).

    A path that ends at a mapping key points at the key; one that ends at a list
    index points at the item. When the path does not exist (a missing required
    field), the deepest part that exists is used, so a message still lands next to
    the problem.
    """

    __slots__ = ("_keys", "_root")

    def __init__(self, root: Node | None, keys: dict[int, dict[str, tuple[Node, Node]]] | None = None) -> None:
        self._root = root
        self._keys = keys or {}

    @property
    def start(self) -> tuple[int, int]:
        """Where the document's content begins."""
        if self._root is None:
            return (1, 1)
        return _pos(self._root)

    def locate(self, path: Iterable[str | int]) -> tuple[int, int]:
        node = self._root
        if node is None:
            return (1, 1)
        pos = _pos(node)
        for step in path:
            if isinstance(node, MappingNode):
                entry = self._keys.get(id(node), {}).get(str(step))
                if entry is None:
                    return pos
                key_node, node = entry
                pos = _pos(key_node)
            elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                node = node.value[step]
                pos = _pos(node)
            else:
                return pos
        return pos


def _shown_tag(tag: str) -> str:
    """A tag as an error message may show it. A custom tag is not echoed: an unquoted
    value that starts with ``!`` (a password, say) is read as one."""
    if tag.startswith(_STANDARD_TAG_PREFIX):
        return "!!" + tag[len(_STANDARD_TAG_PREFIX):]
    return "(a custom tag, not shown; a value that starts with ! must be quoted)"


def _pos(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


@dataclass(frozen=True)
class ParsedDocument:
    """One non-empty document of a file: plain data plus where it came from.

    ``data`` is shared through the parse cache: treat it as read-only and copy
    before changing it.
    """

    data: Any
    locator: Locator
    index: int  # position among the file's non-empty documents


class _Problem(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.line, self.col = _pos(node)
        self.message = message


class _Builder:
    """Plain data from one document's nodes, recording each mapping's keys for the
    locator. Aliased nodes are built once and shared, as PyYAML does."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.keys: dict[int, dict[str, tuple[Node, Node]]] = {}
        self.built: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}  # nodes in the expanded tree below each node
        self.heights: dict[int, int] = {}  # levels of the expanded tree from each node down
        self.expanded = 0

    def build(self, node: Node, depth: int = 1) -> Any:
        if isinstance(node, ScalarNode):
            # Most nodes: not recorded, since a scalar reached again through an alias
            # is simply built again, for what the alias costs (one node, no depth).
            self.expanded += 1
            return node.value if node.tag == _STR_TAG else self._scalar(node)
        done = self.built.get(id(node), _MISSING)
        if done is not _MISSING:
            if done is _IN_PROGRESS:
                raise _Problem(node, "a YAML alias refers to the node that contains it")
            # The text's nesting is checked before parsing; aliases can nest deeper.
            if depth + self.heights[id(node)] - 1 > MAX_DEPTH:
                raise _Problem(node, f"YAML aliases nest this document more than {MAX_DEPTH} levels deep")
            self.expanded += self.sizes[id(node)]
            if self.expanded > _MAX_EXPANDED_NODES:
                raise _Problem(node, "YAML aliases expand this document to more than "
                                     f"{_MAX_EXPANDED_NODES} values")
            return done
        before = self.expanded
        self.expanded += 1
        value: list[Any] | dict[str, Any]
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                raise _Problem(node, f"unsupported YAML tag {_shown_tag(node.tag)}")
            self.built[id(node)] = _IN_PROGRESS
            value = [self.build(item, depth + 1) for item in node.value]
        elif isinstance(node, MappingNode):
            value = self._mapping(node, depth)
        else:  # pragma: no cover - libyaml makes only these three
            raise _Problem(node, f"unexpected YAML node {type(node).__name__}")
        self.built[id(node)] = value
        self.sizes[id(node)] = self.expanded - before
        self.heights[id(node)] = 1 + max(
            (self.heights.get(id(child), 1) for child in _children(node)), default=0)
        return value

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == _STR_TAG:
            return node.value
        constructor = _Loader.yaml_constructors.get(node.tag)
        if constructor is None:
            raise _Problem(node, f"unsupported YAML tag {_shown_tag(node.tag)} (Kubernetes objects are plain data)")
        try:
            return constructor(self.loader, node)
        except yaml.constructor.ConstructorError as exc:
            raise _Problem(node, exc.problem or "invalid value") from None

    def _mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        if node.tag != _MAP_TAG:
            raise _Problem(node, f"unsupported YAML tag {_shown_tag(node.tag)}")
        self.built[id(node)] = _IN_PROGRESS
        keys: dict[str, tuple[Node, Node]] = {}
        merges = False
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _Problem(key_node, "a mapping key is itself a mapping or list (an unrendered "
                                         "`{{ }}`? only files ending in .j2 are Jinja2 templates)")
            if key_node.tag == _MERGE_TAG:
                merges = True
                continue
            key = self._key(key_node)
            if key in keys:
                raise _Problem(key_node, f"duplicate key {key!r} in a mapping (kubectl rejects it); "
                                         f"the first is on line {_pos(keys[key][0])[0]}")
            keys[key] = (key_node, value_node)
        if merges:
            # ``<<`` merge keys: merged pairs come first, so the mapping's own keys win.
            self.loader.flatten_mapping(node)
            keys = {}
            for key_node, value_node in node.value:
                keys[self._key(key_node)] = (key_node, value_node)
        self.keys[id(node)] = keys
        return {key: self.build(value_node, depth + 1) for key, (_, value_node) in keys.items()}

    def _key(self, node: ScalarNode) -> str:
        return node.value if node.tag == _STR_TAG else _key_str(self._scalar(node))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    return [value for _, value in node.value]


_MISSING = object()
_IN_PROGRESS = object()


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

    Raises ``PositionedError`` for invalid YAML, a duplicate key or a custom tag.
    Results are cached by the SHA-1 of the content.
    """
    raw = content.encode() if isinstance(content, str) else content
    if len(raw) > MAX_FILE_BYTES:
        raise PositionedError(path, 1, 1, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; split it")
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


def byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of byte ``offset`` of ``raw``; the column counts bytes,
    for text that does not decode."""
    before = raw[:offset]
    return before.count(b"\n") + 1, offset - before.rfind(b"\n")


def _parse_uncached(raw: bytes) -> tuple[ParsedDocument, ...] | _ParseFailure:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _ParseFailure(*byte_position(raw, exc.start), f"file is not UTF-8: {exc.reason} at byte {exc.start}")
    too_much = check_limits(text)
    if too_much is not None:
        return _ParseFailure(*too_much)
    loader = _Loader(text)
    out: list[ParsedDocument] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL_TAG):
                continue  # an empty document
            builder = _Builder(loader)
            data = builder.build(node)
            out.append(ParsedDocument(data, Locator(node, builder.keys), len(out)))
    except _Problem as exc:
        return _ParseFailure(exc.line, exc.col, exc.message)
    except yaml.MarkedYAMLError as exc:
        return _failure_from(exc)
    except yaml.YAMLError as exc:
        return _ParseFailure(1, 1, f"invalid YAML: {exc}")
    finally:
        loader.dispose()
    return tuple(out)


def _failure_from(exc: yaml.MarkedYAMLError) -> _ParseFailure:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    parts = [p.strip() for p in (exc.context, exc.problem) if p]
    return _ParseFailure(line, col, "invalid YAML: " + (": ".join(parts) or "cannot parse"))


def clear_cache() -> None:
    """Forget every parsed file (benchmarks use this to measure cold parses)."""
    with _cache_lock:
        _cache.clear()


# ---------------------------------------------------------------------------
# fast reading and writing of rendered output


class _Dumper(yaml.CSafeDumper):
    """CSafeDumper that quotes every string the loader would read as something else."""


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

    Meant for reading back rendered output; raises ``yaml.YAMLError`` on bad input,
    including input too big or too deep for ``check_limits``.
    """
    text = text if isinstance(text, str) else text.decode("utf-8", "replace")
    too_much = check_limits(text)
    if too_much is None and "&" in text:
        # Anchors: aliases may expand or nest the data past the bounds the builder
        # enforces, so take the slower road through it.
        try:
            return [doc.data for doc in parse_documents(text, "<rendered>")]
        except PositionedError as exc:
            too_much = exc.line, exc.col, exc.message
    if too_much is not None:
        line, col, message = too_much
        raise yaml.MarkedYAMLError(problem=message, problem_mark=yaml.Mark("", 0, line - 1, col - 1, "", 0))
    return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
