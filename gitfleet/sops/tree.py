"""A SOPS file's documents as sops itself sees them.

sops reads YAML with ``go.yaml.in/yaml/v3`` into ``interface{}``, and its MAC hashes
every value as that library typed it: ``yes`` is a string there (YAML 1.2), ``0644``
the integer 420, a timestamp stays its text. gitfleet's own loader reads YAML 1.1 as
kubectl does, so the MAC cannot be computed from the loaded objects: this module
builds the tree again from the text, with go-yaml v3's rules for plain scalars. Keys
keep their order (the MAC depends on it); aliases are expanded, as sops does.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from gitfleet.sops.format import METADATA_KEY, SopsError

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 100
MAX_NODES = 1_000_000
_PLAIN = "gitfleet:plain"
_STR_TAG = "tag:yaml.org,2002:str"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL_FLOATS = {
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf, "+.inf": math.inf, "+.Inf": math.inf,
    "+.INF": math.inf, "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
}
# strconv.ParseInt(s, 0, 64): a sign, then 0x / 0o / 0b / a leading 0 (octal) / decimal.
_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INT64 = (-(2**63), 2**64 - 1)  # ParseUint takes what ParseInt cannot


class _NodeLoader(yaml.CSafeLoader):
    """Composes nodes, leaving plain scalars unresolved: go-yaml's rules apply."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


def _int(text: str) -> int | None:
    match = _INT.fullmatch(text)
    if match is None:
        return None
    sign, digits = match.groups()
    if digits[:2] in ("0x", "0X", "0o", "0O", "0b", "0B"):
        value = int(digits, 0)
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits, 8)
    else:
        value = int(digits)
    value = -value if sign == "-" else value
    return value if _INT64[0] <= value <= _INT64[1] else None


def plain_scalar(text: str) -> Any:
    """A plain (unquoted, untagged) scalar as go-yaml v3 decodes it into ``interface{}``."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if not text or text[0] not in "+-.0123456789":
        return text
    plain = text.replace("_", "")
    number = _int(plain)
    if number is not None:
        return number
    if _FLOAT.fullmatch(plain):
        return float(plain)
    return text  # timestamps too: go-yaml v3 keeps them as text in an interface{}


class _Builder:
    def __init__(self) -> None:
        self.nodes = 0

    def value(self, node: yaml.Node, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise SopsError("the file expands to too many values or nests too deep")
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _PLAIN:
                return plain_scalar(node.value)
            if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                            "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"):
                return plain_scalar(node.value)
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, depth + 1) for item in node.value]
        assert isinstance(node, yaml.MappingNode)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node, depth + 1)
            if not isinstance(key, str):
                raise SopsError("sops supports string keys only; quote the key")
            if key in out:
                raise SopsError("duplicate key in a mapping")
            out[key] = self.value(value_node, depth + 1)
        return out


def read_documents(text: str) -> list[dict[str, Any]]:
    """The documents of a SOPS file, typed as sops types them, with the ``sops`` key
    still in (the first document's is the metadata; sops drops it from the others)."""
    if len(text) > MAX_BYTES:
        raise SopsError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    builder = _Builder()
    out: list[dict[str, Any]] = []
    try:
        for node in yaml.compose_all(text, Loader=_NodeLoader):
            if node is None:
                continue
            if isinstance(node, yaml.ScalarNode) and node.tag == _PLAIN and node.value in _NULLS:
                continue
            doc = builder.value(node, 1)
            if not isinstance(doc, dict):
                raise SopsError("every document of a SOPS file must be a mapping")
            out.append(doc)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SopsError(f"not valid YAML{where}") from None
    except RecursionError:
        raise SopsError("the file nests too deep") from None
    if not out:
        raise SopsError("the file has no document")
    return out


def split_metadata(docs: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
    """``(the first document's sops mapping, the documents without any sops key)``."""
    meta = docs[0].get(METADATA_KEY)
    return meta, [{k: v for k, v in d.items() if k != METADATA_KEY} for d in docs]
