"""Secrets validated as the API server does, List objects expanded into their items, and
overrides of identity refused: one broken document per case, the error at the line
marked ``# <`` and never showing the value."""

from __future__ import annotations

import textwrap

import pytest

from gitfleet.load import load_fleet, validate_files
from gitfleet.load.identity_overrides import touched_identity

CLEAR = "Sup3rS3cret"
B64 = "U3VwM3JTM2NyZXQ="  # CLEAR
INVENTORY = {"clusters/m.yaml": b"apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: m}\n"}
SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\n"
OP = """apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: o}
spec:
  resourceSelectors: [{apiVersion: v1, kind: Secret}]
  overrideRules:
  - overriders:
"""

CASES: list[tuple[str, str, int, str]] = [
    ("data-list", SECRET + f"data: [{B64}]  # <\n", 1, "data must be a map of keys to base64 strings, not a list"),
    ("data-string", SECRET + f"data: {B64}  # <\n", 1, "not a string"),
    ("data-null", SECRET + "data:  # <\n", 1, "not null"),
    ("data-not-base64", SECRET + f"data:\n  k: {CLEAR}  # <\n", 3, "not valid base64"),
    ("data-unpadded", SECRET + "data:\n  k: U3VwM3JTM2NyZXQ  # <\n", 3, "not valid base64"),
    ("data-map-value", SECRET + f"data:\n  k: {{x: {B64}}}  # <\n", 3, "not a map or a list"),
    ("data-key-syntax", SECRET + f"data:\n  {CLEAR}/x: {B64}  # <\n", 3, "key of Secret data must consist of"),
    ("data-key-alone", SECRET + f"data: {{{CLEAR}: null}}  # <\n", 8, "not null"),
    ("stringData-list", SECRET + f"stringData: [{CLEAR}]  # <\n", 1, "stringData must be a map of keys to strings"),
    ("stringData-number", SECRET + "stringData:\n  pin: 1234  # <\n", 3, "not a number; quote it"),
    ("stringData-bool", SECRET + "stringData:\n  on: yes  # <\n", 3, "not a boolean"),
    ("type", SECRET + f"type: {{x: {CLEAR}}}  # <\n", 1, "type must be a string"),
    ("lower-case-kind", (f"apiVersion: v1\nkind: secret  # <\nmetadata: {{name: s, namespace: shop}}\n"
     f"stringData: {{k: {CLEAR}}}\n"), 1, "did you mean Secret?"),
    ("plural-kind", (f"apiVersion: v1\nkind: Secrets  # <\nmetadata: {{name: s, namespace: shop}}\n"
     f"stringData: {{k: {CLEAR}}}\n"), 1, "did you mean Secret?"),
    ("list-item", ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n"
     f"  metadata: {{name: s, namespace: shop}}\n  data: [{B64}]  # <\n"), 3, "not a list"),
    ("list-item-not-a-map", f"apiVersion: v1\nkind: List\nitems:\n- {CLEAR}  # <\n", 3, "not a mapping"),
    ("override-kind", OP + "      plaintext:\n      - {path: /kind, operator: replace, value: ConfigMap}  # <\n",
     10, "plaintext may not change kind"),
    ("override-namespace", OP + "      plaintext:\n      - {path: /metadata/namespace, operator: add, value: x}  # <\n",
     10, "may not change metadata.namespace"),
    ("override-whole-object", OP + "      plaintext:\n      - {path: '', operator: replace, value: {}}  # <\n",
     10, "may not change the whole object"),
    ("override-metadata", OP + "      plaintext:\n      - {path: /metadata, operator: replace, value: {}}  # <\n",
     10, "may not change metadata"),
    ("field-overrider-name", OP + "      fieldOverrider:\n      - fieldPath: /metadata/name  # <\n"
     "        yaml: [{subPath: /a, operator: add, value: b}]\n", 9, "fieldOverrider may not change metadata.name"),
    ("image-overrider-kind", OP + "      imageOverrider:\n      - component: Tag\n        operator: replace\n"
     "        value: x\n        predicate: {path: /apiVersion}  # <\n", 21,
     "imageOverrider may not change apiVersion"),
]


@pytest.mark.parametrize(("doc", "col", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_error_at_its_place_without_the_value(doc: str, col: int, words: str) -> None:
    text = textwrap.dedent(doc)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "# <" in ln)
    found = [p for p in validate_files({**INVENTORY, "doc.yaml": text.encode()}) if p.severity == "error"]
    assert [(p.line, p.col) for p in found] == [(line, col)], [str(p) for p in found]
    assert words in found[0].message
    assert CLEAR not in str(found[0]) and B64 not in str(found[0])


@pytest.mark.parametrize(
    "doc",
    [
        SECRET + f"data: {{k: {B64}, k2: \"{B64[:8]}\\n{B64[8:]}\"}}\nstringData: {{a: b, c: ''}}\ntype: Opaque\n",
        SECRET + "data: {}\n",
        f"apiVersion: example.com/v1\nkind: Secret\nmetadata: {{name: s, namespace: shop}}\ndata: [{CLEAR}]\n",
        OP + "      plaintext:\n      - {path: /metadata/labels, operator: add, value: {a: b}}\n"
             "      - {path: /stringData/k, operator: replace, value: x}\n",
    ],
    ids=["well-formed", "empty", "custom-group-not-validated", "override-of-other-fields"],
)
def test_valid(doc: str) -> None:
    errors = [p for p in validate_files({**INVENTORY, "doc.yaml": doc.encode()}) if p.severity == "error"]
    assert errors == []


def test_list_items_are_resources_with_their_own_positions() -> None:
    doc = ("apiVersion: v1\nkind: List\nitems:\n"
           "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, namespace: shop}\n"
           "- apiVersion: v1\n  kind: List\n  items:\n"
           "  - apiVersion: v1\n    kind: Secret\n    metadata: {name: b, namespace: shop}\n")
    fleet = load_fleet({**INVENTORY, "doc.yaml": doc.encode()})
    found = {t.key: (t.pos.line, t.pos.col) for t in fleet.templates}
    assert found == {"v1/ConfigMap/shop/a": (4, 3), "v1/Secret/shop/b": (10, 5)}


@pytest.mark.parametrize(
    ("pointer", "field"),
    [("", "the whole object"), ("/kind", "kind"), ("/apiVersion", "apiVersion"), ("/metadata", "metadata"),
     ("/metadata/name", "metadata.name"), ("/metadata/namespace", "metadata.namespace"), ("/kind/0", "kind"),
     ("/metadata/labels", None), ("/metadata/name~1x", None), ("/spec/kind", None), ("kind", None)],
)
def test_touched_identity(pointer: str, field: str | None) -> None:
    assert touched_identity(pointer) == field
