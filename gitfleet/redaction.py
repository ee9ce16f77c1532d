"""Secret values never leave gitfleet in clear (DESIGN.md §4): not on the status branch,
not in a diff, an explanation, a log line or an error message. This module is the one
place that knows what a Secret is and how its values are hidden; everything else asks it.

**What counts as a Secret.** Any object whose ``kind`` is ``Secret`` compared without
case, whatever its ``apiVersion``: ``v1 Secret`` as the API server knows it, and the
look-alikes (``kind: secret``, ``Secret`` of another API group, a missing apiVersion).
A look-alike may be a typo or a custom resource; either way its author put something
under ``data``/``stringData`` that looks like a credential, so it is masked too (the
loader refuses a wrongly-cased core kind separately). Objects inside a list object
(``kind`` ending in ``List`` with ``items``, such as ``v1 List``, as the API machinery
reads them) are looked at item by item, at any depth.

**Masking by structure.** Every scalar below a Secret's ``data`` and ``stringData`` is
replaced by a digest, whatever the shape: a map of strings as the API server wants it,
but also a list, a single string, nested maps or values that are not base64. The
``kubectl.kubernetes.io/last-applied-configuration`` annotation, a copy of the whole
object, is masked as one value.

The digest is ``sha256:<first 16 hex digits>`` of
``gitfleet-secret-v1 \\0 <namespace>/<name>/<key> \\0 <value bytes>``, where the value
bytes are the base64-decoded ``data`` value (so the same secret written in ``data`` or in
``stringData`` gets the same digest) or the UTF-8 ``stringData`` value. For shapes other
than a map of scalars, ``<key>`` is the path below the object (``data/0``,
``stringData``, ``data/a/b``). Binding the digest to the object and key stops one table of
precomputed digests from serving every Secret; it does not make a short, guessable
password safe to publish, so the status branch should stay as private as the fleet repo.
Masking is idempotent: a value that already has the digest's exact shape is kept.

**Redacting text.** A :class:`Redactor` holds the clear values of a set of Secrets (from
a plan's manifests, or read leniently from raw fleet files when the repo does not load)
and replaces each of them by ``***`` in any text: a message, a :class:`Problem`, an
exception, every string of a JSON-able result, every log record (:class:`RedactingFilter`).
Besides each value as written it knows the forms a message may quote it in: base64
decoded and encoded, JSON- and ``repr``-escaped, and each line of a multi-line value.

Values shorter than :data:`MIN_LENGTH` (3) characters, or made only of ``*``, are not
redacted from text: replacing every ``1`` or ``ab`` would garble messages beyond use,
and a value that short is guessed from its digest anyway. The guarantee, pinned by a
property test: a redacted text contains none of the registered values (of that length).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from functools import cached_property
from itertools import islice
from typing import Any, Protocol

import yaml

from gitfleet.errors import Problem

DIGEST_PREFIX = "sha256:"
MASK = "***"
MIN_LENGTH = 3
SECRET_FIELDS = ("data", "stringData")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Raw files above this size are not read for Secret values: the loader refuses them
# before parsing, so no message about them can quote a value.
MAX_LENIENT_FILE = 8 << 20

_DIGEST = re.compile(r"^sha256:[0-9a-f]{16}$")


# ---------------------------------------------------------------------------
# what is a Secret


def is_secret(obj: Any) -> bool:
    """``obj`` is a Secret or a look-alike (see the module docstring)."""
    if not isinstance(obj, Mapping):
        return False
    kind = obj.get("kind")
    return isinstance(kind, str) and kind.strip().lower() == "secret"


def is_list(obj: Any) -> bool:
    """``obj`` is a list object whose ``items`` are objects (``v1 List``, ``SecretList``...),
    recognised as apimachinery's unstructured decoder does: kind ``*List`` with items."""
    if not isinstance(obj, Mapping):
        return False
    kind = obj.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list)


def is_digest(value: Any) -> bool:
    return isinstance(value, str) and _DIGEST.match(value) is not None


# ---------------------------------------------------------------------------
# digests and masking


def digest(scope: str, value: bytes) -> str:
    """The masked form of one value; ``scope`` is ``<namespace>/<name>/<key>``."""
    h = hashlib.sha256()
    h.update(b"gitfleet-secret-v1\0")
    h.update(scope.encode())
    h.update(b"\0")
    h.update(value)
    return DIGEST_PREFIX + h.hexdigest()[:16]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _b64decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _value_bytes(value: Any, field: str) -> bytes:
    text = _text(value)
    if field == "data":
        decoded = _b64decode(text)
        if decoded is not None:
            return decoded
        # Not base64 (validation refuses it): digest the text as written.
    return text.encode()


def _scope_prefix(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    return f"{_text(meta.get('namespace'))}/{_text(meta.get('name'))}/"


def _mask_below(value: Any, scope: str, field: str) -> Any:
    """Every scalar of ``value`` replaced by its digest, keeping the containers."""
    if isinstance(value, Mapping):
        return {k: _mask_below(v, f"{scope}/{k}", field) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_below(v, f"{scope}/{i}", field) for i, v in enumerate(value)]
    if is_digest(value):
        return value
    return digest(scope, _value_bytes(value, field))


def _mask_field(block: Any, prefix: str, field: str) -> Any:
    if isinstance(block, Mapping):
        # The well-formed shape: the scope is the key alone, as documented for data.
        return {k: _mask_below(v, prefix + _text(k), field) for k, v in block.items()}
    return _mask_below(block, prefix + field, field)


def mask_manifest(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    """``manifest`` with every Secret value replaced by its digest (Secrets inside list
    objects too); anything else is returned as it is (the same object, so callers can
    compare by identity)."""
    if is_list(manifest):
        items = manifest["items"]
        masked_items = [mask_manifest(i) if isinstance(i, Mapping) else i for i in items]
        if all(a is b for a, b in zip(masked_items, items)):
            return manifest
        return {**manifest, "items": masked_items}
    if not is_secret(manifest):
        return manifest
    prefix = _scope_prefix(manifest)
    out = dict(manifest)
    for field in SECRET_FIELDS:
        if field in manifest:
            out[field] = _mask_field(manifest[field], prefix, field)
    meta = manifest.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    if isinstance(meta, Mapping) and isinstance(annotations, Mapping) and LAST_APPLIED in annotations:
        out["metadata"] = {
            **meta,
            "annotations": {**annotations,
                            LAST_APPLIED: _mask_below(annotations[LAST_APPLIED], prefix + LAST_APPLIED,
                                                      "stringData")},
        }
    return out


def mask_manifests(manifests: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """One cluster's ``key -> manifest`` map, masked."""
    return {key: mask_manifest(m) for key, m in manifests.items()}


def _pointer_tokens(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def mask_at(manifest: Mapping[str, Any], pointer: str, value: Any) -> Any:
    """``value``, found at JSON ``pointer`` of ``manifest``, masked as it would be inside
    the masked manifest: for an override record or a drift entry, which show one field
    of an object. Values outside a Secret's values are returned as they are."""
    if value is None or not is_secret(manifest):
        return value
    tokens = _pointer_tokens(pointer)
    if not tokens:
        return mask_manifest(value) if isinstance(value, Mapping) else value
    prefix = _scope_prefix(manifest)
    head = tokens[0]
    if head in SECRET_FIELDS:
        if len(tokens) == 1:
            return _mask_field(value, prefix, head)
        return _mask_below(value, prefix + "/".join(tokens[1:]), head)
    if head == "metadata":
        # The annotation, or a map that holds it.
        wrapped: dict[str, Any] = {"kind": "Secret", "metadata": dict(manifest.get("metadata") or {})}
        if tokens[1:] == ["annotations", LAST_APPLIED]:
            return _mask_below(value, prefix + LAST_APPLIED, "stringData")
        if tokens[1:] == ["annotations"] and isinstance(value, Mapping):
            wrapped["metadata"]["annotations"] = value
            return mask_manifest(wrapped)["metadata"]["annotations"]
        if len(tokens) == 1 and isinstance(value, Mapping):
            wrapped["metadata"] = value
            return mask_manifest(wrapped)["metadata"]
    return value


# ---------------------------------------------------------------------------
# clear values


def _scalars(value: Any) -> Iterator[Any]:
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _scalars(v)
    elif isinstance(value, list):
        for v in value:
            yield from _scalars(v)
    elif value is not None:
        yield value


def secret_scalars(obj: Any) -> Iterator[tuple[str, Any]]:
    """``(field, scalar)`` for every clear value of the Secrets in ``obj`` (an object,
    or a list object), by structure."""
    if is_list(obj):
        for item in obj["items"]:
            yield from secret_scalars(item)
        return
    if not is_secret(obj):
        return
    for field in SECRET_FIELDS:
        for scalar in _scalars(obj.get(field)):
            yield field, scalar
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    if isinstance(annotations, Mapping) and LAST_APPLIED in annotations:
        yield "stringData", annotations[LAST_APPLIED]


def _forms(field: str, scalar: Any) -> Iterator[str]:
    """Every way a message may quote ``scalar``."""
    text = _text(scalar)
    yield text
    if field == "data":
        decoded = _b64decode(text)
        if decoded is not None:
            try:
                yield decoded.decode()
            except UnicodeDecodeError:
                pass
    else:
        yield base64.b64encode(text.encode()).decode()


def _variants(text: str) -> Iterator[str]:
    yield text
    yield json.dumps(text)[1:-1]
    yield json.dumps(text, ensure_ascii=False)[1:-1]
    yield repr(text)[1:-1]
    if "\n" in text:
        yield from (line.strip() for line in text.splitlines())


def _worth(value: str) -> bool:
    return len(value) >= MIN_LENGTH and value.strip("*") != ""


# ---------------------------------------------------------------------------
# the redactor


class HasManifests(Protocol):
    """A plan: ``cluster -> key -> manifest``."""

    @property
    def manifests(self) -> Mapping[str, Mapping[str, Mapping[str, Any]]]: ...


class Redactor:
    """Scrubs a fixed set of clear Secret values from text and data (immutable; combine
    two with ``|``). An empty redactor still masks Secret objects in :meth:`data`."""

    __slots__ = ("__dict__", "values")

    def __init__(self, values: Iterable[str] = ()) -> None:
        found: set[str] = set()
        for value in values:
            found.update(v for v in _variants(value) if _worth(v))
        self.values: frozenset[str] = frozenset(found)

    # -- building ------------------------------------------------------------

    @classmethod
    def from_manifests(cls, manifests: Iterable[Any]) -> Redactor:
        """The values of every Secret among ``manifests`` (list objects included)."""
        return cls(form for m in manifests for field, s in secret_scalars(m) for form in _forms(field, s))

    @classmethod
    def from_plan(cls, plan: HasManifests) -> Redactor:
        return cls.from_manifests(m for ms in plan.manifests.values() for m in ms.values())

    @classmethod
    def from_files(cls, files: Mapping[str, bytes | str]) -> Redactor:
        """The Secret values written in raw fleet files, read leniently, for a repo that
        does not load: documents are parsed one by one with any YAML tag accepted (a tag
        on a Secret value is taken as part of it), and a Secret document that still does
        not parse gives every value written in it. ``.j2`` files are read as text."""
        values: list[str] = []
        for path, content in files.items():
            if not path.endswith((".yaml", ".yml", ".yaml.j2", ".yml.j2")) or len(content) > MAX_LENIENT_FILE:
                continue
            text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
            values.extend(_lenient_values(text, textual=path.endswith(".j2")))
        return cls(values)

    def __or__(self, other: Redactor) -> Redactor:
        out = Redactor()
        out.values = self.values | other.values
        return out

    def __bool__(self) -> bool:
        return bool(self.values)

    def __contains__(self, value: str) -> bool:
        return value in self.values

    # -- using -----------------------------------------------------------------

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self.values:
            return None
        # Longest first, so a value that contains another is scrubbed whole.
        ordered = sorted(self.values, key=lambda v: (-len(v), v))
        return re.compile("|".join(re.escape(v) for v in ordered))

    def text(self, text: str) -> str:
        """``text`` with every registered value replaced by ``***``. Replacing may make a
        value appear across the mask (``ab**`` around a masked ``xy``), so it repeats
        until none is left; each round shortens the text or removes a non-``*``
        character, so it ends."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        while True:
            new = pattern.sub(MASK, text)
            if new == text:
                return text
            text = new

    def problem(self, problem: Problem) -> Problem:
        message = self.text(problem.message)
        return problem if message == problem.message else replace(problem, message=message)

    def exception(self, exc: BaseException) -> str:
        """The message of ``exc``, redacted (for a report or a log line)."""
        return self.text(str(exc))

    def data(self, value: Any) -> Any:
        """A JSON-able result with every Secret object masked (by structure) and every
        string, keys included, redacted. Tuples come back as lists."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            value = mask_manifest(value)
            return {self.text(k) if isinstance(k, str) else k: self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value

    def filter(self) -> RedactingFilter:
        return RedactingFilter(self)


class RedactingFilter(logging.Filter):
    """Scrubs every record that passes it: the message with its arguments, the
    exception text and the stack. Attach it to handlers (a logger's own filters do not
    see records of its children); the long-running loop swaps the redactor with
    :meth:`update` when a new plan brings new Secret values."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor or Redactor()

    def update(self, redactor: Redactor) -> None:
        self.redactor = redactor  # one assignment: safe for handler threads

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = self.redactor
        if not redactor:
            return True
        record.msg = redactor.text(record.getMessage())
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redactor.text(record.exc_text)
        if record.stack_info:
            record.stack_info = redactor.text(record.stack_info)
        return True

    def install(self, logger: logging.Logger | None = None) -> None:
        """Attach to every handler of ``logger`` (the root logger by default)."""
        for handler in (logger or logging.getLogger()).handlers:
            if self not in handler.filters:
                handler.addFilter(self)


# ---------------------------------------------------------------------------
# lenient reading of raw files


class _Tagged(str):
    """A scalar under an unknown YAML tag: the tag is part of what the author wrote."""

    tag: str


class _LenientLoader(yaml.SafeLoader):
    """Accepts any tag, so a document the loader refuses still shows its Secrets."""


def _construct_unknown(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    assert isinstance(node, yaml.ScalarNode)
    out = _Tagged(f"{node.tag} {loader.construct_scalar(node)}".strip())
    out.tag = node.tag
    return out


def _construct_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return loader.construct_scalar(node)


_LenientLoader.add_constructor(None, _construct_unknown)
# Dates stay the text written (a value is what the author wrote, not what it means).
_LenientLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)

_DOC_SPLIT = re.compile(r"^---[ \t]*(?:#.*)?$|^\.\.\.[ \t]*$", re.MULTILINE)
_SECRET_HINT = re.compile(r"kind[\"']?\s*:\s*[\"']?secret", re.IGNORECASE)
_FLOW = re.compile(r"[,{}\[\]]")
_LIST_ITEM = re.compile(r"^\s*-\s+(.*\S)\s*$")
_KEY_VALUE = re.compile(r"^\s*(?:-\s+)?[\"']?([^\"':#]+)[\"']?\s*:\s+(.*\S)\s*$")
_MAX_LENIENT_VALUES = 100_000
_NOT_VALUES = frozenset({"apiVersion", "kind", "name", "namespace", "type"})


def _lenient_values(text: str, textual: bool) -> Iterator[str]:
    for part in _DOC_SPLIT.split(text):
        if not _SECRET_HINT.search(part):
            continue
        docs: list[Any] = []
        if not textual:
            try:
                docs = list(yaml.load_all(part, Loader=_LenientLoader))
            except (yaml.YAMLError, RecursionError, ValueError, TypeError):
                docs = []
        found: list[str] = []
        try:
            for doc in docs:
                # Aliases may share (or nest) a subtree: a bound, not a walk without end.
                for field, scalar in islice(secret_scalars(doc), _MAX_LENIENT_VALUES):
                    if isinstance(scalar, _Tagged):
                        found.extend((scalar.tag, scalar.tag.lstrip("!"), scalar[len(scalar.tag):].strip()))
                    found.extend(_forms(field, scalar))
        except RecursionError:
            docs = []
        if docs:
            yield from found
        else:
            yield from _textual_values(part)


def _textual_values(part: str) -> Iterator[str]:
    """Every value written in a Secret document that does not parse (or is a template):
    more than its secrets, which is the safe side for a message about a broken file."""
    lines = [(line, False) for line in part.splitlines()]
    for line, _ in list(lines):
        if _FLOW.search(line):
            lines.extend((fragment, True) for fragment in _FLOW.split(line))
    for line, fragment in lines:
        match = _KEY_VALUE.match(line)
        item = _LIST_ITEM.match(line)
        if match is not None:
            if match.group(1).strip() in _NOT_VALUES:
                continue
            value = match.group(2)
        elif item is not None:
            value = item.group(1)
        elif fragment and line.strip():
            value = line.strip()  # an item of a flow list
        else:
            continue
        value = value.split(" #", 1)[0].strip()
        yield value
        stripped = value.strip("\"'")
        if stripped != value:
            yield stripped
        if stripped.startswith("!"):
            tag, _, rest = stripped.partition(" ")
            yield tag
            yield tag.lstrip("!")
            if rest:
                yield rest
        yield from _forms("data", stripped)
