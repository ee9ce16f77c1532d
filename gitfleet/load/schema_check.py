"""A fast "certainly valid" check of a document against one of gitfleet's JSON Schemas.

``jsonschema`` makes a validator object for every subschema it enters and resolves every
``$ref`` again on each document: a Cluster document took ~0.25 ms, 2.5 s of ``validate``
for 10,000 clusters. Nearly every document is valid, and then only that verdict is
needed. So each schema is compiled once into nested closures that answer True
(certainly valid) or False (maybe not); only on False does ``schema.py`` run
``jsonschema``, which finds and words the errors exactly as before.

The keywords gitfleet's schemas use are implemented with ``jsonschema``'s semantics for
Draft 2020-12 (types as its type checker sees them, ``enum``/``const`` of strings, ...).
Any other keyword compiles to "maybe not": a new keyword in a schema can make
validation slower, never let an error through.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from referencing._core import Resolver

Check = Callable[[Any], bool]

# Keywords that assert nothing.
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description", "default",
                          "examples", "deprecated", "readOnly", "writeOnly"})


def _yes(value: Any) -> bool:
    return True


def _no(value: Any) -> bool:
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    # jsonschema's Draft 4+ checker: an int that is not a bool, or a float such as 1.0.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": _is_integer,
}


def compile_schema(schema: Any, resolver: Resolver[Any]) -> Check:
    """The check of ``schema``, whose ``$ref``s ``resolver`` resolves."""
    return _Compiler().compile(schema, resolver)


class _Compiler:
    def __init__(self) -> None:
        # id(subschema) -> (subschema, its check); the subschema is kept so its id stays its own.
        self._done: dict[int, tuple[Any, Check]] = {}

    def compile(self, schema: Any, resolver: Resolver[Any]) -> Check:
        if schema is True:
            return _yes
        if not isinstance(schema, dict):
            return _no  # ``false``, or not a schema
        done = self._done.get(id(schema))
        if done is not None:
            return done[1]
        # A $ref cycle comes back here while this schema is being compiled: it gets
        # a check that looks the finished one up when it runs.
        self._done[id(schema)] = (schema, lambda value: self._done[id(schema)][1](value))
        checks = [self._keyword(schema, key, resolver) for key in schema if key not in _ANNOTATIONS]
        check = _all_of([c for c in checks if c is not _yes])
        self._done[id(schema)] = (schema, check)
        return check

    def _keyword(self, schema: dict[str, Any], key: str, resolver: Resolver[Any]) -> Check:
        arg = schema[key]
        if key == "$ref":
            resolved = resolver.lookup(arg)
            return self.compile(resolved.contents, resolved.resolver)
        if key == "type":
            return _type(arg)
        if key == "properties":
            return _properties([(name, self.compile(sub, resolver)) for name, sub in arg.items()])
        if key == "additionalProperties":
            if "patternProperties" in schema:
                return _no
            return _additional(frozenset(schema.get("properties", ())), self.compile(arg, resolver), arg is False)
        if key == "items":
            if "prefixItems" in schema:
                return _no
            return _items(self.compile(arg, resolver))
        if key == "required":
            names = tuple(arg)
            return lambda v: not isinstance(v, dict) or all(name in v for name in names)
        if key in ("enum", "const"):
            allowed = arg if key == "enum" else [arg]
            if not all(type(a) is str for a in allowed):
                return _no
            strings = frozenset(allowed)
            return lambda v: isinstance(v, str) and v in strings
        return _bound(key, arg)


def _bound(key: str, arg: Any) -> Check:
    """The keywords that bound a string, a number or a list; ``_no`` for any other."""
    if key == "minLength":
        return lambda v: not isinstance(v, str) or len(v) >= arg
    if key == "maxLength":
        return lambda v: not isinstance(v, str) or len(v) <= arg
    if key == "pattern":
        search = re.compile(arg).search
        return lambda v: not isinstance(v, str) or search(v) is not None
    if key == "minimum":
        return lambda v: not _is_number(v) or v >= arg
    if key == "maximum":
        return lambda v: not _is_number(v) or v <= arg
    if key == "exclusiveMinimum":
        return lambda v: not _is_number(v) or v > arg
    if key == "exclusiveMaximum":
        return lambda v: not _is_number(v) or v < arg
    if key == "minItems":
        return lambda v: not isinstance(v, list) or len(v) >= arg
    if key == "maxItems":
        return lambda v: not isinstance(v, list) or len(v) <= arg
    return _no


def _all_of(checks: list[Check]) -> Check:
    if not checks:
        return _yes
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(check(v) for check in checks)


def _type(arg: Any) -> Check:
    names = [arg] if isinstance(arg, str) else list(arg)
    if not all(name in TYPES for name in names):
        return _no
    checks = [TYPES[name] for name in names]
    if len(checks) == 1:
        return checks[0]
    return lambda v: any(check(v) for check in checks)


def _properties(props: list[tuple[str, Check]]) -> Check:
    props = [(name, check) for name, check in props if check is not _yes]

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for name, sub in props:
            if name in value and not sub(value[name]):
                return False
        return True

    return check


def _additional(known: frozenset[str], sub: Check, forbidden: bool) -> Check:
    if sub is _yes:
        return _yes

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        if forbidden:
            return all(key in known for key in value)
        return all(sub(item) for key, item in value.items() if key not in known)

    return check


def _items(sub: Check) -> Check:
    if sub is _yes:
        return _yes
    return lambda v: not isinstance(v, list) or all(sub(item) for item in v)
