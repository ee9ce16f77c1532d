"""List objects (``apiVersion: v1, kind: List`` and the typed ``<Kind>List``s) are
expanded into their items, as ``kubectl apply -f`` does: each item is a resource of its
own, with its own position in the file. A Secret inside a List is then a Secret like any
other, validated and masked as one (it used to pass as one opaque template).

A list object is what apimachinery's unstructured decoder takes for one: a ``kind``
ending in ``List`` with an ``items`` field; nested lists are expanded too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from gitfleet.load.yamlio import JsonPath, Locator, ParsedDocument
from gitfleet.redaction import is_list

# A List nested deeper than this is not expanded further (and then reported as a
# resource of an unknown kind): YAML nesting is bounded anyway, this keeps recursion
# far from Python's limit.
MAX_LIST_DEPTH = 8


class _ItemLocator(Locator):
    """Positions inside one item of a list object: paths are relative to the item."""

    __slots__ = ("_inner", "_prefix")

    def __init__(self, inner: Locator, prefix: JsonPath) -> None:
        super().__init__(None)
        self._inner, self._prefix = inner, prefix

    @property
    def start(self) -> tuple[int, int]:
        return self._inner.locate(self._prefix)

    def locate(self, path: Iterable[str | int]) -> tuple[int, int]:
        return self._inner.locate(self._prefix + tuple(path))


def _items(data: Any, locator: Locator, depth: int) -> Iterator[tuple[Any, Locator]]:
    if depth >= MAX_LIST_DEPTH or not is_list(data):
        yield data, locator
        return
    for i, item in enumerate(data["items"]):
        yield from _items(item, _ItemLocator(locator, ("items", i)), depth + 1)


def expand_lists(docs: Iterable[ParsedDocument]) -> tuple[ParsedDocument, ...]:
    """``docs`` with every list object replaced by its items (renumbered in order)."""
    out: list[ParsedDocument] = []
    for doc in docs:
        for data, locator in _items(doc.data, doc.locator, 0):
            out.append(ParsedDocument(data, locator, len(out)))
    return tuple(out)


def expand_plain(docs: Iterable[Any]) -> list[Any]:
    """The same expansion for documents without positions (a template's render for
    one cluster), so item ``n`` here is item ``n`` of :func:`expand_lists`."""
    return [item.data for item in expand_lists(ParsedDocument(d, Locator(None), 0) for d in docs)]
