"""Issue 8's loading defects, each pinned: misspelled Karmada kinds, null fields,
Karmada's own kinds' scope, resources that go nowhere, "no fleet repo here", identity
with one cluster, and positions (replica counts, non-UTF-8 bytes, fleet.yaml typos)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.errors import InputError
from gitfleet.load import load_fleet, validate_files
from gitfleet.load.discover import NoFleetRepoError
from gitfleet.load.nulls import without_nulls
from gitfleet.plan.build import build_plan
from gitfleet.plan.validate import validate_repo
from load.repos import FLEET_YAML, SELECT_DEPLOYMENTS, cluster, deployment, inventory, pp, repo, y


def errors(files: dict[str, bytes]) -> list[tuple[str, int, int, str]]:
    return [(p.path, p.line, p.col, p.message) for p in validate_files(files) if p.severity == "error"]


# ---------------------------------------------------------------------------
# misspelled kinds and groups: an error with "did you mean", never a vanished document


@pytest.mark.parametrize(
    ("doc", "line", "col", "words"),
    [
        (b"apiVersion: policy.karmada.io/v1alpha1\nkind: PropogationPolicy\nmetadata: {name: p}\n", 2, 1,
         "kind: unknown kind 'PropogationPolicy' in API group policy.karmada.io: did you mean PropagationPolicy?"),
        (b"apiVersion: cluster.karmada.io/v1alpha1\nkind: cluster\nmetadata: {name: m}\n", 2, 1,
         "did you mean Cluster?"),
        (b"apiVersion: policy.karmada.oi/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p}\n", 1, 1,
         "apiVersion: unknown API group 'policy.karmada.oi': did you mean policy.karmada.io?"),
        (b"apiVersion: gitflet.io/v1alpha1\nkind: Fleet\nmetadata: {name: f}\n", 1, 1,
         "did you mean gitfleet.io?"),
        (b"apiVersion: work.karmada.io/v1alpha2\nkind: Binding\nmetadata: {name: b}\n", 2, 1,
         "unknown kind 'Binding' in API group work.karmada.io: did you mean ResourceBinding?"),
        (b"apiVersion: cluster.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p}\n", 2, 1,
         "PropagationPolicy is in policy.karmada.io: did you mean apiVersion policy.karmada.io/v1alpha1?"),
        (b"apiVersion: v1alpha1\nkind: ClusterOverridePolicy\nmetadata: {name: p}\n", 1, 1,
         "did you mean apiVersion policy.karmada.io/v1alpha1?"),
        (b"apiVersion: gitfleet.io/v1alpha1\nkind: Flet\nmetadata: {name: f}\n", 2, 1, "did you mean Fleet?"),
        (b"apiVersion: shop.karmada.io/v1\nkind: Thing\nmetadata: {name: t}\n", 1, 1,
         "unknown Karmada API group 'shop.karmada.io'"),
    ],
    ids=["kind-typo", "kind-case", "group-typo", "gitfleet-group-typo", "work-kind", "kind-in-other-group",
         "no-group", "fleet-kind-typo", "unknown-karmada-group"],
)
def test_misspelled_karmada_kinds_are_errors(doc: bytes, line: int, col: int, words: str) -> None:
    found = errors({**inventory("m1"), "x.yaml": doc})
    assert [(p, ln, c) for p, ln, c, _ in found] == [("x.yaml", line, col)]
    assert words in found[0][3]


@pytest.mark.parametrize(
    "doc",
    [
        b"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: a}\n",
        b"apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\nmetadata: {name: capi, namespace: a}\n",
        b"apiVersion: policy.kyverno.io/v1\nkind: Policy\nmetadata: {name: k, namespace: a}\n",
        b"apiVersion: search.k8s.io/v1\nkind: Index\nmetadata: {name: s, namespace: a}\n",
    ],
    ids=["ingress", "cluster-api", "kyverno", "search-k8s"],
)
def test_neighbouring_groups_stay_resource_templates(doc: bytes) -> None:
    fleet = load_fleet({**inventory("m1"), "x.yaml": doc})
    assert len(fleet.templates) == 1


def test_karmada_control_plane_kinds_stay_warnings() -> None:
    doc = b"apiVersion: autoscaling.karmada.io/v1alpha1\nkind: FederatedHPA\nmetadata: {name: h}\n"
    fleet = load_fleet({**inventory("m1"), "h.yaml": doc})
    assert fleet.templates == () and "configures a Karmada control plane" in fleet.warnings[0]


# ---------------------------------------------------------------------------
# null fields: dropped as Karmada's API server prunes them


def test_null_optional_fields_are_dropped_as_karmada_does() -> None:
    op = y("""
        apiVersion: policy.karmada.io/v1alpha1
        kind: OverridePolicy
        metadata: {name: o, namespace: shop}
        spec:
          resourceSelectors:
            - apiVersion: apps/v1
              kind: Deployment
              labelSelector: ~
          overrideRules:
            # nothing yet
    """)
    policy = pp(SELECT_DEPLOYMENTS + "placement:\n  clusterAffinity:\n    labelSelector: null\n"
                "  spreadConstraints:\n")
    fleet = load_fleet({**inventory("m1"), "o.yaml": op, "p.yaml": policy})
    (override,) = fleet.override_policies
    assert override.rules == () and override.selectors[0].label_selector is None
    assert fleet.propagation_policies[0].placement.spread_constraints == ()


def test_a_null_required_field_is_reported_missing_at_its_place() -> None:
    policy = pp("resourceSelectors:\n  - apiVersion: apps/v1\n    kind: ~\n")
    found = errors({**inventory("m1"), "p.yaml": policy})
    # At the selector (line 7), as for any missing field, not at the document's start.
    assert [(p, ln, c) for p, ln, c, _ in found] == [("p.yaml", 7, 7)]
    assert "'kind' is required" in found[0][3]


def test_null_template_values_in_fleet_yaml_are_kept() -> None:
    fleet_yaml = FLEET_YAML + b"spec:\n  exclude: ~\n  values: {maybe: null}\n"
    fleet = load_fleet({**inventory("m1"), "fleet.yaml": fleet_yaml})
    assert fleet.settings.values == {"maybe": None} and fleet.settings.exclude == ()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=20,
)


def _null_entries(value: Any) -> int:
    if isinstance(value, dict):
        return sum(v is None or _null_entries(v) for v in value.values())
    if isinstance(value, list):
        return sum(_null_entries(v) for v in value)
    return 0


@given(json_values)
def test_without_nulls_leaves_no_null_entry_and_keeps_the_rest(value: Any) -> None:
    import copy

    before = copy.deepcopy(value)
    pruned = without_nulls(value)
    assert value == before  # never changes its input
    assert _null_entries(pruned) == 0
    assert without_nulls(pruned) is pruned
    if _null_entries(value) == 0:
        assert pruned is value  # the schema memo relies on unchanged documents staying the same object


# ---------------------------------------------------------------------------
# the kinds Karmada installs are namespaced where Karmada says so


@pytest.mark.parametrize(
    ("api_version", "kind", "key"),
    [
        ("multicluster.x-k8s.io/v1alpha1", "ServiceExport", "multicluster.x-k8s.io/v1alpha1/ServiceExport/default/x"),
        ("multicluster.x-k8s.io/v1alpha1", "ServiceImport", "multicluster.x-k8s.io/v1alpha1/ServiceImport/default/x"),
    ],
    ids=["service-export", "service-import"],
)
def test_karmada_installed_kinds_have_their_scope(api_version: str, kind: str, key: str) -> None:
    doc = f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x}}\n".encode()
    fleet = load_fleet({**inventory("m1"), "x.yaml": doc})
    assert [t.key for t in fleet.templates] == [key]


# ---------------------------------------------------------------------------
# resources that go to no cluster are warned about, at the template


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        (None, ("apps/v1/Deployment/default/web goes to no cluster: no PropagationPolicy or "
                "ClusterPropagationPolicy selects it")),
        (SELECT_DEPLOYMENTS + "placement:\n  clusterAffinity:\n    labelSelector:\n      matchLabels: {env: prod}\n",
         "apps/v1/Deployment/default/web goes to no cluster: 0/1 clusters are available"),
    ],
    ids=["no-policy", "no-cluster-fits"],
)
def test_resources_that_go_nowhere_are_warnings(policy: str | None, words: str) -> None:
    files = {**inventory("m1"), "web.yaml": b"# the web\n" + deployment()}
    if policy is not None:
        files["p.yaml"] = pp(policy)
    plan = build_plan(load_fleet(files))
    (warning,) = [w for w in plan.warnings if "goes to no cluster" in w]
    assert warning.startswith(f"web.yaml:2:1: warning: {words}")
    found = [p for p in validate_repo(files) if "goes to no cluster" in p.message]
    assert [(p.path, p.line, p.col, p.severity) for p in found] == [("web.yaml", 2, 1, "warning")]


def test_placed_resources_and_empty_inventories_give_no_such_warning() -> None:
    placed = {**inventory("m1"), "web.yaml": deployment(), "p.yaml": pp(SELECT_DEPLOYMENTS)}
    assert not [w for w in build_plan(load_fleet(placed)).warnings if "goes to no cluster" in w]
    unplaced = repo({"web.yaml": deployment()})
    assert not [w for w in build_plan(load_fleet(unplaced)).warnings if "goes to no cluster" in w]


# ---------------------------------------------------------------------------
# "no fleet repo here"


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({}, "no fleet.yaml and no Cluster or policy document (no YAML file)"),
        ({"ci.yaml": b"on: push\n", "web.yaml": deployment()}, "(2 YAML file(s) read)"),
        ({"sample/fleet.yaml": FLEET_YAML, **{f"sample/{k}": v for k, v in inventory("m1").items()}},
         "no fleet.yaml here, but there is one in sample"),
        ({"broken.yaml": b"a: [\n"}, "1 file(s) could not be read as YAML, such as broken.yaml:2:1"),
    ],
    ids=["empty", "templates-only", "project-root", "unparsable"],
)
def test_no_fleet_repo_is_one_error_with_a_hint(files: dict[str, bytes], words: str) -> None:
    for load in (load_fleet, validate_files):
        with pytest.raises(NoFleetRepoError) as info:
            load(files)
        assert words in str(info.value) and "pass the fleet repo's folder" in str(info.value)
    assert "no fleet repo in /x:" in str(info.value.at("/x"))


@pytest.mark.parametrize(
    "files",
    [repo({}), inventory("m1"), {"p.yaml": pp(SELECT_DEPLOYMENTS)},
     {"t.yaml": b"apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterTaintPolicy\nmetadata: {name: t}\n"}],
    ids=["fleet-yaml", "cluster", "policy", "control-plane-kind"],
)
def test_any_fleet_file_makes_a_fleet_repo(files: dict[str, bytes]) -> None:
    load_fleet(files)


def test_a_part_of_a_repo_loads_without_the_check() -> None:
    assert len(load_fleet({"web.yaml": deployment()}, whole_repo=False).templates) == 1


# ---------------------------------------------------------------------------
# identity that depends on `cluster`, with one cluster


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 'cm-{{ cluster.name }}'}\n",
         ("metadata.name depends on `cluster` ('cm-solo' for the first cluster, 'cm-solo-gitfleet-probe' "
          "for another cluster)")),
        (b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: {tier: '{{ cluster.labels.tier }}'}\n",
         "metadata.labels depends on `cluster`"),
        (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: '{{ cluster.region }}'}\n",
         "metadata.namespace depends on `cluster`"),
    ],
    ids=["name", "labels", "namespace"],
)
def test_identity_depending_on_cluster_is_caught_with_one_cluster(text: bytes, words: str) -> None:
    solo = cluster("solo", "  region: eu\n").replace(b"  name: solo\n", b"  name: solo\n  labels: {tier: a}\n")
    files = {"clusters/solo.yaml": solo, "t.yaml.j2": text}
    with pytest.raises(InputError) as info:
        load_fleet(files)
    assert [(p.path, p.line) for p in info.value.problems] == [("t.yaml.j2", 1)]
    assert words in info.value.problems[0].message


@pytest.mark.parametrize(
    "text",
    [
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {who: '{{ cluster.name }}'}\n",
        # A lookup by cluster name fails for the probe: the probe cannot tell, and says nothing.
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {size: '{{ values.sizes[cluster.name] }}'}\n",
    ],
    ids=["data-may-vary", "lookup-by-name"],
)
def test_the_probe_reports_nothing_else(text: bytes) -> None:
    fleet_yaml = FLEET_YAML + b"spec:\n  values: {sizes: {solo: 3}}\n"
    load_fleet({**inventory("solo"), "fleet.yaml": fleet_yaml, "t.yaml.j2": text})


# ---------------------------------------------------------------------------
# positions


@pytest.mark.parametrize(
    ("doc", "line", "col", "words"),
    [
        (deployment(replicas=-1), 6, 3, "spec.replicas: must be an integer from 0 to 2147483647, not -1"),
        (b"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  parallelism: 2\n  completions: x\n",
         6, 3, "spec.completions: must be an integer"),
        (b"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {replicas: true}\n", 4, 8,
         "spec.replicas: must be an integer"),
    ],
    ids=["negative-replicas", "job-completions", "boolean-replicas"],
)
def test_bad_replica_counts_are_reported_at_their_line(doc: bytes, line: int, col: int, words: str) -> None:
    found = errors({**inventory("m1"), "w.yaml": doc})
    assert [(p, ln, c) for p, ln, c, _ in found] == [("w.yaml", line, col)]
    assert words in found[0][3]


@pytest.mark.parametrize(
    ("path", "content", "line", "col"),
    [
        ("w.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff}\n", 3, 18),
        ("w.yaml.j2", b"apiVersion: v1\nkind: ConfigMap\n\xc3\n", 3, 1),
    ],
    ids=["yaml", "jinja"],
)
def test_non_utf8_bytes_are_reported_where_they_are(path: str, content: bytes, line: int, col: int) -> None:
    found = errors({**inventory("m1"), path: content})
    assert [(p, ln, c) for p, ln, c, _ in found] == [(path, line, col)]
    assert "file is not UTF-8" in found[0][3]


def test_a_fleet_yaml_typo_adds_no_template_errors() -> None:
    fleet_yaml = FLEET_YAML + b"spec:\n  valuse: {domain: example.com}\n"
    template = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {d: '{{ values.domain }}'}\n"
    found = errors({**inventory("m1"), "fleet.yaml": fleet_yaml, "t.yaml.j2": template})
    assert [p for p, *_ in found] == ["fleet.yaml"]
    assert "spec.valuse: unknown field" in found[0][3]
