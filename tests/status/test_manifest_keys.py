"""``manifest_keys`` gives, without writing or parsing YAML, the keys ``tree_keys``
reads back from the files ``plan_to_tree`` writes: a no-op apply takes the inventory
of unchanged manifest files from it (issue 11, item 7)."""

from __future__ import annotations

from typing import Any

import pytest

from gitfleet.status.layout import manifest_keys, plan_to_tree, tree_keys
from gitfleet.status.secrets import mask_plan
from status.plans import configmap, crd, custom, deployment, namespace, plan, secret


def cluster_role(name: str) -> dict[str, Any]:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}}


CASES: dict[str, dict[str, list[dict[str, Any]]]] = {
    "namespaced and cluster-scoped": {"m1": [namespace(), deployment(), configmap(k="v")], "m2": [namespace()]},
    "a Secret (masked on the branch)": {"m1": [secret(password="clear")]},
    # Names that YAML 1.1 reads as booleans or octal numbers must stay strings.
    "YAML 1.1 look-alikes": {"m1": [namespace("yes"), configmap("0644", ns="on"), cluster_role("no"),
                                    configmap("1e3", ns="null")]},
    "custom kinds": {"m1": [crd(), custom("w1"), custom("w2", ns="other")]},
    "several clusters": {f"c{i}": [configmap(f"cfg{i}"), deployment(f"web{i}", ns=f"ns{i}")] for i in range(4)},
    "nothing": {},
}


@pytest.mark.parametrize("clusters", CASES.values(), ids=CASES.keys())
def test_manifest_keys_are_what_tree_keys_reads_back(clusters: dict[str, list[dict[str, Any]]]) -> None:
    p = plan(clusters)
    tree = plan_to_tree(mask_plan(p))
    known = manifest_keys(p)
    assert set(known) == {path for path in tree if path.startswith("clusters/")}
    grouped: dict[str, set[str]] = {}
    for path, k in known.items():
        grouped.setdefault(path.split("/")[1], set()).add(k)
    assert grouped == tree_keys(tree)
    # Given as known, no file is parsed, and the answer is the same.
    unreadable = {path: b"not: [yaml" if path in known else data for path, data in tree.items()}
    assert tree_keys(unreadable, known=known) == tree_keys(tree)
