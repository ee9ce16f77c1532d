"""The incremental render equals a full render, byte for byte, after any edit.

A small fleet repo (clusters, propagation and override policies, Deployments that carry
their ConfigMaps and Secrets with propagateDeps, Jinja2 templates, a CRD and its custom
resource, a file with a Karmada control-plane kind) is edited step by step; after each
step the status tree of ``plan_increment`` applied to the previous render is compared
with the tree of a from-scratch render, and so are the warnings. Where the full render
fails, the incremental one must not produce a tree.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitfleet.errors import InputError
from gitfleet.load.loader import load_fleet
from gitfleet.model.plan import Plan
from gitfleet.plan import incremental
from gitfleet.plan.build import build_plan
from gitfleet.plan.incremental import (
    Fallback,
    Increment,
    RenderRecord,
    apply_increment,
    blob_id,
    decode_record,
    encode_record,
    patch_plan,
    plan_increment,
    render_full,
    try_increment,
)
from gitfleet.status.layout import LayoutError, plan_to_tree

TOOL = "test-tool"
Files = dict[str, bytes]

CLUSTER = """apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: {name}
  labels: {{env: {env}, region: {region}}}
spec:
  provider: aws
  region: {region}
  syncMode: Push
{taints}"""

APPS_POLICY = """apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: apps
  namespace: shop
spec:
  propagateDeps: {deps}
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      labelSelector:
        matchLabels: {{tier: web}}
  placement:
    clusterAffinity:
      labelSelector:
        matchLabels: {{env: {env}}}
    replicaScheduling:
      replicaSchedulingType: {scheduling}
{failover}---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata:
  name: shared
spec:
  resourceSelectors:
    - apiVersion: v1
      kind: ConfigMap
      labelSelector:
        matchLabels: {{shared: "yes"}}
    - apiVersion: example.com/v1
      kind: Widget
  placement:
    clusterAffinity:
      clusterNames: [{shared}]
"""

OVERRIDES = """apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata:
  name: mirror
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
  overrideRules:
    - targetCluster:
        labelSelector:
          matchLabels: {{env: prod}}
      overriders:
        imageOverrider:
          - component: Registry
            operator: replace
            value: {registry}
        annotationsOverrider:
          - operator: add
            value: {{note: "{note}"}}
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
  labels: {{tier: {tier}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: main
          image: ghcr.io/shop/{name}:{tag}
          envFrom:
            - configMapRef: {{name: {config}}}
      volumes:
        - name: creds
          secret: {{secretName: {secret}}}
"""

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: shop
  labels: {{shared: "{shared}"}}
data:
  value: "{value}"
"""

SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: {name}
  namespace: shop
stringData:
  password: {value}
"""

JINJA = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: shop
  labels: {{shared: "yes"}}
data:
  region: "{{{{ cluster.region }}}}"
  level: "{{{{ values.level }}}}{suffix}"
"""

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: {scope}
  names: {{kind: Widget, plural: widgets, singular: widget}}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}
"""

WIDGET = """apiVersion: example.com/v1
kind: Widget
metadata:
  name: {name}
{namespace}spec:
  size: {size}
"""

CONTROL_PLANE = """apiVersion: policy.karmada.io/v1alpha1
kind: FederatedResourceQuota
metadata:
  name: quota
  namespace: shop
spec: {{overall: {{cpu: "{cpu}"}}}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: beside-quota
  namespace: shop
data: {{cpu: "{cpu}"}}
"""


def cluster(name: str, env: str = "prod", region: str = "eu", tainted: bool = False) -> str:
    taints = "  taints:\n    - {key: dedicated, value: gpu, effect: NoSchedule}\n" if tainted else ""
    return CLUSTER.format(name=name, env=env, region=region, taints=taints)


def deployment(name: str, *, tier: str = "web", replicas: int = 4, tag: str = "1", config: str = "cm-0",
               secret: str = "s-0") -> str:
    return DEPLOYMENT.format(name=name, tier=tier, replicas=replicas, tag=tag, config=config, secret=secret)


def base_fleet() -> dict[str, str]:
    files = {
        "fleet.yaml": "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: inc}\n"
                      "spec:\n  values: {level: info}\n  exclude: ['docs/**']\n",
        "clusters/a.yaml": cluster("a", region="eu"),
        "clusters/b.yaml": cluster("b", region="us"),
        "clusters/c.yaml": cluster("c", env="dev", region="us"),
        "clusters/d.yaml": cluster("d", region="ap", tainted=True),
        "policies/apps.yaml": APPS_POLICY.format(deps="true", env="prod", scheduling="Duplicated",
                                                 shared="a, c", failover=""),
        "policies/overrides.yaml": OVERRIDES.format(registry="mirror.example", note="n1"),
        "templates/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
        "templates/crd.yaml": CRD.format(scope="Cluster"),
        "templates/widget.yaml": WIDGET.format(name="w1", size=1, namespace=""),
        "templates/quota.yaml": CONTROL_PLANE.format(cpu="4"),
        "templates/region.yaml.j2": JINJA.format(name="region", suffix=""),
        "docs/ignored.yaml": "not: [valid",
    }
    for i in range(4):
        files[f"templates/app-{i}.yaml"] = deployment(f"app-{i}", config=f"cm-{i % 3}", secret=f"s-{i % 2}")
    for j in range(3):
        files[f"templates/cm-{j}.yaml"] = CONFIGMAP.format(name=f"cm-{j}", shared="no", value=j)
    for j in range(2):
        files[f"templates/s-{j}.yaml"] = SECRET.format(name=f"s-{j}", value=f"clear-{j}")
    return files


# --------------------------------------------------------------------------- edits
# Each edit changes the fleet's files in place, drawing its details from ``rng``.

Edit = Callable[[dict[str, str], random.Random], None]


def _apps(files: dict[str, str]) -> list[str]:
    return sorted(p for p in files if p.startswith("templates/app-"))


def edit_template_image(files: dict[str, str], rng: random.Random) -> None:
    path = rng.choice(_apps(files) or ["templates/app-0.yaml"])
    name = path.removeprefix("templates/").removesuffix(".yaml")
    files[path] = deployment(name, tag=str(rng.randint(2, 9)), replicas=rng.randint(1, 6),
                             config=f"cm-{rng.randint(0, 3)}", secret=f"s-{rng.randint(0, 1)}")


def edit_template_labels(files: dict[str, str], rng: random.Random) -> None:
    """Moves a Deployment in or out of the apps policy (and its dependencies with it)."""
    path = rng.choice(_apps(files) or ["templates/app-0.yaml"])
    name = path.removeprefix("templates/").removesuffix(".yaml")
    files[path] = deployment(name, tier=rng.choice(["web", "batch"]), config=f"cm-{rng.randint(0, 2)}")


def edit_dependency(files: dict[str, str], rng: random.Random) -> None:
    j = rng.randint(0, 2)
    files[f"templates/cm-{j}.yaml"] = CONFIGMAP.format(name=f"cm-{j}", shared=rng.choice(["yes", "no"]),
                                                       value=rng.randint(0, 99))


def edit_secret(files: dict[str, str], rng: random.Random) -> None:
    j = rng.randint(0, 1)
    files[f"templates/s-{j}.yaml"] = SECRET.format(name=f"s-{j}", value=f"clear-{rng.randint(0, 99)}")


def add_template(files: dict[str, str], rng: random.Random) -> None:
    i = rng.randint(4, 7)
    files[f"templates/app-{i}.yaml"] = deployment(f"app-{i}", config=f"cm-{rng.randint(0, 3)}")


def remove_template(files: dict[str, str], rng: random.Random) -> None:
    candidates = _apps(files) + [p for p in ("templates/cm-2.yaml", "templates/s-1.yaml") if p in files]
    if candidates:
        del files[rng.choice(candidates)]


def restore_dependency(files: dict[str, str], rng: random.Random) -> None:
    files.setdefault("templates/cm-2.yaml", CONFIGMAP.format(name="cm-2", shared="no", value=rng.randint(0, 9)))
    files.setdefault("templates/s-1.yaml", SECRET.format(name="s-1", value="clear-1"))


def edit_policy(files: dict[str, str], rng: random.Random) -> None:
    files["policies/apps.yaml"] = APPS_POLICY.format(
        deps=rng.choice(["true", "false"]), env=rng.choice(["prod", "dev"]),
        scheduling=rng.choice(["Duplicated", "Divided"]), shared=rng.choice(["a, c", "b", "a, b, c, d"]),
        failover=rng.choice(["", "  failover: {application: {decisionConditions: {tolerationSeconds: 30}}}\n"]),
    )


def edit_override(files: dict[str, str], rng: random.Random) -> None:
    files["policies/overrides.yaml"] = OVERRIDES.format(registry=rng.choice(["mirror.example", "other.example"]),
                                                        note=f"n{rng.randint(0, 9)}")


def edit_cluster(files: dict[str, str], rng: random.Random) -> None:
    name = rng.choice("abcde")
    if name == "e" and rng.random() < 0.5:
        files.pop("clusters/e.yaml", None)
        return
    files[f"clusters/{name}.yaml"] = cluster(name, env=rng.choice(["prod", "dev"]),
                                             region=rng.choice(["eu", "us", "ap"]), tainted=rng.random() < 0.3)


def edit_fleet_values(files: dict[str, str], rng: random.Random) -> None:
    files["fleet.yaml"] = files["fleet.yaml"].replace("level: info", "level: debug") \
        if rng.random() < 0.5 else files["fleet.yaml"].replace("level: debug", "level: info")


def edit_jinja(files: dict[str, str], rng: random.Random) -> None:
    name = rng.choice(["region", "zone"])
    suffix = rng.choice(["", "-x", "{{ values.missing }}"])  # the last one is an error
    files[f"templates/{name}.yaml.j2"] = JINJA.format(name=name, suffix=suffix)


def edit_crd(files: dict[str, str], rng: random.Random) -> None:
    if rng.random() < 0.5:
        files["templates/crd.yaml"] = CRD.format(scope=rng.choice(["Cluster", "Namespaced"]))
    else:
        # With the CRD's scope Cluster, a namespace written on a Widget is dropped.
        files["templates/widget.yaml"] = WIDGET.format(name=rng.choice(["w1", "w2"]), size=rng.randint(1, 5),
                                                       namespace=rng.choice(["", "  namespace: shop\n"]))


def edit_control_plane_file(files: dict[str, str], rng: random.Random) -> None:
    """A file whose warnings (an ignored Karmada kind) change with it."""
    if "templates/quota.yaml" in files and rng.random() < 0.3:
        del files["templates/quota.yaml"]
    else:
        files["templates/quota.yaml"] = CONTROL_PLANE.format(cpu=rng.randint(1, 9))


def break_template(files: dict[str, str], rng: random.Random) -> None:
    broken = rng.choice([
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: shop}\n",  # no name
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop\n",  # bad YAML
        CONFIGMAP.format(name="cm-0", shared="no", value=1),  # duplicate of templates/cm-0.yaml
        deployment("app-0").replace("apps/v1", "apps/v1beta2"),  # same status file as app-0
    ])
    files[f"templates/broken-{rng.randint(0, 1)}.yaml"] = broken


def fix_templates(files: dict[str, str], rng: random.Random) -> None:
    for path in [p for p in files if p.startswith("templates/broken-")]:
        del files[path]
    files["templates/region.yaml.j2"] = JINJA.format(name="region", suffix="")
    files.pop("templates/zone.yaml.j2", None)


def touch_excluded(files: dict[str, str], rng: random.Random) -> None:
    files[f"docs/note-{rng.randint(0, 3)}.yaml"] = f"broken: [{rng.randint(0, 9)}"


EDITS: dict[str, Edit] = {
    f.__name__: f for f in (
        edit_template_image, edit_template_labels, edit_dependency, edit_secret, add_template,
        remove_template, restore_dependency, edit_policy, edit_override, edit_cluster,
        edit_fleet_values, edit_jinja, edit_crd, edit_control_plane_file, break_template,
        fix_templates, touch_excluded,
    )
}
# Edits of template files only: the incremental render must take these itself.
TEMPLATE_EDITS = ("edit_template_image", "edit_template_labels", "edit_dependency", "edit_secret",
                  "add_template", "remove_template", "restore_dependency", "edit_control_plane_file",
                  "touch_excluded")


# --------------------------------------------------------------------------- checking


def encode(files: dict[str, str]) -> Files:
    return {p: t.encode() for p, t in files.items()}


def full_render(files: Files) -> tuple[dict[str, bytes], Plan] | None:
    """The status tree and plan of a from-scratch render, None when it fails."""
    try:
        plan = build_plan(load_fleet(files))
        return plan_to_tree(plan), plan
    except (InputError, LayoutError):
        return None


def recorded(files: Files) -> tuple[dict[str, bytes], RenderRecord, Plan]:
    fleet = load_fleet(files)
    plan, record = render_full(fleet, files, TOOL)
    assert record is not None
    return plan_to_tree(plan), record, plan


def assert_same_plan(patched: Plan, full: Plan) -> None:
    """What the reconciler applies from a patched plan is what a full plan holds."""
    assert patched.placements == full.placements
    assert {c: dict(m) for c, m in patched.manifests.items()} == {c: dict(m) for c, m in full.manifests.items()}
    assert patched.warnings == full.warnings
    assert patched.failures == full.failures
    assert patched.explanations.keys() == full.explanations.keys()


class Session:
    """The previous successful render (tree, record and plan), as the status branch and
    the reconciler keep it."""

    def __init__(self, files: Files) -> None:
        self.tree, self.record, self.plan = recorded(files)
        self.incremental = 0
        self.fallbacks: list[str] = []

    def step(self, files: Files) -> None:
        expected = full_render(files)
        outcome = plan_increment(decode_record(encode_record(self.record)) or self.record, files, TOOL)
        if expected is None:
            assert isinstance(outcome, Fallback), "an invalid fleet must not render incrementally"
            return
        tree, full_plan = expected
        if isinstance(outcome, Fallback):
            self.fallbacks.append(outcome.reason)
            self.tree, self.record, self.plan = recorded(files)
            assert self.tree == tree
            return
        assert isinstance(outcome, Increment)
        new_tree = apply_increment(self.tree, outcome)
        assert sorted(new_tree) == sorted(tree)
        for path in tree:
            assert new_tree[path] == tree[path], path
        assert outcome.warnings == full_plan.warnings
        patched = patch_plan(self.plan, outcome)
        assert_same_plan(patched, full_plan)
        assert plan_to_tree(patched) == tree
        self.incremental += 1
        self.tree, self.record = {p: bytes(b) for p, b in new_tree.items()}, outcome.record  # type: ignore[arg-type]
        self.plan = patched


def run_edits(steps: list[tuple[str, int]]) -> Session:
    files = base_fleet()
    session = Session(encode(files))
    for name, seed in steps:
        EDITS[name](files, random.Random(seed))
        session.step(encode(files))
    return session


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("edit", sorted(EDITS), ids=sorted(EDITS))
def test_each_edit_equals_a_full_render(edit: str) -> None:
    session = run_edits([(edit, seed) for seed in range(4)] + [("fix_templates", 0), (edit, 99)])
    if edit in TEMPLATE_EDITS:
        assert session.incremental >= 1, session.fallbacks


@pytest.mark.parametrize("seed", range(6), ids=[f"seed{s}" for s in range(6)])
def test_random_edit_sequences(seed: int) -> None:
    rng = random.Random(seed)
    names = sorted(EDITS)
    weights = [4 if n in TEMPLATE_EDITS else 1 for n in names]
    session = run_edits([(rng.choices(names, weights)[0], rng.randint(0, 10**6)) for _ in range(25)])
    assert session.incremental >= 5, session.fallbacks


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(sorted(EDITS)), st.integers(0, 10**6)), min_size=1, max_size=8))
def test_any_edit_sequence_equals_a_full_render(steps: list[tuple[str, int]]) -> None:
    run_edits(steps)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ("policies/apps.yaml", "holds clusters, policies or CRDs"),
        ("clusters/a.yaml", "holds clusters, policies or CRDs"),
        ("templates/crd.yaml", "holds clusters, policies or CRDs"),
        ("fleet.yaml", "fleet.yaml changed"),
    ],
    ids=["policy", "cluster", "crd", "fleet-yaml"],
)
def test_a_global_change_falls_back(edit: str, reason: str) -> None:
    files = encode(base_fleet())
    _, record, _ = recorded(files)
    files[edit] += b"# changed\n"
    outcome = plan_increment(record, files, TOOL)
    assert isinstance(outcome, Fallback) and reason in outcome.reason


@pytest.mark.parametrize(
    ("path", "text", "reason"),
    [
        ("templates/new.yaml", cluster("z"), "now defines a Cluster"),
        ("templates/app-0.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: shop}\n", "does not load"),
        ("templates/new.yaml", CONFIGMAP.format(name="cm-1", shared="no", value=1), "another file defines"),
    ],
    ids=["new-cluster", "template-error", "duplicate"],
)
def test_a_changed_template_that_needs_the_full_render(path: str, text: str, reason: str) -> None:
    files = encode(base_fleet())
    _, record, _ = recorded(files)
    files[path] = text.encode()
    outcome = plan_increment(record, files, TOOL)
    assert isinstance(outcome, Fallback) and reason in outcome.reason


def test_a_workload_change_replans_its_old_and_new_dependencies() -> None:
    files = base_fleet()
    tree, record, _ = recorded(encode(files))
    files["templates/app-0.yaml"] = deployment("app-0", config="cm-1", secret="s-1")  # was cm-0, s-0
    outcome = plan_increment(record, encode(files), TOOL)
    assert isinstance(outcome, Increment)
    assert set(outcome.replanned) == {"apps/v1/Deployment/shop/app-0", "v1/ConfigMap/shop/cm-0",
                                      "v1/ConfigMap/shop/cm-1", "v1/Secret/shop/s-0", "v1/Secret/shop/s-1"}
    assert apply_increment(tree, outcome) == full_render(encode(files))[0]  # type: ignore[index]


def test_unchanged_files_change_nothing() -> None:
    files = encode(base_fleet())
    tree, record, _ = recorded(files)
    outcome = plan_increment(record, files, TOOL)
    assert isinstance(outcome, Increment)
    assert outcome.replanned == () and outcome.changes == {}
    assert apply_increment(tree, outcome) == tree


def test_another_tool_falls_back() -> None:
    files = encode(base_fleet())
    _, record, _ = recorded(files)
    assert isinstance(plan_increment(record, files, TOOL + "-2"), Fallback)


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],
        lambda b: b[:40] + bytes([b[40] ^ 1]) + b[41:],
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),
        lambda b: b"",
        lambda b: b"not a record at all",
    ],
    ids=["truncated", "flipped-digest", "flipped-body", "empty", "foreign"],
)
def test_a_damaged_record_is_a_cache_miss(damage: Callable[[bytes], bytes]) -> None:
    _, record, _ = recorded(encode(base_fleet()))
    data = encode_record(record)
    assert decode_record(data) == record
    assert decode_record(damage(data)) is None


def test_blob_id_is_gits() -> None:
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object


def test_a_bug_in_the_incremental_render_becomes_a_failed_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    files = encode(base_fleet())
    _, record, _ = recorded(files)
    edited = encode({**base_fleet(), "templates/app-0.yaml": base_fleet()["templates/app-0.yaml"] + "\n"})
    assert isinstance(try_increment(record, edited, TOOL), Increment)

    def broken(*args: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(incremental, "_replan", broken)
    outcome = try_increment(record, edited, TOOL)
    assert isinstance(outcome, Fallback) and outcome.failed
    assert "KeyError" in outcome.reason and "a bug" in outcome.reason
    # An input that only a full render can take is a plain Fallback, not a failure.
    policy_edit = encode({**base_fleet(), "policies/apps.yaml": base_fleet()["policies/apps.yaml"] + "\n"})
    plain = try_increment(record, policy_edit, TOOL)
    assert isinstance(plain, Fallback) and not plain.failed
