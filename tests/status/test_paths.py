"""The one rule that turns a resource key into a status-tree path
(gitfleet.status.layout): whatever the input, a path is made of plain names below
its folder, or it is refused."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.model.plan import Plan
from gitfleet.status.layout import (
    LayoutError,
    UnsafePathError,
    check_relative_path,
    manifest_path,
    path_component,
    plan_to_tree,
    status_path,
)


def manifest(api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, object]:
    meta: dict[str, object] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


@pytest.mark.parametrize(
    ("cluster", "obj", "path"),
    [
        ("m1", manifest("v1", "ConfigMap", "cfg", "shop"), "clusters/m1/shop/core.ConfigMap.cfg.yaml"),
        ("m1", manifest("apps/v1", "Deployment", "web", "shop"), "clusters/m1/shop/apps.Deployment.web.yaml"),
        ("m1", manifest("v1", "Namespace", "shop"), "clusters/m1/_cluster/core.Namespace.shop.yaml"),
        ("m1", manifest("rbac.authorization.k8s.io/v1", "ClusterRole", "system:x"),
         "clusters/m1/_cluster/rbac.authorization.k8s.io.ClusterRole.system:x.yaml"),
    ],
)
def test_manifest_paths(cluster: str, obj: dict[str, object], path: str) -> None:
    assert manifest_path(cluster, obj) == path


@pytest.mark.parametrize(
    ("cluster", "obj"),
    [
        ("m1", manifest("v1", "ConfigMap", "x/../../../../PWNED", "shop")),
        ("m1", manifest("v1", "ConfigMap", "..", "shop")),
        ("m1", manifest("v1", "ConfigMap", "", "shop")),
        ("m1", manifest("v1", "ConfigMap", "a\nb", "shop")),
        ("m1", manifest("v1", "ConfigMap", "a\x00b", "shop")),
        ("m1", manifest("v1", "ConfigMap", "a\\b", "shop")),
        ("m1", manifest("v1", "ConfigMap", "ok", "..")),
        ("m1", manifest("v1", "ConfigMap", "ok", "a/b")),
        ("m1", manifest("../../x/v1", "ConfigMap", "ok", "shop")),
        ("m1", manifest("v1", "../Kind", "ok", "shop")),
        ("..", manifest("v1", "ConfigMap", "ok", "shop")),
        ("a/b", manifest("v1", "ConfigMap", "ok", "shop")),
        ("", manifest("v1", "ConfigMap", "ok", "shop")),
    ],
)
def test_unsafe_keys_are_refused(cluster: str, obj: dict[str, object]) -> None:
    with pytest.raises(UnsafePathError):
        manifest_path(cluster, obj)


@pytest.mark.parametrize("cluster", ["..", "a/b", "", ".git", "x\n"])
def test_status_path_refuses_unsafe_clusters(cluster: str) -> None:
    with pytest.raises(UnsafePathError):
        status_path(cluster)


@pytest.mark.parametrize("path", ["a//b", "a/./b", "a/../b", "/abs", "a/", ".git/config", "a/.GIT/x", "a\tb"])
def test_unsafe_tree_paths_are_refused(path: str) -> None:
    with pytest.raises(UnsafePathError):
        check_relative_path(path)


def test_two_keys_of_one_file_are_refused() -> None:
    """The duplicate check compares final paths: two apiVersions of one group are one file."""
    plan = Plan(placements=(), manifests={"m1": {
        "x.example.com/v1/Widget/shop/w": manifest("x.example.com/v1", "Widget", "w", "shop"),
        "x.example.com/v2/Widget/shop/w": manifest("x.example.com/v2", "Widget", "w", "shop"),
    }})
    with pytest.raises(LayoutError, match="same object"):
        plan_to_tree(plan)


@given(cluster=st.text(max_size=20), namespace=st.none() | st.text(max_size=20), api_version=st.text(max_size=20),
       kind=st.text(max_size=20), name=st.text(max_size=20))
def test_a_manifest_path_stays_in_its_folder(cluster: str, namespace: str | None, api_version: str, kind: str,
                                             name: str) -> None:
    obj = manifest(api_version, kind, name, namespace)
    try:
        path = manifest_path(cluster, obj)
    except UnsafePathError:
        return
    parts = path.split("/")
    assert posixpath.normpath(path) == path and len(parts) == 4
    assert parts[:2] == ["clusters", cluster] and all(p not in ("", ".", "..") for p in parts)
    assert not any(c in path for c in "\\\x00\n\r")


@given(st.text())
def test_a_component_is_one_name_or_refused(value: str) -> None:
    try:
        got = path_component(value)
    except UnsafePathError:
        return
    assert posixpath.normpath(posixpath.join("base", got)) == f"base/{got}"
    assert posixpath.dirname(posixpath.join("base", got)) == "base"
