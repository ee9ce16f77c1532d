"""The status-tree helpers the reconciler uses to write and read only what changed:
``tree_changes`` (what to commit), ``tree_keys`` (the inventory, without the manifests)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.status.layout import (
    LayoutError,
    is_rendered_path,
    manifest_path,
    manifest_yaml,
    tree_changes,
    tree_keys,
    tree_to_manifests,
)

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"}, "data": {"a": "1"}}
DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}
NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}


def tree(*items: tuple[str, dict[str, object]]) -> dict[str, bytes]:
    return {manifest_path(cluster, m): manifest_yaml(m).encode() for cluster, m in items}


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("placements.yaml", True),
        ("clusters/a/shop/core.ConfigMap.cfg.yaml", True),
        ("status/a.yaml", False),
        ("README.md", False),
        ("clustersx/a.yaml", False),
    ],
    ids=["placements", "manifest", "status-file", "stray", "prefix-only"],
)
def test_is_rendered_path(path: str, rendered: bool) -> None:
    assert is_rendered_path(path) is rendered


CHANGED_CM = {**CM, "data": {"a": "2"}}
CASES = [
    ("same", tree(("a", CM)), tree(("a", CM)), {}),
    ("added", tree(("a", CM)), tree(("a", CM), ("b", CM)), tree(("b", CM))),
    ("removed", tree(("a", CM), ("b", CM)), tree(("a", CM)), dict.fromkeys(tree(("b", CM)))),
    ("changed", tree(("a", CM)), tree(("a", CHANGED_CM)), tree(("a", CHANGED_CM))),
    ("status-files-left-alone", {**tree(("a", CM)), "status/a.yaml": b"x\n", "NOTES": b"n\n"},
     tree(("a", CM)), {}),
    ("placements", {"placements.yaml": b"[]\n"}, {"placements.yaml": b"- a\n"}, {"placements.yaml": b"- a\n"}),
]


@pytest.mark.parametrize(("old", "new", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_tree_changes(old: dict[str, bytes], new: dict[str, bytes], expected: dict[str, bytes | None]) -> None:
    assert tree_changes(old, new) == expected


files_strategy = st.dictionaries(
    st.sampled_from(["placements.yaml", "clusters/a/x.yaml", "clusters/b/y.yaml", "status/a.yaml"]),
    st.binary(max_size=3),
)


@given(files_strategy, files_strategy)
def test_applying_the_changes_gives_the_new_render(old: dict[str, bytes], new: dict[str, bytes]) -> None:
    new = {p: b for p, b in new.items() if is_rendered_path(p)}
    patched = {p: b for p, b in old.items() if is_rendered_path(p)}
    for path, data in tree_changes(old, new).items():
        if data is None:
            del patched[path]
        else:
            patched[path] = data
    assert patched == new


def test_tree_keys_equal_the_keys_of_the_manifests() -> None:
    files = {**tree(("a", CM), ("a", DEPLOY), ("a", NS), ("b", CM)), "status/a.yaml": b"inventory: []\n",
             "placements.yaml": b"[]\n"}
    expected = {c: set(m) for c, m in tree_to_manifests(files).items()}
    assert tree_keys(files) == expected
    assert tree_keys(files, ["b"]) == {"b": expected["b"]}
    assert tree_keys(files, []) == {}


def test_tree_keys_reports_a_damaged_file() -> None:
    files = {"clusters/a/shop/core.ConfigMap.bad.yaml": b"a: 1\n---\nb: 2\n"}
    with pytest.raises(LayoutError, match="core.ConfigMap.bad.yaml"):
        tree_keys(files)
