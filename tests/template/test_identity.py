"""What decides placement must not depend on ``cluster``; ``.j2`` files in the loader
and re-rendering one template for another target cluster."""

from __future__ import annotations

import textwrap

import pytest

from gitfleet.errors import InputError, TemplateError
from gitfleet.load import load_fleet, validate_files
from gitfleet.template import check_identity, render_for_cluster

BASE = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {"replicas": 3, "template": {"metadata": {"annotations": {"a": "1"}}}},
}


def changed(path: tuple[str, ...], value: object) -> dict[str, object]:
    import copy

    out = copy.deepcopy(BASE)
    node = out
    for step in path[:-1]:
        node = node.setdefault(step, {})  # type: ignore[assignment]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("path", "value", "label"),
    [
        (("apiVersion",), "apps/v1beta1", "apiVersion"),
        (("kind",), "StatefulSet", "kind"),
        (("metadata", "namespace"), "other", "metadata.namespace"),
        (("metadata", "name"), "web-2", "metadata.name"),
        (("metadata", "labels"), {"app": "web", "cluster": "m2"}, "metadata.labels"),
        (("spec", "replicas"), 5, "spec.replicas"),
        (("spec", "parallelism"), 2, "spec.parallelism"),
        (("spec", "completions"), 4, "spec.completions"),
    ],
)
def test_identity_fields_may_not_differ(path: tuple[str, ...], value: object, label: str) -> None:
    with pytest.raises(TemplateError) as info:
        check_identity(BASE, changed(path, value), "web.yaml.j2", line=3, cluster="m2")
    assert (info.value.path, info.value.line) == ("web.yaml.j2", 3)
    assert info.value.message.startswith(f"{label} depends on `cluster`")
    assert "for cluster 'm2'" in info.value.message and "placement" in info.value.message


@pytest.mark.parametrize(
    "other",
    [
        changed(("spec", "template", "metadata", "annotations"), {"a": "2"}),  # free to vary
        changed(("metadata", "annotations"), {"x": "y"}),
        {**BASE, "metadata": {"name": "web", "labels": {"app": "web"}}},  # namespace filled in later
    ],
    ids=["pod-annotations", "annotations", "namespace-absent"],
)
def test_other_fields_may_differ(other: dict[str, object]) -> None:
    check_identity(BASE, other, "web.yaml.j2")


INVENTORY = {
    f"clusters/{name}.yaml": (
        f"apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: {name}\n"
        f"  labels: {{size: {size}}}\nspec: {{region: {region}}}\n"
    ).encode()
    for name, size, region in [("zeta", "large", "us"), ("alpha", "small", "eu")]
}
FLEET_YAML = b"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: demo}\nspec:\n  values: {tag: v2}\n"
GOOD = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: 2
      template:
        spec:
          containers:
            - name: web
              image: "web:{{ values.tag }}-{{ cluster.region }}"
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: info
      namespace: shop
    data:
      size: {{ cluster.labels.size }}
    """).encode()


def test_j2_files_are_rendered_for_the_first_cluster_by_name() -> None:
    fleet = load_fleet({**INVENTORY, "fleet.yaml": FLEET_YAML, "t/web.yaml.j2": GOOD})
    web, info = sorted(fleet.templates, key=lambda t: t.doc_index)
    assert (web.key, web.doc_index, web.pos.line) == ("apps/v1/Deployment/default/web", 0, 1)
    assert (info.key, info.doc_index, info.pos.line) == ("v1/ConfigMap/shop/info", 1, 13)
    assert web.obj["spec"]["template"]["spec"]["containers"][0]["image"] == "web:v2-eu"  # alpha, eu
    assert info.obj["data"] == {"size": "small"}
    assert web.jinja_source == GOOD.decode()


def test_render_for_cluster_renders_again_and_fills_the_namespace() -> None:
    fleet = load_fleet({**INVENTORY, "fleet.yaml": FLEET_YAML, "t/web.yaml.j2": GOOD})
    zeta = next(c for c in fleet.clusters if c.name == "zeta")
    web = next(t for t in fleet.templates if t.id.kind == "Deployment")
    manifest = render_for_cluster(web, zeta, fleet)
    assert manifest["metadata"] == {"name": "web", "namespace": "default"}
    assert manifest["spec"]["template"]["spec"]["containers"][0]["image"] == "web:v2-us"


def test_render_for_cluster_returns_plain_templates_unchanged() -> None:
    doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
    fleet = load_fleet({**INVENTORY, "c.yaml": doc})
    (template,) = fleet.templates
    assert render_for_cluster(template, fleet.clusters[1], fleet) == template.obj


NAME_DEPENDS = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{{ cluster.name }}\n"
REPLICAS_DEPEND = (b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n"
                   b"  replicas: {{ 3 if cluster.labels.size == 'large' else 1 }}\n")
COUNT_DEPENDS = (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
                 b"{% if cluster.name == 'alpha' %}\n---\napiVersion: v1\nkind: ConfigMap\n"
                 b"metadata: {name: b}\n{% endif %}\n")


@pytest.mark.parametrize(
    ("text", "line", "words", "probe_tells"),
    [
        (NAME_DEPENDS, 1, ("metadata.name depends on `cluster` ('cfg-alpha' for the first cluster, "
                          "'cfg-zeta' for cluster 'zeta')"), True),
        # The probe changes label values: 'small' becomes another value that is not 'large' either.
        (REPLICAS_DEPEND, 1, "spec.replicas depends on `cluster` (1 for the first cluster, 3 for cluster 'zeta')",
         False),
        (COUNT_DEPENDS, 1, ("the number of documents depends on `cluster` (2 for the first cluster, 1 for "
                           "cluster 'zeta')"), True),
    ],
    ids=["name", "replicas", "document-count"],
)
def test_validate_renders_every_cluster_and_reports_identity_changes(
    text: bytes, line: int, words: str, probe_tells: bool
) -> None:
    files = {**INVENTORY, "t.yaml.j2": text}
    errors = [p for p in validate_files(files) if p.severity == "error"]
    assert [(p.path, p.line) for p in errors] == [("t.yaml.j2", line)]
    assert words in errors[0].message
    # load_fleet renders the first cluster and the probe; the plan checks the other
    # clusters as it renders them.
    if probe_tells:
        with pytest.raises(InputError, match="depends on `cluster`"):
            load_fleet(files)
        return
    fleet = load_fleet(files)
    with pytest.raises(TemplateError):
        for template in fleet.templates:
            render_for_cluster(template, fleet.clusters[1], fleet)


def test_load_fleet_can_check_every_cluster_too() -> None:
    with pytest.raises(InputError, match="metadata.name depends on `cluster`"):
        load_fleet({**INVENTORY, "t.yaml.j2": NAME_DEPENDS}, render_all_clusters=True)


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        (b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ nope }}\n", 4, 1, "'nope' is undefined"),
        (b"a: 1\n{{ ''.__class__.__mro__ }}\n", 2, 1, "template tried to leave its sandbox"),
        (b"{% include 'other.yaml' %}\n", 1, 1, "`include` is not allowed"),
        ((b"apiVersion: v1\nkind: ConfigMap\n{% for z in ['a', 'b'] %}\nmetadata: {{ z }}\n{% endfor %}\n"
         b"data: [\n"), 6, 1, "rendered template: invalid YAML"),
        (b"apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: '{{ fleet.name }}'}\n",
         2, 1, "kind: Cluster in a .j2 file: only resource templates may be Jinja2 templates"),
        ((b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: '{{ cluster.region }}'}\n"
         b"data:\n  k: 1\n  k: 2\n"), 6, 3, "rendered template: duplicate key 'k'"),
    ],
    ids=["undefined", "sandbox", "include", "yaml-after-loop", "cluster-in-j2", "duplicate-key"],
)
def test_template_problems_in_the_loader(text: bytes, line: int, col: int, words: str) -> None:
    errors = [p for p in validate_files({**INVENTORY, "t/x.yaml.j2": text}) if p.severity == "error"]
    assert [(p.path, p.line, p.col) for p in errors] == [("t/x.yaml.j2", line, col)], [str(p) for p in errors]
    assert words in errors[0].message


def test_j2_files_without_an_inventory_are_skipped_with_a_warning() -> None:
    fleet = load_fleet({"fleet.yaml": FLEET_YAML, "t.yaml.j2": NAME_DEPENDS})
    assert fleet.templates == ()
    assert fleet.warnings == ("t.yaml.j2:1:1: warning: not rendered: the inventory has no cluster to render it for",)


def test_render_for_cluster_results_are_owned_by_the_caller() -> None:
    fleet = load_fleet({**INVENTORY, "fleet.yaml": FLEET_YAML, "t/web.yaml.j2": GOOD,
                        "c.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {a: b}}\n"})
    for template in fleet.templates:
        manifest = render_for_cluster(template, fleet.clusters[0], fleet)
        manifest["metadata"].setdefault("labels", {})["mine"] = "x"
        assert "mine" not in (template.obj["metadata"].get("labels") or {})
