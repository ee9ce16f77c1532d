"""Reading a YAML record of the status branch defensively (the branch is untrusted: anyone
who can push to it, a hand edit): every check fails at the position of what it checks,
as ``path:line:col``, with the error type of the record (state, health).

Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, cast

from gitfleet.errors import PositionedError
from gitfleet.load.yamlio import Locator, ParsedDocument, parse_documents
from gitfleet.status.layout import UnsafePathError, path_component

Where = tuple[str | int, ...]
MAX_INT32 = 2**31 - 1  # replicas, counts and grace periods are int32 in Kubernetes' APIs
MAX_NAME_CHARS = 253  # a DNS subdomain, what Kubernetes allows for an object or cluster name
# RFC 3339 in UTC, as every time of the status branch is written (the clock is an input).
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z")


def one_document(path: str, raw: bytes, error: type[PositionedError]) -> ParsedDocument:
    """The one YAML document of a record file; ``error`` (the record's own error type) at
    its position for bad YAML or any other number of documents."""
    try:
        docs = parse_documents(raw, path)
    except PositionedError as exc:
        raise error(exc.path, exc.line, exc.col, exc.message) from None
    if len(docs) != 1:
        line, col = docs[1].locator.start if len(docs) > 1 else (1, 1)
        raise error(path, line, col, f"expected one YAML document, found {len(docs)}")
    return docs[0]


def type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


class RecordReader:
    """One parsed file of a record. Subclasses set the error type and the bounds."""

    error: ClassVar[type[PositionedError]] = PositionedError
    max_items: ClassVar[int] = 100_000
    max_entries: ClassVar[int | None] = None  # of a mapping; None: the caller bounds it
    max_text: ClassVar[int] = 4_096

    def __init__(self, path: str, locator: Locator) -> None:
        self.path, self.locator = path, locator

    def fail(self, where: Where, message: str) -> PositionedError:
        line, col = self.locator.locate(where)
        field = ".".join(str(p) for p in where)
        return self.error(self.path, line, col, f"{field}: {message}" if field else message)

    def mapping(self, where: Where, value: Any, known: frozenset[str] = frozenset()) -> Mapping[str, Any]:
        """A mapping; with ``known``, one that holds no other field (nested records
        keep no unknown fields: a newer gitfleet adding one there brings a new version)."""
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, found {type_name(value)}")
        if self.max_entries is not None and len(value) > self.max_entries:
            raise self.fail(where, f"more than {self.max_entries} entries")
        self.unknown(where, value, known)
        return cast(Mapping[str, Any], value)

    def unknown(self, where: Where, value: Mapping[str, Any], known: frozenset[str]) -> None:
        for key in value if known else ():
            if key not in known:
                raise self.fail((*where, key), f"unknown field (known: {', '.join(sorted(known))})")

    def items(self, where: Where, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, found {type_name(value)}")
        if len(value) > self.max_items:
            raise self.fail(where, f"more than {self.max_items} items")
        return value

    def text(self, where: Where, value: Any, limit: int | None = None) -> str:
        limit = self.max_text if limit is None else limit
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, found {type_name(value)}")
        if len(value) > limit:
            raise self.fail(where, f"longer than {limit} characters")
        return value

    def name(self, where: Where, value: Any, what: str) -> str:
        """A name that becomes (or names) a folder elsewhere on the branch."""
        text = self.text(where, value, MAX_NAME_CHARS)
        try:
            return path_component(text, what)
        except UnsafePathError as exc:
            raise self.fail(where, str(exc)) from None

    def one_of(self, where: Where, value: Any, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(where, f"{value!r:.60} is not one of {', '.join(choices)}")
        return cast(str, value)

    def count(self, where: Where, value: Any) -> int:
        if type(value) is not int:
            raise self.fail(where, f"expected a whole number, found {type_name(value)}")
        if not 0 <= value <= MAX_INT32:
            raise self.fail(where, f"{value} is out of range: expected 0 to {MAX_INT32}")
        return value

    def time(self, where: Where, value: Any) -> str:
        text = self.text(where, value, 64)
        if not RFC3339_UTC.fullmatch(text):
            raise self.fail(where, f"{text!r} is not an RFC 3339 time in UTC (like 2026-12-04T10:02:11Z)")
        return text

    def required(self, where: Where, item: Mapping[str, Any], *names: str) -> None:
        for name in names:
            if name not in item:
                raise self.fail(where, f"needs '{name}'")
