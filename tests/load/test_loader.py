"""load_fleet / validate_files on in-memory repos: classification, Karmada's defaults,
namespaces and scopes, fleet.yaml, and every problem reported at once with its position."""

from __future__ import annotations

import pytest

from gitfleet.errors import InputError, Problem
from gitfleet.load import load_fleet, validate_files
from gitfleet.model.policy import (
    ClusterAffinity,
    ReplicaScheduling,
    ResourceSelector,
    SpreadConstraint,
    Toleration,
)
from load.repos import CPP_HEAD, OP_HEAD, SELECT_DEPLOYMENTS, cluster, deployment, inventory, pp, repo, y


def errors(files: dict[str, bytes]) -> list[tuple[str, int, int, str]]:
    return [(p.path, p.line, p.col, p.message) for p in validate_files(repo(files)) if p.severity == "error"]


# ---------------------------------------------------------------------------
# propagation policies: Karmada's webhook and CRD defaults


@pytest.mark.parametrize(
    ("spec", "check"),
    [
        (SELECT_DEPLOYMENTS, lambda p: p.placement.replica_scheduling == ReplicaScheduling()),
        (SELECT_DEPLOYMENTS + "placement:\n  replicaScheduling: {}\n",
         lambda p: p.placement.replica_scheduling == ReplicaScheduling("Divided", "Weighted")),
        (SELECT_DEPLOYMENTS + "placement:\n  replicaScheduling: {replicaSchedulingType: Duplicated}\n",
         lambda p: p.placement.replica_scheduling == ReplicaScheduling("Duplicated", None)),
        (SELECT_DEPLOYMENTS + "placement:\n  replicaScheduling:\n    replicaDivisionPreference: Aggregated\n",
         lambda p: p.placement.replica_scheduling.division_preference == "Aggregated"),
        (SELECT_DEPLOYMENTS + "placement:\n  replicaScheduling:\n    weightPreference: {dynamicWeight: AvailableReplicas}\n",
         lambda p: (p.placement.replica_scheduling.has_weight_preference,
                    p.placement.replica_scheduling.dynamic_weight) == (True, "AvailableReplicas")),
        (SELECT_DEPLOYMENTS + "placement:\n  spreadConstraints: [{maxGroups: 2}, {spreadByField: region, minGroups: 0}]\n",
         lambda p: p.placement.spread_constraints == (SpreadConstraint("cluster", None, 2, 1),
                                                       SpreadConstraint("region", None, 0, 1))),
        (SELECT_DEPLOYMENTS + "placement:\n  clusterTolerations: [{effect: NoSchedule}, {key: k, operator: Exists}]\n",
         # then the webhook's two defaults (tests/load/test_default_tolerations.py)
         lambda p: p.placement.tolerations[:2] == (Toleration("", "Equal", "", "NoSchedule"),
                                                   Toleration("k", "Exists", "", ""))
         and p.placement.tolerations[2:] == p.default_tolerations and len(p.default_tolerations) == 2),
        (SELECT_DEPLOYMENTS, lambda p: p.selectors == (ResourceSelector("apps/v1", "Deployment", "default"),)),
        (SELECT_DEPLOYMENTS, lambda p: (p.priority, p.propagate_deps, p.conflict_resolution, p.scheduler_name)
         == (0, False, "Abort", "default-scheduler")),
        ("resourceSelectors: [{apiVersion: multicluster.x-k8s.io/v1alpha1, kind: ServiceImport}]\n",
         lambda p: p.propagate_deps is True),
        (SELECT_DEPLOYMENTS + "placement:\n  clusterAffinity:\n    clusterNames: [m1]\n    fieldSelector:\n"
         "      matchExpressions: [{key: region, operator: In, values: [eu]}]\n",
         lambda p: p.placement.cluster_affinity is not None
         and p.placement.cluster_affinity.cluster_names == ("m1",)
         and p.placement.cluster_affinity.field_selector is not None
         and p.placement.cluster_affinity.field_selector[0].values == ("eu",)),
        (SELECT_DEPLOYMENTS + "placement:\n  clusterAffinities:\n    - affinityName: a\n      clusterNames: [m1]\n"
         "      overflowAffinities: [{affinityName: b, clusterNames: [m2]}]\n"
         "  replicaScheduling: {replicaDivisionPreference: Aggregated}\n",
         lambda p: [(t.affinity_name, t.affinity.cluster_names, [o.cluster_names for o in t.overflow])
                    for t in p.placement.cluster_affinities] == [("a", ("m1",), [("m2",)])]),
        (SELECT_DEPLOYMENTS + "suspension: {dispatchingOnClusters: {clusterNames: [m1]}}\n",
         lambda p: (p.suspend_dispatching, p.suspend_on_clusters) == (False, ("m1",))),
        (SELECT_DEPLOYMENTS + "placement:\n  workloadAffinity: {affinity: {groupByLabelKey: app}}\n"
         "preemption: Never\n",
         lambda p: p.ignored_fields == ("spec.placement.workloadAffinity",)),
    ],
    ids=["no-replicaScheduling-is-Duplicated", "empty-is-Divided-Weighted", "Duplicated-no-preference",
         "Aggregated", "dynamic-weight", "spread-defaults", "tolerations", "selector-namespace",
         "scalar-defaults", "service-import-deps", "field-selector", "affinity-terms", "suspension",
         "ignored-fields"],
)
def test_propagation_policy_defaults(spec: str, check) -> None:  # type: ignore[no-untyped-def]
    fleet = load_fleet({"p.yaml": pp(spec)})
    (policy,) = fleet.propagation_policies
    assert (policy.namespace, policy.ref) == ("default", "PropagationPolicy/default/pp")
    assert check(policy)


def test_cluster_propagation_policy_selectors_keep_no_namespace() -> None:
    fleet = load_fleet({"c.yaml": pp(SELECT_DEPLOYMENTS, kind_head=CPP_HEAD, namespace="ignored")})
    (policy,) = fleet.propagation_policies
    assert (policy.namespace, policy.ref) == (None, "ClusterPropagationPolicy/pp")
    assert policy.selectors[0].namespace is None


def test_override_policy_deprecated_form_is_one_rule() -> None:
    doc = OP_HEAD + "metadata: {name: op, namespace: shop}\nspec:\n  targetCluster: {clusterNames: [m1]}\n" \
        "  overriders:\n    plaintext: [{operator: replace, path: /spec/replicas, value: 1}]\n"
    (policy,) = load_fleet({"op.yaml": doc.encode()}).override_policies
    assert policy.selectors == ()
    (rule,) = policy.rules
    assert rule.index == 0 and rule.target_cluster == ClusterAffinity(cluster_names=("m1",))
    assert rule.overriders.plaintext[0].value == 1 and rule.overriders.plaintext[0].has_value


def test_override_rules_keep_order_and_fill_selector_namespace() -> None:
    doc = y("""
        apiVersion: policy.karmada.io/v1alpha1
        kind: OverridePolicy
        metadata: {name: op}
        spec:
          resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
          overrideRules:
            - overriders: {imageOverrider: [{component: Registry, operator: replace, value: r.io}]}
            - targetCluster: {labelSelector: {matchLabels: {env: prod}}}
              overriders:
                fieldOverrider:
                  - fieldPath: /data/config
                    yaml: [{subPath: /a, operator: remove}]
    """)
    (policy,) = load_fleet({"op.yaml": doc}).override_policies
    assert policy.selectors[0].namespace == "default"
    assert [r.index for r in policy.rules] == [0, 1]
    assert policy.rules[0].overriders.image[0].value == "r.io"
    field = policy.rules[1].overriders.field[0]
    assert field.json_ops is None and field.yaml_ops is not None and field.yaml_ops[0].has_value is False


# ---------------------------------------------------------------------------
# clusters


def test_cluster_defaults_and_status() -> None:
    doc = y("""
        apiVersion: cluster.karmada.io/v1alpha1
        kind: Cluster
        metadata: {name: member1, labels: {env: prod}}
        spec:
          zone: az-1
          taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
        status:
          apiEnablements: [{groupVersion: apps/v1, resources: [{name: deployments, kind: Deployment}]}]
          resourceSummary: {allocatable: {cpu: "4", pods: 110}}
    """)
    (c,) = load_fleet({"c.yaml": doc}).clusters
    assert (c.name, c.sync_mode, c.zones, dict(c.labels)) == ("member1", "Push", ("az-1",), {"env": "prod"})
    assert [(t.key, t.value, t.effect) for t in c.taints] == [("dedicated", "gpu", "NoSchedule")]
    assert c.api_enablements == frozenset({("apps/v1", "Deployment")})
    assert c.resource_summary is not None and c.resource_summary.allocatable == {"cpu": "4", "pods": 110}
    assert c.obj["spec"]["zone"] == "az-1"


def test_clusters_are_sorted_by_name() -> None:
    fleet = load_fleet(inventory("zeta", "alpha", "mid"))
    assert [c.name for c in fleet.clusters] == ["alpha", "mid", "zeta"]


# ---------------------------------------------------------------------------
# templates: namespaces, scope, CRDs


def test_namespaced_templates_default_to_default_and_cluster_scoped_have_none() -> None:
    files = {
        "t/web.yaml": deployment(),
        "t/ns.yaml": b"apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, namespace: oops}\n",
        "t/cm.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n",
    }
    fleet = load_fleet(repo(files))
    assert [t.key for t in fleet.templates] == [
        "apps/v1/Deployment/default/web", "v1/ConfigMap/shop/c", "v1/Namespace/_/shop"]
    by_key = {t.key: t for t in fleet.templates}
    assert by_key["apps/v1/Deployment/default/web"].obj["metadata"]["namespace"] == "default"
    assert "namespace" not in by_key["v1/Namespace/_/shop"].obj["metadata"]


def test_crds_in_the_repo_give_scopes() -> None:
    crd = y("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: widgets.example.com}
        spec:
          group: example.com
          names: {kind: Widget, plural: widgets}
          scope: Cluster
        ---
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: gadgets.example.com}
        spec: {group: example.com, names: {kind: Gadget, plural: gadgets}, scope: Namespaced}
    """)
    files = {
        "crds.yaml": crd,
        "w.yaml": b"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
        "g.yaml": b"apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n",
    }
    fleet = load_fleet(repo(files))
    assert fleet.crd_scopes == {("example.com", "Widget"): False, ("example.com", "Gadget"): True}
    keys = {t.key for t in fleet.templates}
    assert {"example.com/v1/Widget/_/w", "example.com/v1/Gadget/default/g"} <= keys


def test_unknown_kind_with_a_namespace_is_namespaced() -> None:
    fleet = load_fleet(repo({"x.yaml": b"apiVersion: x.io/v1\nkind: Thing\nmetadata: {name: t, namespace: a}\n"}))
    assert fleet.templates[0].key == "x.io/v1/Thing/a/t"


def test_template_objects_do_not_share_the_parse_cache() -> None:
    files = repo({"web.yaml": deployment()})
    first = load_fleet(files).templates[0]
    first.obj["spec"]["replicas"] = 99  # type: ignore[index]
    assert load_fleet(files).templates[0].obj["spec"]["replicas"] == 3


# ---------------------------------------------------------------------------
# fleet.yaml and discovery


def test_fleet_settings() -> None:
    fleet_yaml = y("""
        apiVersion: gitfleet.io/v1alpha1
        kind: Fleet
        metadata: {name: demo}
        spec:
          statusBranch: gf/status
          exclude: ["docs/**"]
          values: {domain: example.com}
          apply:
            prune: false
            drift: report
            maxPruneFraction: 0.5
            ignore:
              - {kind: Deployment, path: /spec/replicas}
              - {apiVersion: apps/v1, kind: StatefulSet, path: /spec/template}
    """)
    fleet = load_fleet({"fleet.yaml": fleet_yaml, "docs/broken.yaml": b"{{ not yaml"})
    s = fleet.settings
    assert (s.name, s.status_branch, s.exclude, dict(s.values)) == (
        "demo", "gf/status", ("docs/**",), {"domain": "example.com"})
    assert (s.apply.prune, s.apply.drift, s.apply.max_prune_fraction) == (False, "report", 0.5)
    assert s.apply.ignore == (("Deployment", "/spec/replicas"), ("apps/v1/StatefulSet", "/spec/template"))


def test_fleet_settings_default_without_fleet_yaml() -> None:
    settings = load_fleet(inventory("m1")).settings
    assert (settings.name, settings.status_branch, settings.apply.prune) == ("fleet", "gitfleet/status", True)


def test_dot_folders_are_not_read() -> None:
    assert load_fleet(repo({".github/workflows/ci.yaml": b"on: push\njobs: {}\n"})).templates == ()


def test_karmada_control_plane_kinds_are_ignored_with_a_warning() -> None:
    doc = b"apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterTaintPolicy\nmetadata: {name: t}\nspec: {}\n"
    fleet = load_fleet({"t.yaml": doc})
    assert fleet.templates == ()
    assert len(fleet.warnings) == 1
    assert fleet.warnings[0].startswith("t.yaml:1:1: warning: policy.karmada.io/v1alpha1 ClusterTaintPolicy")


def test_unknown_cluster_names_are_warnings() -> None:
    spec = SELECT_DEPLOYMENTS + "placement:\n  clusterAffinity:\n    clusterNames: [member1, nope]\n"
    fleet = load_fleet({**inventory("member1"), "p.yaml": pp(spec)})
    assert fleet.warnings == (("p.yaml:11:31: warning: spec.placement.clusterAffinity.clusterNames[1]: "
                              "cluster 'nope' is not in the inventory"),)


# ---------------------------------------------------------------------------
# broken repos: every problem, exact positions


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"a.yaml": b"kind: X\nmetadata:\n  name: a\n  name: b\n"},
         [("a.yaml", 4, 3, "duplicate key 'name'")]),
        ({"a.yaml": b"ok: [\n"}, [("a.yaml", 2, 1, "invalid YAML")]),
        ({"a.yaml": b"metadata: {name: x}\n"}, [("a.yaml", 1, 1, "apiVersion and kind missing")]),
        ({"a.yaml": b"apiVersion: v1\nmetadata: {name: x}\n"}, [("a.yaml", 1, 1, "kind missing")]),
        ({"a.yaml": b"- a\n- b\n"}, [("a.yaml", 1, 1, "document is not a mapping")]),
        ({"a.yaml": b"apiVersion: x.io/v1\nkind: Thing\nmetadata: {name: t}\n"},
         [("a.yaml", 2, 1, ("kind: unknown kind x.io/v1 Thing without metadata.namespace: gitfleet cannot "
           "tell whether it is namespaced; add its CustomResourceDefinition to the repo or set "
           "metadata.namespace"))]),
        ({"a.yaml": deployment(), "b.yaml": b"# x\n" + deployment(namespace="default")},
         [("b.yaml", 5, 3, ("metadata.name: duplicate resource apps/v1/Deployment/default/web: also "
           "defined at a.yaml:1:1"))]),
        ({"a.yaml": cluster("m1"), "b.yaml": cluster("m1")},
         [("b.yaml", 1, 1, "duplicate cluster name 'm1': also defined at a.yaml:1:1")]),
        ({"a.yaml": pp(SELECT_DEPLOYMENTS), "b.yaml": pp(SELECT_DEPLOYMENTS, namespace="default")},
         [("b.yaml", 1, 1, "duplicate policy PropagationPolicy/default/pp: also defined at a.yaml:1:1")]),
        ({"a.yaml": b"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: f}\n"},
         [("a.yaml", 2, 1, "kind: Fleet belongs in fleet.yaml at the root of the repository")]),
        ({"a.yaml": b"apiVersion: cluster.karmada.io/v1beta1\nkind: Cluster\nmetadata: {name: m}\n"},
         [("a.yaml", 1, 1, ("apiVersion: unsupported apiVersion 'cluster.karmada.io/v1beta1' for Cluster; "
           "use cluster.karmada.io/v1alpha1"))]),
        ({"a.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: c-\n"},
         [("a.yaml", 3, 1, ("metadata: metadata.name is required and must be a non-empty string "
           "(generateName is not supported: gitfleet must know each object's name)"))]),
        ({"a.yaml": cluster("m1", "  regoin: eu\n")},
         [("a.yaml", 7, 3, ("spec.regoin: unknown field (known fields here: apiEndpoint, id, "
           "impersonatorSecretRef, insecureSkipTLSVerification, provider, proxyHeader, proxyURL, region, "
           "resourceModels, secretRef, syncMode, taints, zone, zones)"))]),
        ({"fleet.yaml": b"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nspec:\n  apply: {drift: fix}\n"},
         [("fleet.yaml", 4, 11, "spec.apply.drift: 'fix' is not one of 'correct', 'report'")]),
    ],
    ids=["duplicate-key", "invalid-yaml", "no-apiversion-kind", "no-kind", "not-a-mapping", "unknown-kind",
         "duplicate-resource", "duplicate-cluster", "duplicate-policy", "fleet-elsewhere", "cluster-version",
         "generate-name", "schema-unknown-field", "fleet-schema"],
)
def test_broken_repos(files: dict[str, bytes], expected: list[tuple[str, int, int, str]]) -> None:
    found = errors(files)
    assert [(p, line, col) for p, line, col, _ in found] == [(p, line, col) for p, line, col, _ in expected]
    for (_, _, _, message), (_, _, _, words) in zip(found, expected):
        assert words in message


def test_all_problems_are_reported_at_once_and_sorted() -> None:
    files = {
        "z/last.yaml": b"bad: [\n",
        "a/first.yaml": b"metadata: {name: x}\n",
        "m/policy.yaml": pp("resourceSelectors: []\nplacement:\n  clusterAffinity: {}\n  clusterAffinities: []\n"),
        "m/cluster.yaml": cluster("Not_A_DNS_Name", "  syncMode: Sideways\n").replace(
            b"  syncMode: Push\n", b""),
    }
    with pytest.raises(InputError) as info:
        load_fleet(files)
    problems = info.value.problems
    assert problems == sorted(problems)
    assert [p.path for p in problems if p.severity == "error"] == [
        "a/first.yaml", "m/cluster.yaml", "m/cluster.yaml", "m/policy.yaml", "m/policy.yaml", "z/last.yaml"]
    messages = "\n".join(p.message for p in problems)
    assert "'Sideways' is not one of 'Push', 'Pull'" in messages
    assert "invalid cluster name 'Not_A_DNS_Name'" in messages
    assert "spec.resourceSelectors: needs at least 1 entry" in messages
    assert "clusterAffinities cannot co-exist with clusterAffinity" in messages
    assert str(info.value).splitlines()[0].startswith("a/first.yaml:1:1: ")


def test_validate_files_returns_errors_and_warnings_as_problems() -> None:
    files = {**inventory("m1"), "p.yaml": pp(SELECT_DEPLOYMENTS + "preemption: Always\n"), "bad.yaml": b"- 1\n"}
    problems = validate_files(files)
    assert all(isinstance(p, Problem) for p in problems)
    assert {p.severity for p in problems} == {"error", "warning"}
    assert [p.path for p in problems] == sorted(p.path for p in problems)
