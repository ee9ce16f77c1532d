"""The status-branch layout: a Plan becomes files, and the files read back."""

from __future__ import annotations

from typing import Any

import pytest

from gitfleet.status.layout import (
    DEFAULT_STATUS_BRANCH,
    LayoutError,
    manifest_path,
    plan_to_tree,
    status_branch_name,
    tree_to_manifests,
    tree_to_placements,
)
from status.plans import configmap, crd, custom, deployment, key, namespace, plan, secret


@pytest.mark.parametrize(
    ("manifest", "path"),
    [
        (deployment(), "clusters/m1/shop/apps.Deployment.web.yaml"),
        (namespace(), "clusters/m1/_cluster/core.Namespace.shop.yaml"),
        (configmap(), "clusters/m1/shop/core.ConfigMap.cfg.yaml"),
        (crd(), "clusters/m1/_cluster/apiextensions.k8s.io.CustomResourceDefinition.widgets.example.com.yaml"),
        (custom("w1"), "clusters/m1/shop/example.com.Widget.w1.yaml"),
    ],
    ids=["namespaced-group", "cluster-scoped-core", "namespaced-core", "crd", "custom-resource"],
)
def test_manifest_path(manifest: dict[str, Any], path: str) -> None:
    assert manifest_path("m1", manifest) == path


def test_round_trip() -> None:
    p = plan({"m1": [deployment(), namespace(), configmap(a="1")], "m2": [deployment(replicas=3), crd()]})
    files = plan_to_tree(p)
    assert set(files) == {"placements.yaml"} | {manifest_path(c, m) for c in p.manifests
                                                for m in p.manifests[c].values()}
    assert tree_to_manifests(files) == {c: dict(ms) for c, ms in p.manifests.items()}
    assert tree_to_placements(files) == p.placements


def test_secret_masked_in_tree() -> None:
    files = plan_to_tree(plan({"m1": [secret(password="hunter2-clear")]}))
    text = b"".join(files.values())
    assert b"hunter2-clear" not in text
    assert b"sha256:" in files["clusters/m1/shop/core.Secret.db.yaml"]


def test_same_object_under_two_versions_is_an_error() -> None:
    a = custom("w1")
    b = {**custom("w1"), "apiVersion": "example.com/v2"}
    with pytest.raises(LayoutError, match="same object under two apiVersions"):
        plan_to_tree(plan({"m1": [a, b]}))


def test_keys_read_back_from_folder_namespace() -> None:
    files = plan_to_tree(plan({"m1": [deployment(ns="prod")]}))
    assert list(tree_to_manifests(files)["m1"]) == [key(deployment(ns="prod"))]


@pytest.mark.parametrize(
    ("text", "branch"),
    [
        (None, DEFAULT_STATUS_BRANCH),
        (b"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nspec: {statusBranch: fleet/rendered}\n", "fleet/rendered"),
        (b"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nspec: {}\n", DEFAULT_STATUS_BRANCH),
        (b"kind: Fleet\nspec: [unclosed\n", DEFAULT_STATUS_BRANCH),
    ],
    ids=["absent", "configured", "not-set", "unreadable"],
)
def test_status_branch_name(text: bytes | None, branch: str) -> None:
    assert status_branch_name(text) == branch
