"""The planner glues the stages together: tested on fleets built from the model directly,
so these tests do not depend on the loader."""

from __future__ import annotations

from typing import Any

import pytest

from gitfleet.errors import InputError
from gitfleet.model import (
    Cluster,
    ClusterAffinity,
    Fleet,
    FleetSettings,
    ImageOverrider,
    OverridePolicy,
    Overriders,
    OverrideRule,
    Placement,
    PropagationPolicy,
    ReplicaScheduling,
    ResourceId,
    ResourceSelector,
    StaticWeight,
    Taint,
    Template,
)
from gitfleet.plan.build import build_plan

CLUSTERS = (
    Cluster("c1", labels={"env": "prod"}),
    Cluster("c2", labels={"env": "prod"}),
    Cluster("c3", labels={"env": "dev"}, taints=(Taint("dedicated", "gpu", "NoSchedule"),)),
)


def template(obj: dict[str, Any]) -> Template:
    return Template(ResourceId.of(obj), obj)


def deployment(name: str, replicas: int = 6, **pod: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": name}},
        "spec": {"replicas": replicas, "template": {"spec": {
            "containers": [{"name": "main", "image": "nginx:1.25"}], **pod}}},
    }


def configmap(name: str, namespace: str = "shop") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace}, "data": {"k": "v"}}


def pp(name: str, *selectors: ResourceSelector, placement: Placement | None = None, **kw: Any) -> PropagationPolicy:
    return PropagationPolicy("PropagationPolicy", name, "shop", selectors, placement or Placement(), **kw)


def fleet(templates: list[dict[str, Any]], policies: list[PropagationPolicy],
          overrides: tuple[OverridePolicy, ...] = ()) -> Fleet:
    return Fleet(FleetSettings(name="demo"), CLUSTERS, tuple(policies), overrides,
                 tuple(template(t) for t in templates))


WEIGHTED = Placement(replica_scheduling=ReplicaScheduling(
    type="Divided", division_preference="Weighted", has_weight_preference=True,
    static_weights=(StaticWeight(ClusterAffinity(cluster_names=("c1",)), 2),
                    StaticWeight(ClusterAffinity(cluster_names=("c2",)), 1))))


def placements(plan: Any) -> dict[str, list[tuple[str, int | None]]]:
    return {p.resource: [(c.name, c.replicas) for c in p.clusters] for p in plan.placements}


def test_static_weights_revise_replicas_per_cluster_and_label_ownership() -> None:
    plan = build_plan(fleet([deployment("web")],
                            [pp("web", ResourceSelector("apps/v1", "Deployment", "shop", "web"), placement=WEIGHTED)]))
    assert placements(plan) == {"apps/v1/Deployment/shop/web": [("c1", 4), ("c2", 2)]}
    web = plan.manifests["c1"]["apps/v1/Deployment/shop/web"]
    assert web["spec"]["replicas"] == 4
    assert plan.manifests["c2"]["apps/v1/Deployment/shop/web"]["spec"]["replicas"] == 2
    assert web["metadata"]["labels"] == {"app": "web", "app.kubernetes.io/managed-by": "gitfleet",
                                         "gitfleet.io/fleet": "demo"}
    assert plan.manifests["c3"] == {}


def test_template_object_is_never_mutated() -> None:
    f = fleet([deployment("web")],
              [pp("web", ResourceSelector("apps/v1", "Deployment", "shop"), placement=WEIGHTED)])
    before = repr(f.templates[0].obj)
    build_plan(f)
    assert repr(f.templates[0].obj) == before


def test_unselected_resource_is_listed_unplaced_with_reason() -> None:
    plan = build_plan(fleet([configmap("orphan")], []))
    (placement,) = plan.placements
    assert placement.clusters == () and placement.policy is None
    assert placement.reason == "no PropagationPolicy or ClusterPropagationPolicy selects it"
    assert plan.to_json()["placements"] == [{"resource": "v1/ConfigMap/shop/orphan", "policy": None,
                                             "clusters": [], "reason": placement.reason}]


def test_duplicated_skips_tainted_cluster_and_non_workload_has_null_replicas() -> None:
    plan = build_plan(fleet([deployment("web", 3), configmap("cfg")],
                            [pp("all", ResourceSelector("apps/v1", "Deployment"), ResourceSelector("v1", "ConfigMap"))]))
    assert placements(plan) == {
        "apps/v1/Deployment/shop/web": [("c1", 3), ("c2", 3)],
        "v1/ConfigMap/shop/cfg": [("c1", None), ("c2", None)],
    }


def test_propagate_deps_follows_clusters_with_replicas_and_unions_own_placement() -> None:
    web = deployment("web", envFrom=None)
    web["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "cfg"}}]
    del web["spec"]["template"]["spec"]["envFrom"]
    only_c1 = Placement(cluster_affinity=ClusterAffinity(cluster_names=("c1",)))
    own_c2 = Placement(cluster_affinity=ClusterAffinity(cluster_names=("c2",)))
    plan = build_plan(fleet([web, configmap("cfg")], [
        pp("web", ResourceSelector("apps/v1", "Deployment", "shop", "web"), placement=only_c1, propagate_deps=True),
        pp("cfg", ResourceSelector("v1", "ConfigMap", "shop", "cfg"), placement=own_c2),
    ]))
    assert placements(plan)["v1/ConfigMap/shop/cfg"] == [("c1", None), ("c2", None)]
    cfg = next(p for p in plan.placements if p.resource == "v1/ConfigMap/shop/cfg")
    assert cfg.depended_by == ("apps/v1/Deployment/shop/web",)
    assert "v1/ConfigMap/shop/cfg" in plan.manifests["c1"]


def test_namespace_goes_everywhere_without_policy_unless_opted_out() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    skipped = {"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "quiet", "labels": {"namespace.karmada.io/skip-auto-propagation": "true"}}}
    kube = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-extra"}}
    plan = build_plan(fleet([ns, skipped, kube], []))
    got = placements(plan)
    assert got["v1/Namespace/_/shop"] == [("c1", None), ("c2", None), ("c3", None)]
    assert got["v1/Namespace/_/quiet"] == [] and got["v1/Namespace/_/kube-extra"] == []


def test_other_scheduler_name_leaves_resource_unscheduled() -> None:
    plan = build_plan(fleet([configmap("cfg")], [pp("p", ResourceSelector("v1", "ConfigMap"), scheduler_name="default")]))
    (placement,) = plan.placements
    assert placement.clusters == () and "scheduler 'default'" in (placement.reason or "")


def test_suspension_and_conflict_resolution_are_recorded() -> None:
    cm = configmap("cfg")
    cm["metadata"]["annotations"] = {"work.karmada.io/conflict-resolution": "overwrite"}
    plan = build_plan(fleet([cm], [pp("p", ResourceSelector("v1", "ConfigMap"), suspend_on_clusters=("c2", "zz"))]))
    (placement,) = plan.placements
    assert placement.suspended == ("c2",)
    assert placement.conflict_resolution == "Overwrite"


def test_failing_override_is_an_input_error_at_the_policy() -> None:
    from gitfleet.model import SourcePos

    bad = OverridePolicy("OverridePolicy", "bad-image", "shop", (), (OverrideRule(
        Overriders(image=(ImageOverrider("Registry", "replace", "x", "/spec/missing/path"),))),),
        pos=SourcePos("policies/op.yaml", 3, 1))
    with pytest.raises(InputError) as err:
        build_plan(fleet([deployment("web")], [pp("p", ResourceSelector("apps/v1", "Deployment"))], (bad,)))
    (problem, *_) = err.value.problems
    assert problem.path == "policies/op.yaml" and problem.line == 3
    assert "OverridePolicy/shop/bad-image" in problem.message and "on cluster c1" in problem.message


def test_override_changes_are_explained_per_cluster() -> None:
    registry = OverridePolicy("OverridePolicy", "registry", "shop", (), (OverrideRule(
        Overriders(image=(ImageOverrider("Registry", "replace", "reg.example.com"),)),
        target_cluster=ClusterAffinity(cluster_names=("c2",))),))
    plan = build_plan(fleet([deployment("web")], [pp("p", ResourceSelector("apps/v1", "Deployment"))], (registry,)))
    key = "apps/v1/Deployment/shop/web"
    assert plan.manifests["c2"][key]["spec"]["template"]["spec"]["containers"][0]["image"] == "reg.example.com/nginx:1.25"
    assert plan.manifests["c1"][key]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    (change,) = plan.explanations[key].overrides["c2"]
    assert change.pointer == "/spec/template/spec/containers/0/image"
    assert (change.policy, change.rule, change.overrider) == ("OverridePolicy/shop/registry", 0, "imageOverrider")
    assert "c1" not in plan.explanations[key].overrides


def test_plan_is_deterministic_whatever_the_input_order() -> None:
    templates = [deployment("a"), deployment("b", 5), configmap("x"), configmap("y")]
    policies = [pp("w", ResourceSelector("apps/v1", "Deployment"), placement=WEIGHTED),
                pp("c", ResourceSelector("v1", "ConfigMap"))]
    one = build_plan(fleet(templates, policies)).to_json()
    two = build_plan(fleet(list(reversed(templates)), list(reversed(policies)))).to_json()
    assert one == two
    assert [p["resource"] for p in one["placements"]] == sorted(p["resource"] for p in one["placements"])
