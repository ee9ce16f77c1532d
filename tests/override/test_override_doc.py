"""The change records of an overrider step (``_doc.diff``) and the fast Mapping check
the copy-on-write helpers use."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.override._doc import diff, get, is_map, parse_pointer


class _Frozen(Mapping[str, Any]):
    """A Mapping that is not a dict, as a caller's own manifest type may be."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


@pytest.mark.parametrize(
    ("value", "expected"),
    [({}, True), (MappingProxyType({"a": 1}), True), (_Frozen({"a": 1}), True), ([], False),
     ("text", False), (1, False), (True, False), (1.5, False), (None, False), ((), False)],
    ids=["dict", "mappingproxy", "custom-mapping", "list", "str", "int", "bool", "float", "null", "tuple"],
)
def test_is_map(value: Any, expected: bool) -> None:
    assert is_map(value) is expected


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, 2.5]),
                     st.sampled_from(["", "a", "b"]))
_KEYS = st.sampled_from(["a", "b", "c/d", "e~f", "0"])
_DOCS = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)),
    max_leaves=12,
)


@given(_DOCS, _DOCS)
def test_is_map_agrees_with_isinstance(a: Any, b: Any) -> None:
    assert is_map(a) is isinstance(a, Mapping)
    assert is_map(b) is isinstance(b, Mapping)


DIFF_CASES = [
    ({"a": 1}, {"a": 2}, [("/a", 1, 2)]),
    ({"a": 1}, {"a": True}, [("/a", 1, True)]),
    ({"a": 1}, {"a": 1.0}, [("/a", 1, 1.0)]),
    ({"a": 1}, {"b": 1}, [("/a", 1, None), ("/b", None, 1)]),
    ({"a": 1, "b": 2}, {"a": 1}, [("/b", 2, None)]),
    ({"a": 1}, {"a": 1, "c/d": {"e": 1}}, [("/c~1d", None, {"e": 1})]),
    ({"x": {"e~f": [1, 2]}}, {"x": {"e~f": [1, 3]}}, [("/x/e~0f/1", 2, 3)]),
    ({"x": [1, 2]}, {"x": [1, 2, 3]}, [("/x", [1, 2], [1, 2, 3])]),
    ({"x": {"y": 1}}, {"x": [1]}, [("/x", {"y": 1}, [1])]),
    ({"b": {"z": 1}, "a": {"z": 1}}, {"b": {"z": 2}, "a": {"z": 3}}, [("/a/z", 1, 3), ("/b/z", 1, 2)]),
    ({"a": {"b": 1}}, {"a": {"b": 1}}, []),
]


@pytest.mark.parametrize(
    ("before", "after", "changes"),
    DIFF_CASES,
    ids=["value", "int-to-bool", "int-to-float", "key-renamed", "key-removed", "key-added-escaped",
         "list-item-escaped", "list-length", "type-change", "sorted-by-pointer", "equal-copies"],
)
def test_diff(before: Any, after: Any, changes: list[tuple[str, Any, Any]]) -> None:
    assert diff(before, after) == changes
    assert diff(before, after, prefix="/spec") == [("/spec" + p, old, new) for p, old, new in changes]


def _canonical(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True)


def _at(doc: Any, pointer: str) -> Any:
    found, value = get(doc, parse_pointer(pointer))
    return value if found else None


@given(st.dictionaries(_KEYS, _DOCS, max_size=4), st.dictionaries(_KEYS, _DOCS, max_size=4))
def test_diff_records_match_both_documents(before: dict[str, Any], after: dict[str, Any]) -> None:
    changes = diff(before, after)
    pointers = [pointer for pointer, _, _ in changes]
    assert pointers == sorted(set(pointers))
    for pointer, old, new in changes:
        assert (_at(before, pointer), _at(after, pointer)) == (old, new)
    # No record means no difference (JSON tells 1, 1.0 and true apart; key order does
    # not matter), and copies compare by value, not identity.
    assert (changes == []) == (_canonical(before) == _canonical(after))
    assert diff(before, copy.deepcopy(before)) == []
