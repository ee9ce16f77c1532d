"""plaintext overrider: RFC 6902 on the whole object (KARMADA-SEMANTICS §4.2)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ovhelpers import container, deployment

from gitfleet.model import PatchOp
from gitfleet.override import plaintext
from gitfleet.override._doc import OverriderFailure
from gitfleet.override.plaintext import apply_plaintext


def op(kind: str, path: str, value: Any = None) -> PatchOp:
    return PatchOp(kind, path, value, kind != "remove")


BASE = deployment(container("web", "nginx"), labels={"app": "web"})

CASES = [
    ("replace scalar", (op("replace", "/spec/replicas", 1),), "/spec/replicas", 1),
    ("add replaces existing member", (op("add", "/spec/replicas", 7),), "/spec/replicas", 7),
    ("add new member", (op("add", "/metadata/annotations", {"a": "b"}),), "/metadata/annotations", {"a": "b"}),
    ("add then remove", (op("add", "/metadata/annotations", {"foo": "bar"}), op("remove", "/metadata/annotations/foo")),
     "/metadata/annotations", {}),
    ("dash appends", (op("add", "/spec/template/spec/containers/-", {"name": "side"}),),
     "/spec/template/spec/containers/1", {"name": "side"}),
    ("index inserts", (op("add", "/spec/template/spec/containers/0", {"name": "first"}),),
     "/spec/template/spec/containers/1/name", "web"),
    ("replace list item", (op("replace", "/spec/template/spec/containers/0/image", "dc-1.registry.io/nginx"),),
     "/spec/template/spec/containers/0/image", "dc-1.registry.io/nginx"),
    ("escaped key", (op("add", "/metadata/labels/example.com~1tier", "gold"),), "/metadata/labels",
     {"app": "web", "example.com/tier": "gold"}),
    ("value without value is null", (PatchOp("add", "/spec/paused"),), "/spec/paused", None),
    ("remove member", (op("remove", "/spec/replicas"),), "/spec", {"template": BASE["spec"]["template"]}),
]


def _at(doc: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


@pytest.mark.parametrize(("ops", "pointer", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plaintext(ops: tuple[PatchOp, ...], pointer: str, expected: Any) -> None:
    before = copy.deepcopy(BASE)
    out = apply_plaintext(BASE, ops)
    assert _at(out, pointer) == expected
    assert before == BASE


def test_replace_the_whole_document() -> None:
    out = apply_plaintext(BASE, (op("replace", "", {"kind": "ConfigMap"}),))
    assert out == {"kind": "ConfigMap"}


def test_added_values_are_copies() -> None:
    value = {"a": ["b"]}
    ops = (op("add", "/metadata/annotations", value),)
    out = apply_plaintext(BASE, ops)
    out["metadata"]["annotations"]["a"].append("c")
    assert value == {"a": ["b"]}


ERRORS = [
    ("add to missing parent", op("add", "/metadata/annotations/foo", "bar"),
     "cannot add /metadata/annotations/foo: /metadata/annotations does not exist"),
    ("add deep missing parent", op("add", "/status/a/b", 1), "/status does not exist"),
    ("remove missing", op("remove", "/spec/paused"), "cannot remove /spec/paused: it does not exist"),
    ("replace missing", op("replace", "/spec/paused", True), "cannot replace /spec/paused: it does not exist"),
    ("add past end of list", op("add", "/spec/template/spec/containers/5", {}), "cannot add"),
    ("parent is a scalar", op("add", "/spec/replicas/x", 1), "parent is not an object or list"),
    ("not a pointer", op("add", "spec/replicas", 1), "must start with '/'"),
    ("unsupported operator", op("move", "/spec/replicas", 1), "unsupported operator 'move'"),
]


@pytest.mark.parametrize(("patch", "message"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors(patch: PatchOp, message: str) -> None:
    before = copy.deepcopy(BASE)
    with pytest.raises(OverriderFailure, match=message):
        apply_plaintext(BASE, (op("replace", "/spec/replicas", 9), patch))
    assert before == BASE


PATHS = ["/spec/replicas", "/metadata/labels/app", "/metadata/labels/-", "/metadata/labels/a~1b", "/metadata/labels/a~0",
         "/metadata/labels/a~2b", "/metadata/labels/~", "/metadata/labels/é", "/metadata/annotations",
         "/spec/template/spec/containers/0/image", "/spec/template/spec/containers/-", "/spec/template/spec/containers/٣",
         "/spec/template/spec/containers/0", "/spec/template/spec/containers/01/name", "/spec/template/spec/containers/٠/x"]


def _outcome(ops: tuple[PatchOp, ...]) -> Any:
    try:
        return apply_plaintext(BASE, ops)
    except OverriderFailure as exc:
        return exc.message


@settings(max_examples=200, deadline=None)
@given(ops=st.lists(st.builds(op, st.sampled_from(["add", "remove", "replace"]), st.sampled_from(PATHS),
                              st.sampled_from([1, "x", {"k": "v"}, None])), min_size=1, max_size=3))
@example(ops=[op("add", "/metadata/labels/-", 1), op("replace", "/metadata/labels/-", 2)])
def test_members_set_directly_as_the_library_would(ops: list[PatchOp]) -> None:
    direct = _outcome(tuple(ops))
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(plaintext, "_plain_member", lambda op, last: False)  # always the library
        assert _outcome(tuple(ops)) == direct
