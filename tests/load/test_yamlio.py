"""YAML in and out: YAML 1.1 as kubectl reads it, positions, duplicate keys, caching,
and the PyYAML reader/writer agreeing with the round-trip parser."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitfleet.errors import PositionedError
from gitfleet.load.yamlio import dump_all, dump_yaml, load_plain, parse_documents

# Plain scalar text -> what Kubernetes' YAML library (go.yaml.in/yaml/v2, YAML 1.1) makes of it.
YAML11 = [
    ("on", True), ("On", True), ("ON", True), ("off", False), ("yes", True), ("Yes", True),
    ("YES", True), ("no", False), ("NO", False), ("y", True), ("Y", True), ("n", False), ("N", False),
    ("true", True), ("False", False), ("0644", 420), ("0x1F", 31), ("0b101", 5), ("1_000", 1000),
    ("08", 8.0), ("0o17", 15), ("22:22", "22:22"), ("1:20:30", "1:20:30"), ("1.5", 1.5), ("1e3", 1000.0), ("0.1e3", 100.0), ("~", None),
    ("null", None), ("2020-01-01", "2020-01-01"), ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("=", "="), ("'on'", "on"), ('"0644"', "0644"), ("hello", "hello"), ("-1", -1),
]


@pytest.mark.parametrize(("text", "expected"), YAML11, ids=[t for t, _ in YAML11])
def test_yaml_1_1_scalars_like_kubectl(text: str, expected: object) -> None:
    doc = parse_documents(f"v: {text}\n", "x.yaml")[0].data
    assert doc["v"] == expected
    assert type(doc["v"]) is type(expected)


@pytest.mark.parametrize(("text", "expected"), YAML11, ids=[t for t, _ in YAML11])
def test_load_plain_agrees_with_round_trip_parser(text: str, expected: object) -> None:
    plain = load_plain(f"v: {text}\n")[0]["v"]
    assert plain == expected
    assert type(plain) is type(expected)


def test_non_string_keys_become_their_text() -> None:
    text = "on: a\n2: b\nnull: c\n"
    assert parse_documents(text, "k.yaml")[0].data == {"true": "a", "2": "b", "null": "c"}
    assert load_plain(text) == [{"true": "a", "2": "b", "null": "c"}]


def test_converted_data_is_plain_python() -> None:
    doc = parse_documents("a: {b: [1, 2.5, x, 0644, on]}\n", "p.yaml")[0].data

    def types(value: object) -> set[type]:
        if isinstance(value, dict):
            return {dict}.union(*(types(v) for v in value.values()))
        if isinstance(value, list):
            return {list}.union(*(types(v) for v in value))
        return {type(value)}

    assert types(doc) == {dict, list, int, float, str, bool}


MULTI = """\
# comment
a: 1
---
---
b:
  c:
    - d: 1
    - e: [x, z]
"""


def test_multi_document_skips_empty_documents() -> None:
    docs = parse_documents(MULTI, "m.yaml")
    assert [d.data for d in docs] == [{"a": 1}, {"b": {"c": [{"d": 1}, {"e": ["x", "z"]}]}}]
    assert [d.index for d in docs] == [0, 1]


def test_every_document_of_a_stream_is_yaml_1_1() -> None:
    # ruamel.yaml, used before, read every document after the first as YAML 1.2.
    docs = parse_documents("a: on\n---\nb: on\n---\nc: 0644\n", "s.yaml")
    assert [d.data for d in docs] == [{"a": True}, {"b": True}, {"c": 420}]
    # ... and parsing a stream must leave the resolver as it was.
    assert parse_documents("after: yes\nk: 08\nm: 0o17\n", "t.yaml")[0].data == {
        "after": True, "k": 8.0, "m": 15}


@pytest.mark.parametrize(
    ("doc", "path", "expected"),
    [
        (0, (), (2, 1)),
        (0, ("a",), (2, 1)),
        (1, ("b",), (5, 1)),
        (1, ("b", "c"), (6, 3)),
        (1, ("b", "c", 1), (8, 7)),
        (1, ("b", "c", 1, "e"), (8, 7)),
        (1, ("b", "c", 1, "e", 1), (8, 14)),
        (1, ("b", "missing", "deeper"), (5, 1)),  # deepest existing part
        (1, ("b", "c", 9), (6, 3)),
    ],
    ids=["doc-start", "key", "second-doc", "nested", "list-item", "key-in-item", "flow-item", "missing",
         "bad-index"],
)
def test_locator_positions_are_exact(doc: int, path: tuple[str | int, ...], expected: tuple[int, int]) -> None:
    assert parse_documents(MULTI, "m.yaml")[doc].locator.locate(path) == expected


def test_locator_finds_keys_by_their_converted_text() -> None:
    doc = parse_documents("x: 1\non: 2\n", "k.yaml")[0]
    assert doc.locator.locate(("true",)) == (2, 1)


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ("a: 1\nb:\n  c: 1\n  c: 2\n", 4, 3, "duplicate key 'c'"),
        ("a: [1\nb: 2\n", 2, 2, "invalid YAML"),
        ("a: b: c\n", 1, 5, "mapping values are not allowed"),
        ("a: !Ref x\n", 1, 4, "unsupported YAML tag"),
        ("metadata:\n  {{ name }}: x\n", 2, 3, "only files ending in .j2"),
        ("ok: 1\n---\nx: [\n", 4, 1, "invalid YAML"),
    ],
    ids=["duplicate-key", "unclosed-flow", "nested-mapping", "custom-tag", "unrendered-jinja", "second-doc"],
)
def test_parse_errors_carry_exact_positions(text: str, line: int, col: int, words: str) -> None:
    with pytest.raises(PositionedError) as info:
        parse_documents(text, "bad.yaml")
    assert (info.value.path, info.value.line, info.value.col) == ("bad.yaml", line, col)
    assert words in info.value.message


def test_merge_keys_and_shared_aliases() -> None:
    doc = parse_documents("base: &b {a: 1, c: 3}\nx:\n  <<: *b\n  a: 2\nw: *b\n", "m.yaml")[0]
    assert doc.data == {"base": {"a": 1, "c": 3}, "x": {"a": 2, "c": 3}, "w": {"a": 1, "c": 3}}
    assert doc.locator.locate(("x", "a")) == (4, 3)  # the mapping's own key wins


def test_columns_count_characters_not_bytes() -> None:
    doc = parse_documents("é: [1, {ü: x, z: y}]\n", "u.yaml")[0]
    assert doc.locator.locate(("é", 1, "z")) == (1, 15)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &x [*x]\n", "refers to the node that contains it"),
        ("a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8)),
         "aliases expand this document to more than 1000000 values"),
    ],
    ids=["recursive-alias", "billion-laughs"],
)
def test_alias_abuse_is_refused(text: str, words: str) -> None:
    with pytest.raises(PositionedError, match=words):
        parse_documents(text, "evil.yaml")


def test_not_utf8_is_an_error() -> None:
    with pytest.raises(PositionedError, match="not UTF-8"):
        parse_documents(b"a: \xff\n", "bin.yaml")


def test_cache_returns_the_same_parse_for_the_same_bytes() -> None:
    first = parse_documents(b"cached: 1\n", "a.yaml")
    again = parse_documents(b"cached: 1\n", "elsewhere/b.yaml")
    assert first is again


def test_cached_failure_names_the_path_of_each_caller() -> None:
    for path in ("one.yaml", "two.yaml"):
        with pytest.raises(PositionedError) as info:
            parse_documents(b"x: [\n", path)
        assert info.value.path == path


@pytest.mark.parametrize("text", ["y", "n", "on", "NO", "1e3", "0644", "2020-01-01", "=", "~", "12", "1.5",
                                  "true", "0x10", "1:20", ""])
def test_dump_quotes_strings_that_would_read_back_as_something_else(text: str) -> None:
    out = dump_yaml({"v": text})
    assert load_plain(out) == [{"v": text}]
    assert parse_documents(out, "o.yaml")[0].data == {"v": text}


def test_dump_keeps_key_order_unicode_and_long_lines() -> None:
    long = "word " * 100 + "end"
    out = dump_yaml({"z": 1, "a": "é", "long": long})
    assert out.splitlines()[:2] == ["z: 1", "a: é"]
    assert len(out.splitlines()) == 3


def test_dump_all_separates_documents() -> None:
    out = dump_all([{"a": 1}, {"b": 2}])
    assert out.count("---") == 2
    assert load_plain(out) == [{"a": 1}, {"b": 2}]


json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_like, max_size=5))
def test_dump_then_load_round_trips(obj: dict[str, object]) -> None:
    out = dump_yaml(obj)
    assert load_plain(out) == ([obj] if obj else [{}])
    assert parse_documents(out, "rt.yaml")[0].data == obj


def test_load_plain_raises_yaml_errors() -> None:
    with pytest.raises(yaml.YAMLError):
        load_plain("a: [\n")
