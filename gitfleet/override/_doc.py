"""Copy-on-write editing of JSON-like manifests, JSON pointers and the before/after
comparison that turns an overrider step into ``AppliedOverride`` records.

Overrides run once per (resource, cluster) pair, about ten thousand times per render,
and the template they start from is shared by every cluster. Copying only the
containers on the path to a change keeps that cheap and leaves the input untouched;
unchanged subtrees stay shared, which also lets the comparison skip them by identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Token = str | int


class OverriderFailure(Exception):
    """An overrider could not be applied; ``apply`` adds the policy and rule."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def parse_pointer(pointer: str) -> list[str]:
    """RFC 6901 tokens of ``pointer`` (``""`` is the whole document)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise OverriderFailure(f"path {pointer!r} is not a JSON pointer: it must start with '/'")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def format_pointer(tokens: Sequence[Token]) -> str:
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def list_index(token: Token, size: int) -> int | None:
    """The index a pointer token names in a list of ``size`` items, or ``None``."""
    if isinstance(token, int):
        return token if 0 <= token < size else None
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        return None
    index = int(token)
    return index if index < size else None


# Types that are certainly not a Mapping. ``isinstance(x, Mapping)`` goes through
# ABCMeta's Python-level hook, which overrides pay on every step of every path of
# every (resource, cluster) pair; an exact type check settles the common cases first.
_NOT_MAPS = frozenset({list, str, int, float, bool, type(None)})


def is_map(value: Any) -> bool:
    """``isinstance(value, Mapping)``, fast for the plain types JSON-like data holds."""
    kind = type(value)
    if kind is dict:
        return True
    if kind in _NOT_MAPS:
        return False
    return isinstance(value, Mapping)


def child(node: Any, token: Token) -> tuple[bool, Any]:
    """``(found, value)`` of one pointer step; a ``null`` member counts as found."""
    if is_map(node):
        if token in node:
            return True, node[token]
        return False, None
    if isinstance(node, list):
        index = list_index(token, len(node))
        if index is None:
            return False, None
        return True, node[index]
    return False, None


def get(doc: Any, tokens: Sequence[Token]) -> tuple[bool, Any]:
    node = doc
    for token in tokens:
        found, node = child(node, token)
        if not found:
            return False, None
    return True, node


def first_missing(doc: Any, tokens: Sequence[Token]) -> str | None:
    """The shortest prefix of ``tokens`` that does not resolve, as a pointer."""
    node = doc
    for depth, token in enumerate(tokens):
        found, node = child(node, token)
        if not found:
            return format_pointer(tokens[: depth + 1])
    return None


def json_copy(value: Any) -> Any:
    """Deep copy of JSON-like data; much faster than ``copy.deepcopy`` for it."""
    if is_map(value):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_copy(v) for v in value]
    return value


class Cow:
    """Copy-on-write editor: the first write below a container copies it (shallowly)
    and every container above it, so ``root`` becomes a new document and the one
    passed in is never modified."""

    def __init__(self, root: Any) -> None:
        self.root = root
        # id -> object: keeps the copies alive so their ids cannot be reused.
        self._owned: dict[int, Any] = {}

    def adopt(self, value: Any) -> Any:
        """Mark a freshly built container as safe to edit in place."""
        self._owned[id(value)] = value
        return value

    def _own(self, node: Any) -> Any:
        if id(node) in self._owned:
            return node
        copy: Any = list(node) if type(node) is list else dict(node)
        return self.adopt(copy)

    def owned(self, tokens: Sequence[Token]) -> Any:
        """The container at ``tokens``, made editable; ``KeyError`` when a step is
        missing or not a container."""
        self.root = self._own(self.root)
        node = self.root
        for token in tokens:
            key: Token
            if is_map(node):
                key = token
                if key not in node:
                    raise KeyError(format_pointer(tokens))
            else:
                index = list_index(token, len(node))
                if index is None:
                    raise KeyError(format_pointer(tokens))
                key = index
            nxt = node[key]
            if type(nxt) is not list and not is_map(nxt):
                raise KeyError(format_pointer(tokens))
            nxt = self._own(nxt)
            node[key] = nxt
            node = nxt
        return node

    def set(self, tokens: Sequence[Token], value: Any) -> None:
        """Set an existing or new member (the parent must exist); ``[]`` sets the root."""
        if not tokens:
            self.root = value
            return
        parent = self.owned(tokens[:-1])
        if isinstance(parent, list):
            index = list_index(tokens[-1], len(parent))
            if index is None:
                raise KeyError(format_pointer(tokens))
            parent[index] = value
        else:
            parent[tokens[-1]] = value

    def delete(self, tokens: Sequence[Token]) -> None:
        parent = self.owned(tokens[:-1])
        if isinstance(parent, list):
            index = list_index(tokens[-1], len(parent))
            if index is None:
                raise KeyError(format_pointer(tokens))
            del parent[index]
        else:
            del parent[tokens[-1]]


Change = tuple[str, Any, Any]


def _same(a: Any, b: Any) -> bool:
    # 1 == True and 1 == 1.0 in Python, but not in JSON.
    return type(a) is type(b) and a == b


def diff(before: Any, after: Any, prefix: str = "") -> list[Change]:
    """Leaf changes from ``before`` to ``after`` as ``(pointer, old, new)``, sorted by
    pointer. A member that appears or disappears has ``None`` on the other side; a
    list whose length changed is reported as a whole."""
    out: list[Change] = []
    if before is not after:
        _diff(before, after, [], prefix, out)
    out.sort(key=lambda change: change[0])
    return out


def _diff(a: Any, b: Any, path: list[Token], prefix: str, out: list[Change]) -> None:
    # ``path`` is one list pushed and popped on the way down: pointer text is built
    # only for the few members that changed, not for every container passed through.
    if is_map(a) and is_map(b):
        shared = 0
        for key, value in a.items():
            if key in b:
                shared += 1
                other = b[key]
                if value is not other:
                    path.append(key)
                    _diff(value, other, path, prefix, out)
                    path.pop()
            else:
                out.append((prefix + format_pointer((*path, key)), json_copy(value), None))
        # Overriders mostly change values, not keys: when every key of ``b`` was
        # seen above, there is nothing new to look for.
        if shared != len(b):
            for key, value in b.items():
                if key not in a:
                    out.append((prefix + format_pointer((*path, key)), None, json_copy(value)))
        return
    if type(a) is list and type(b) is list and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b)):
            if x is not y:
                path.append(index)
                _diff(x, y, path, prefix, out)
                path.pop()
        return
    if not _same(a, b):
        out.append((prefix + format_pointer(path), json_copy(a), json_copy(b)))
