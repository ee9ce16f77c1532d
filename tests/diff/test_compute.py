"""diff_plans: what changes per cluster and where resources move."""

from __future__ import annotations

import pytest
from status.plans import deployment, namespace, plan

from diff.cases import CASES, WEB
from gitfleet.diff import diff_plans
from gitfleet.diff.compute import placement_changes
from gitfleet.model.plan import ClusterTarget, ResourcePlacement


def run(name: str, fraction: float = 0.3):  # type: ignore[no-untyped-def]
    base, head = CASES[name]
    return diff_plans(base, head, fraction)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("placement-move", {"m1": ([WEB], [], []), "m3": ([], [WEB], [])}),
        ("replicas", {"m2": ([], [], [WEB])}),
        ("override-change", {"m1": ([], [], [WEB])}),
        ("secret-change", {"m1": ([], [], ["v1/Secret/shop/db"])}),
        ("namespace-removed", {"m1": (["apps/v1/Deployment/shop/web", "v1/ConfigMap/shop/cfg",
                                       "v1/Namespace/_/shop"], [], [])}),
        ("unchanged", {}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_object_changes(case: str, expected: dict[str, tuple[list[str], list[str], list[str]]]) -> None:
    d = run(case)
    got = {c.cluster: ([x.key for x in c.removed], [x.key for x in c.added], [x.key for x in c.changed])
           for c in d.clusters}
    assert got == expected
    assert d.has_changes == bool(expected)


def _rp(clusters: list[tuple[str, int | None]], policy: str | None = "PP/a", reason: str | None = None
        ) -> ResourcePlacement:
    return ResourcePlacement(WEB, policy, tuple(ClusterTarget(n, r) for n, r in clusters), reason)


@pytest.mark.parametrize(
    ("base", "head", "expected"),
    [
        (_rp([("m1", 2), ("m2", 2)]), _rp([("m2", 2), ("m3", 2)]), [("moved", "moved from m1 to m3")]),
        (_rp([("m1", 2)]), _rp([("m1", 2), ("m2", 2)]), [("moved", "now also on m2")]),
        (_rp([("m1", 2), ("m2", 2)]), _rp([("m1", 2)]), [("moved", "no longer on m2")]),
        (_rp([("m1", 4), ("m2", 4)]), _rp([("m1", 4), ("m2", 6)]), [("replicas", "replicas 4 → 6 on m2")]),
        (_rp([("m1", 4)]), _rp([], reason="0/3 clusters are available"),
         [("unplaced", "now unplaced (was on m1 (4)): 0/3 clusters are available")]),
        (_rp([], policy=None), _rp([("m1", None)]), [("policy", "policy none → PP/a"), ("placed", "now placed on m1")]),
        (None, _rp([("m1", 3)]), [("added", "new, placed on m1 (3)")]),
        (_rp([("m1", 3)]), None, [("removed", "removed from the repo (was on m1 (3))")]),
        (_rp([("m1", 3)]), _rp([("m1", 3)]), []),
    ],
    ids=["moved", "also-on", "no-longer-on", "replicas", "unplaced", "placed", "new", "gone", "same"],
)
def test_placement_changes(base: ResourcePlacement | None, head: ResourcePlacement | None,
                           expected: list[tuple[str, str]]) -> None:
    assert [(c.type, c.text) for c in placement_changes(base, head)] == expected


def test_removed_namespace_lists_what_goes_with_it() -> None:
    (c,) = run("namespace-removed").clusters
    (ns,) = [x for x in c.removed if x.key == "v1/Namespace/_/shop"]
    assert ns.goes_with == ("apps/v1/Deployment/shop/web", "v1/ConfigMap/shop/cfg")


def test_removed_crd_lists_its_custom_resources_even_when_kept_in_head() -> None:
    (c,) = run("crd-removed").clusters
    (removed,) = c.removed
    assert removed.goes_with == ("example.com/v1/Widget/shop/w1", "example.com/v1/Widget/shop/w2")


@pytest.mark.parametrize(
    ("fraction", "guard"),
    [(0.3, True), (0.75, False), (0.74, True)],
    ids=["below", "exactly-at-limit", "just-above"],
)
def test_prune_guard(fraction: float, guard: bool) -> None:
    # namespace-removed deletes 3 of 4 objects (0.75) on m1.
    (c,) = run("namespace-removed", fraction).clusters
    assert c.prune_fraction == 0.75
    assert c.prune_guard is guard
    assert run("namespace-removed", fraction).prune_guard_clusters == (("m1",) if guard else ())


def test_deletions_come_first() -> None:
    d = diff_plans(plan({"m1": [namespace("a"), deployment()]}),
                   plan({"m1": [namespace("b"), deployment(replicas=5)]}), 1.0)
    assert [x.action for x in d.clusters[0].changes] == ["removed", "added", "changed"]


def test_head_failures_and_cluster_states() -> None:
    base, head = CASES["head-failure"]
    d = diff_plans(base, head, 0.3, base_clusters=["m1"], head_clusters=["m1", "m2"])
    (c,) = d.clusters
    assert (c.cluster, c.state, c.failures) == ("m2", "new cluster",
                                                 (f"{WEB}: imageOverrider: no container image at /spec/x",))


def test_secret_values_never_in_diff() -> None:
    d = run("secret-change")
    text = repr(d) + d.clusters[0].changed[0].diff
    assert "old-clear-value" not in text and "new-clear-value" not in text
    assert "sha256:" in d.clusters[0].changed[0].diff


def test_diff_shows_the_status_branch_digest() -> None:
    from gitfleet.status.layout import plan_to_tree

    _, head = CASES["secret-change"]
    stored = plan_to_tree(head)["clusters/m1/shop/core.Secret.db.yaml"].decode()
    (line,) = [x for x in stored.splitlines() if "password:" in x]
    assert f"+{line}\n" in run("secret-change").clusters[0].changed[0].diff
