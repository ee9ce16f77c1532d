"""Render benchmark: how long gitfleet takes to place and render a large fleet, next to
the way users do it today (one ``kubectl kustomize`` overlay per cluster).

    python bench/render.py [--clusters 200] [--templates 50] [--repeat 3] [--out FILE]
    python bench/render.py --clusters 10000 --templates 20      # scaling (issue 9)

prints one JSON object: the in-memory plan time (load + build_plan), the ``render -o``
time of the CLI, manifests per second, peak RSS, the kustomize baseline timed in the
same run, the ratio baseline/gitfleet, and the issue's budgets with pass/fail. Figures
are medians over ``--repeat`` runs. See bench/README.md for what is measured and how.

With ``--scaling`` (the default from 5,000 clusters, where one kustomize overlay per
cluster would take hours) it measures instead how ``gitfleet validate`` and the render
grow: both at ``--scale-from`` clusters (a tenth of ``--clusters`` by default) and at
``--clusters``, their time and peak memory, and the ratios, which stay near the ratio
of cluster counts when the growth is linear (issue 9: 10,000 clusters took 98 s and
942 MB to validate, growing quadratically; budget: under 20 s and 1 GiB).

The synthetic fleet is deterministic (fixed seed): the same arguments give the same
repo, so runs on different days compare.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# bench/ is not a package: make its helpers importable however this file is run.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    FRESH_ARGS,
    MODES,
    REPO_ROOT,
    ChildRun,
    budget,
    median,
    memory_budget,
    memory_vs_fresh,
    orders,
    python_env,
    run_child,
    status_tree_size,
)

try:  # the C emitter: the baseline files are written fast so generation stays cheap
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover - libyaml is installed here
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]

KUBECTL = "/usr/bin/kubectl"
NAMESPACE = "bench"
GROUP_LABEL = "bench.gitfleet.io/group"
REGIONS: dict[str, tuple[str, ...]] = {
    "aws": ("us-east-1", "eu-west-1", "ap-southeast-1"),
    "gcp": ("us-central1", "europe-west4"),
    "azure": ("eastus", "westeurope"),
}
PROVIDER_WEIGHTS = {"aws": 3, "gcp": 2, "azure": 1}
# Policy shapes, cycled over the policies (group j gets shape j % 5).
DUPLICATED, STATIC, DYNAMIC, SPREAD, TOLERATING = range(5)
BUDGET_PLAN_S = 3.0
BUDGET_RENDER_S = 15.0
BUDGET_SPEEDUP = 5.0
BUDGET_RSS_MIB = 1024.0
BUDGET_VALIDATE_S = 20.0  # at --clusters, in --scaling mode
BUDGET_VALIDATE_RSS_MIB = 1024.0
# Linear growth: the time ratio stays within this factor of the cluster ratio (a
# quadratic one would be the cluster ratio squared).
LINEAR_SLACK = 1.5
SCALING_FROM = 5000
STATUS_BRANCH = "gitfleet/status"  # the default; the synthetic fleet.yaml names none


@dataclass
class _Cluster:
    name: str
    provider: str
    region: str
    zones: list[str]
    env: str
    gpu: bool
    obj: dict[str, Any]


@dataclass
class _App:
    """One app of the fleet: up to a Deployment, a Service and a ConfigMap."""

    name: str
    group: int
    shape: int
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> manifest
    jinja_configmap: bool = False


@dataclass
class _Spec:
    clusters: list[_Cluster]
    apps: list[_App]
    propagation: list[dict[str, Any]]
    overrides: list[dict[str, Any]]
    templates: int


# --------------------------------------------------------------------------- fleet model


def _clusters(count: int, rng: random.Random) -> list[_Cluster]:
    pairs = [(p, r) for p, regions in REGIONS.items() for r in regions]
    out = []
    for i in range(count):
        provider, region = pairs[i % len(pairs)]
        zones = [f"{region}-{z}" for z in "abc"[: 1 + i % 2]]
        env = "staging" if i % 4 == 3 else "prod"
        gpu = i % 50 == 49
        name = f"c{i:03d}-{provider}-{region}"
        summary = {
            "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "110"},
            "allocated": {
                "cpu": str(rng.randint(10, 50)),
                "memory": f"{rng.randint(50, 200)}Gi",
                "pods": str(rng.randint(40, 100)),
            },
        }
        obj: dict[str, Any] = {
            "apiVersion": "cluster.karmada.io/v1alpha1",
            "kind": "Cluster",
            "metadata": {"name": name, "labels": {
                "env": env, "tier": "gpu" if gpu else "general",
                "team": f"team-{i % 7}",
            }},
            "spec": {
                "syncMode": "Pull" if i % 10 == 9 else "Push",
                "provider": provider, "region": region, "zones": zones,
            },
            "status": {"resourceSummary": summary},
        }
        if gpu:
            obj["spec"]["taints"] = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
        out.append(_Cluster(name, provider, region, zones, env, gpu, obj))
    return out


def _deployment(app: _App, replicas: int) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": app.name, GROUP_LABEL: f"g{app.group}"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": app.name, "namespace": NAMESPACE, "labels": dict(labels),
                     "annotations": {"bench.gitfleet.io/owner": f"team-{app.group % 7}"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": app.name}},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": [{
                    "name": "app",
                    "image": f"ghcr.io/bench/{app.name}:1.0.{app.group}",
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "envFrom": [{"configMapRef": {"name": app.name}}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                  "limits": {"memory": "256Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}},
                    "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"},
                                      "initialDelaySeconds": 10},
                }]},
            },
        },
    }


def _service(app: _App) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": app.name, "namespace": NAMESPACE,
                     "labels": {"app.kubernetes.io/name": app.name, GROUP_LABEL: f"g{app.group}"},
                     "annotations": {"bench.gitfleet.io/owner": f"team-{app.group % 7}"}},
        "spec": {"selector": {"app.kubernetes.io/name": app.name},
                 "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }


def _configmap(app: _App, region: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": app.name, "namespace": NAMESPACE,
                     "labels": {"app.kubernetes.io/name": app.name, GROUP_LABEL: f"g{app.group}"},
                     "annotations": {"bench.gitfleet.io/owner": f"team-{app.group % 7}"}},
        "data": {"LOG_LEVEL": "info", "REGION": region,
                 "FEATURES": "search,checkout,recommendations"},
    }


def _apps(templates: int, policies: int, clusters: int) -> list[_App]:
    """``templates - 1`` app documents (the Namespace is the last template)."""
    apps: list[_App] = []
    kinds = ("Deployment", "Service", "ConfigMap")
    for t in range(max(templates - 1, 0)):
        index, kind = divmod(t, 3)
        if kind == 0:
            group = index % max(policies, 1)
            apps.append(_App(f"app-{index:03d}", group, group % 5, jinja_configmap=index % 4 == 1))
        app = apps[-1]
        if kinds[kind] == "Deployment":
            # Divided shapes need at least ~2 replicas per cluster for every cluster to
            # get some, as in a big fleet running one pod set per cluster.
            replicas = 2 * clusters if app.shape in (STATIC, DYNAMIC) else 3
            app.docs["Deployment"] = _deployment(app, replicas)
        elif kinds[kind] == "Service":
            app.docs["Service"] = _service(app)
        else:
            app.docs["ConfigMap"] = _configmap(app, "placeholder")
    return apps


def _selectors(group: int) -> list[dict[str, Any]]:
    match = {"matchLabels": {GROUP_LABEL: f"g{group}"}}
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": match},
        {"apiVersion": "v1", "kind": "Service", "labelSelector": match},
        {"apiVersion": "v1", "kind": "ConfigMap", "labelSelector": match},
    ]


def _field(key: str, *values: str, operator: str = "In") -> dict[str, Any]:
    return {"fieldSelector": {"matchExpressions": [
        {"key": key, "operator": operator, "values": list(values)}]}}


def _propagation_policy(group: int, clusters: int) -> dict[str, Any]:
    shape = group % 5
    placement: dict[str, Any]
    if shape == DUPLICATED:
        placement = {"clusterAffinity": {"labelSelector": {"matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "staging"]}]}}}
    elif shape == STATIC:
        placement = {"replicaScheduling": {
            "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
            "weightPreference": {"staticWeightList": [
                {"targetCluster": _field("provider", p), "weight": w}
                for p, w in PROVIDER_WEIGHTS.items()]}}}
    elif shape == DYNAMIC:
        placement = {
            "clusterAffinity": {"labelSelector": {"matchExpressions": [
                {"key": "tier", "operator": "NotIn", "values": ["gpu"]}]}},
            "replicaScheduling": {
                "replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                "weightPreference": {"dynamicWeight": "AvailableReplicas"}}}
    elif shape == SPREAD:
        regions = sum(len(r) for r in REGIONS.values())
        placement = {"spreadConstraints": [
            {"spreadByField": "region", "minGroups": regions, "maxGroups": regions},
            {"spreadByField": "cluster", "minGroups": 2, "maxGroups": max(2, clusters * 9 // 10)},
        ]}
    else:
        placement = {
            "clusterAffinity": {"labelSelector": {"matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "staging"]}]}},
            "clusterTolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        }
    return {
        "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
        "metadata": {"name": f"pp-g{group:02d}", "namespace": NAMESPACE},
        "spec": {"resourceSelectors": _selectors(group), "placement": placement},
    }


def _registry(provider: str) -> str:
    return f"mirror.{provider}.bench.example"


def _override_policy(index: int, policies: int) -> dict[str, Any]:
    group = index % max(policies, 1)
    rules: list[dict[str, Any]] = [
        {"targetCluster": _field("provider", p),
         "overriders": {"imageOverrider": [
             {"component": "Registry", "operator": "replace", "value": _registry(p)}]}}
        for p in REGIONS
    ]
    rules.append({
        "targetCluster": {"labelSelector": {"matchLabels": {"env": "staging"}}},
        "overriders": {
            "labelsOverrider": [{"operator": "add", "value": {"bench.gitfleet.io/stage": "canary"}}],
            "plaintext": [{"operator": "add", "path": "/metadata/annotations/bench.gitfleet.io~1tuned",
                           "value": f"ov-{index}"}],
        },
    })
    return {
        "apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
        "metadata": {"name": f"ov-{index:02d}", "namespace": NAMESPACE},
        "spec": {"resourceSelectors": _selectors(group), "overrideRules": rules},
    }


def _spec(clusters: int, templates: int, policies: int, overrides: int) -> _Spec:
    rng = random.Random(20240611)
    return _Spec(
        clusters=_clusters(clusters, rng),
        apps=_apps(templates, policies, clusters),
        propagation=[_propagation_policy(j, clusters) for j in range(policies)],
        overrides=[_override_policy(k, policies) for k in range(overrides)],
        templates=templates,
    )


# --------------------------------------------------------------------------- writers


def _dump(docs: list[Any]) -> str:
    return yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, default_flow_style=False)


def _jinja_configmap(doc: dict[str, Any]) -> str:
    """The ConfigMap as a Jinja2 template whose REGION comes from the target cluster."""
    text = _dump([doc])
    return text.replace("REGION: placeholder", 'REGION: "{{ cluster.region }}"').replace(
        "LOG_LEVEL: info", 'LOG_LEVEL: "{{ values.logLevel }}"')


def _namespace() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": NAMESPACE, "labels": {"app.kubernetes.io/part-of": "bench"}}}


def generate_fleet(
    root: Path, clusters: int = 200, templates: int = 50, policies: int = 10, overrides: int = 10
) -> None:
    """Write a synthetic fleet repo to ``root`` (created; must not hold another fleet).

    ``clusters`` clusters over 3 providers, 7 regions and their zones, with capacity in
    ``status.resourceSummary`` and 2% tainted ``dedicated=gpu:NoSchedule``;
    ``templates`` templates (a Namespace, then Deployments, Services and ConfigMaps in
    turn, a quarter of the ConfigMaps Jinja2); ``policies`` PropagationPolicies cycling
    Duplicated / static weights / dynamic weights / region+cluster spread / every cluster
    with a toleration of the GPU taint; ``overrides`` OverridePolicies with image, labels and plaintext overriders.
    The default sizes place about 10,000 manifests.
    """
    spec = _spec(clusters, templates, policies, overrides)
    root.mkdir(parents=True, exist_ok=True)
    (root / "fleet.yaml").write_text(_dump([{
        "apiVersion": "gitfleet.io/v1alpha1", "kind": "Fleet",
        "metadata": {"name": "bench"},
        "spec": {"values": {"logLevel": "info"},
                 "apply": {"prune": True, "drift": "correct", "maxPruneFraction": 0.3}},
    }]))
    for folder in ("clusters", "policies", "templates"):
        (root / folder).mkdir(exist_ok=True)
    for cluster in spec.clusters:
        (root / "clusters" / f"{cluster.name}.yaml").write_text(_dump([cluster.obj]))
    (root / "policies" / "propagation.yaml").write_text(_dump(spec.propagation))
    (root / "policies" / "overrides.yaml").write_text(_dump(spec.overrides))
    if templates > 0:
        (root / "templates" / "namespace.yaml").write_text(_dump([_namespace()]))
    for app in spec.apps:
        for kind, doc in app.docs.items():
            if kind == "ConfigMap" and app.jinja_configmap:
                (root / "templates" / f"{app.name}-configmap.yaml.j2").write_text(_jinja_configmap(doc))
            else:
                (root / "templates" / f"{app.name}-{kind.lower()}.yaml").write_text(_dump([doc]))


def _estimated_replicas(app: _App, cluster: _Cluster, spec: _Spec) -> int:
    """What a user would hand-write in each overlay: an even share of the total by the
    same weights (the baseline measures kustomize's rendering, not the decision)."""
    total = app.docs["Deployment"]["spec"]["replicas"]
    if app.shape == STATIC:
        weights = sum(PROVIDER_WEIGHTS[c.provider] for c in spec.clusters)
        return max(1, round(total * PROVIDER_WEIGHTS[cluster.provider] / weights))
    if app.shape == DYNAMIC:
        return max(1, round(total / len(spec.clusters)))
    return int(total)


def generate_kustomize(
    root: Path, clusters: int = 200, templates: int = 50, policies: int = 10, overrides: int = 10
) -> list[Path]:
    """The same fleet as ``generate_fleet``, the way users do it today: a kustomize base
    with every template and one overlay per cluster whose ``images``, ``replicas`` and
    JSON 6902 ``patches`` do what the override policies and the replica division do.
    Returns the overlay folders."""
    spec = _spec(clusters, templates, policies, overrides)
    base = root / "base"
    base.mkdir(parents=True, exist_ok=True)
    files = []
    if templates > 0:
        (base / "namespace.yaml").write_text(_dump([_namespace()]))
        files.append("namespace.yaml")
    for app in spec.apps:
        for kind, doc in app.docs.items():
            name = f"{app.name}-{kind.lower()}.yaml"
            (base / name).write_text(_dump([doc]))
            files.append(name)
    (base / "kustomization.yaml").write_text(_dump([{
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": files}]))
    groups_with_override = {k % max(policies, 1) for k in range(overrides)}
    overlays = []
    for cluster in spec.clusters:
        images, replicas, patches = [], [], []
        for app in spec.apps:
            if "Deployment" in app.docs:
                replicas.append({"name": app.name, "count": _estimated_replicas(app, cluster, spec)})
                if app.group in groups_with_override:
                    image = app.docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"]
                    repo = image.split(":")[0]
                    images.append({"name": repo,
                                   "newName": f"{_registry(cluster.provider)}/{repo.split('/', 1)[1]}"})
            if "ConfigMap" in app.docs and app.jinja_configmap:
                patches.append({"target": {"kind": "ConfigMap", "name": app.name}, "patch": _dump([[
                    {"op": "replace", "path": "/data/REGION", "value": cluster.region}]])})
        if cluster.env == "staging":
            for k in range(overrides):
                patches.append({
                    "target": {"labelSelector": f"{GROUP_LABEL}=g{k % max(policies, 1)}"},
                    "patch": _dump([[
                        {"op": "add", "path": "/metadata/labels/bench.gitfleet.io~1stage", "value": "canary"},
                        {"op": "add", "path": "/metadata/annotations/bench.gitfleet.io~1tuned",
                         "value": f"ov-{k}"},
                    ]])})
        overlay = root / "overlays" / cluster.name
        overlay.mkdir(parents=True, exist_ok=True)
        kustomization: dict[str, Any] = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": ["../../base"], "replicas": replicas,
        }
        if images:
            kustomization["images"] = images
        if patches:
            kustomization["patches"] = patches
        (overlay / "kustomization.yaml").write_text(_dump([kustomization]))
        overlays.append(overlay)
    return overlays


# --------------------------------------------------------------------------- measuring

_PLAN_WORKER = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from gitfleet.git.worktree import read_directory
from gitfleet.load.loader import load_fleet
from gitfleet.plan.build import build_plan
mode = sys.argv[2]  # memory | fresh | none
if mode != "none":
    from gitfleet.git.source import open_source
    from gitfleet.service.recall import read_memory
    from gitfleet.status.layout import status_branch_name
t1 = time.perf_counter()
files = read_directory(Path(sys.argv[1]))
t2 = time.perf_counter()
fleet = load_fleet(files)
t3 = time.perf_counter()
# memory: the state recorded on the status branch, read as every render reads it;
# fresh: what --fresh schedules with (no state); none: build_plan(fleet) as before issue 10.
memory = None
if mode == "memory":
    memory = read_memory(open_source(sys.argv[1], fetch=False), status_branch_name(files.get("fleet.yaml")))
elif mode == "fresh":
    memory = read_memory(None, "", fresh=True)
t4 = time.perf_counter()
plan = build_plan(fleet, memory)
t5 = time.perf_counter()
manifests = sum(len(m) for m in plan.manifests.values())
out = {"import_s": t1 - t0, "read_s": t2 - t1, "load_s": t3 - t2, "memory_s": t4 - t3, "build_s": t5 - t4,
       "manifests": manifests, "placements": len(plan.placements),
       "remembered": len(memory.state.resources) if memory is not None else 0,
       "unplaced": sum(1 for p in plan.placements if not p.clusters),
       "failures": sum(len(f) for f in plan.failures.values())}
if len(sys.argv) > 3:
    # Emitter comparison on a sample of the plan's manifests (the issue's hot spot).
    import io
    import yaml
    try:
        from ruamel.yaml import YAML
    except ImportError:  # a dev extra: the comparison goes on without it
        YAML = None
    sample = [m for c in sorted(plan.manifests) for _, m in sorted(plan.manifests[c].items())]
    sample = [json.loads(json.dumps(m)) for m in sample[:1000]]
    def rate(fn):
        t = time.perf_counter(); fn(); return round(len(sample) / (time.perf_counter() - t))
    def ruamel(typ, pure):
        if YAML is None:
            return "ruamel.yaml not installed"
        y = YAML(typ=typ, pure=pure); buf = io.StringIO()
        return rate(lambda: [y.dump(m, buf) for m in sample])
    out["yaml_emit_manifests_per_s"] = {
        "pyyaml_csafe": rate(lambda: [yaml.dump(m, Dumper=yaml.CSafeDumper) for m in sample]),
        "pyyaml_safe_pure": rate(lambda: [yaml.dump(m, Dumper=yaml.SafeDumper) for m in sample]),
        "ruamel_safe": ruamel("safe", False),
        "ruamel_rt": ruamel("rt", False),
        "json": rate(lambda: [json.dumps(m, sort_keys=True) for m in sample]),
    }
print(json.dumps(out))
"""


def _plan_run(repo: Path, emit: bool, mode: str = "none") -> tuple[dict[str, Any], ChildRun]:
    """Load + plan in a fresh process; ``mode`` is the memory it plans with (see the worker)."""
    argv = [sys.executable, "-c", _PLAN_WORKER, str(repo), mode] + (["emit"] if emit else [])
    run = run_child(argv, cwd=REPO_ROOT, env=python_env())
    if run.returncode != 0:
        raise RuntimeError(f"in-memory plan failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1]), run


def _render_run(repo: Path, out_dir: Path, *flags: str, env: dict[str, str] | None = None) -> ChildRun:
    shutil.rmtree(out_dir, ignore_errors=True)
    run = run_child([sys.executable, "-m", "gitfleet", "render", str(repo), "--output-dir", str(out_dir), *flags],
                    cwd=REPO_ROOT, env=env or python_env())
    if run.returncode != 0:
        raise RuntimeError(f"gitfleet render --output-dir failed ({run.returncode}):\n{run.stderr[-3000:]}")
    return run


def _kustomize_run(overlays: list[Path], out_dir: Path) -> tuple[float, float]:
    """Seconds for all overlays, one ``kubectl kustomize`` each, and the peak RSS of one."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    start = time.perf_counter()
    peak = 0.0
    for overlay in overlays:
        run = run_child([KUBECTL, "kustomize", str(overlay), "-o", str(out_dir / f"{overlay.name}.yaml")])
        if run.returncode != 0:
            raise RuntimeError(f"kubectl kustomize {overlay} failed:\n{run.stderr[-2000:]}")
        peak = max(peak, run.max_rss_mib)
    return time.perf_counter() - start, peak


def _count_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*.yaml") if p.name != "placements.yaml")


def _fs_floor(rendered: Path, scratch: Path) -> float:
    """Seconds to create the files of ``rendered`` again (same folders, sizes and
    filesystem) with plain ``open``/``write``: the part of ``render -o`` no YAML or
    planning speed-up can remove."""
    files = [(p.relative_to(rendered), p.stat().st_size) for p in rendered.rglob("*") if p.is_file()]
    shutil.rmtree(scratch, ignore_errors=True)
    start = time.perf_counter()
    made: set[Path] = set()
    for rel, size in files:
        target = scratch / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        with open(target, "wb") as out:
            out.write(b"x" * size)
    seconds = time.perf_counter() - start
    shutil.rmtree(scratch, ignore_errors=True)
    return seconds


def kubectl_version() -> str:
    run = run_child([KUBECTL, "version", "--client"])
    return " / ".join(line.strip() for line in run.stdout.splitlines() if line.strip())


def _commit_fleet(repo: Path) -> str:
    """Put the fleet folder in Git: one commit on ``main``."""
    import pygit2

    git = pygit2.init_repository(str(repo), initial_head="main")
    git.index.add_all()
    git.index.write()
    sig = pygit2.Signature("bench", "bench@example.com")
    return str(git.create_commit("HEAD", sig, sig, "fleet", git.index.write_tree(), []))


def _record_memory(repo: Path, work: Path) -> tuple[dict[str, str], ChildRun]:
    """The fleet in Git with its render recorded on the status branch (``render
    --commit``), so that every later render schedules with the state it left, as on a
    fleet the reconciler keeps; the environment for the children (a render cache in the
    work folder)."""
    env = python_env()
    env["GITFLEET_CACHE"] = str(work / "gitfleet-cache")
    _commit_fleet(repo)
    run = run_child([sys.executable, "-m", "gitfleet", "render", str(repo), "--commit"], cwd=REPO_ROOT, env=env)
    if run.returncode != 0:
        raise RuntimeError(f"gitfleet render --commit failed ({run.returncode}):\n{run.stderr[-3000:]}")
    return env, run


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    repo, plain, kroot = work / "fleet", work / "fleet-plain", work / "kustomize"
    load_before = os.getloadavg()
    t = time.perf_counter()
    generate_fleet(repo, args.clusters, args.templates, args.policies, args.overrides)
    shutil.copytree(repo, plain)  # the same fleet outside Git: a render reads no memory there
    overlays = generate_kustomize(kroot, args.clusters, args.templates, args.policies, args.overrides)
    generate_s = time.perf_counter() - t
    env, recorded = _record_memory(repo, work)
    plans: dict[str, list[tuple[float, float, float, float]]] = {m: [] for m in (*MODES, "none")}
    renders: dict[str, list[tuple[float, float]]] = {m: [] for m in (*MODES, "plain")}
    kustomizes: list[tuple[float, float]] = []
    floors: list[float] = []
    plan_info: dict[str, Any] = {}
    for i, order in enumerate(orders(args.repeat)):
        for mode in (*order, "none"):
            emit = i == 0 and mode == "memory" and not args.no_emit_compare
            info, run = _plan_run(repo, emit=emit, mode=mode)
            if mode == "memory":
                plan_info = {**info, **{k: v for k, v in plan_info.items() if k.startswith("yaml_emit")}}
            plans[mode].append((info["load_s"] + info["memory_s"] + info["build_s"], info["read_s"],
                                run.max_rss_mib, info["memory_s"]))
        for mode in order:
            render = _render_run(repo, work / f"render-out-{mode}", *(FRESH_ARGS if mode == "fresh" else ()),
                                 env=env)
            renders[mode].append((render.seconds, render.max_rss_mib))
        render = _render_run(plain, work / "render-out-plain", env=env)
        renders["plain"].append((render.seconds, render.max_rss_mib))
        floors.append(_fs_floor(work / "render-out-memory", work / "fs-floor"))
        if not args.skip_baseline:
            kustomizes.append(_kustomize_run(overlays, work / "kustomize-out"))
    written = _count_files(work / "render-out-memory")
    manifests = plan_info["manifests"]
    plan_s = median([p[0] for p in plans["memory"]])
    render_s = median([r[0] for r in renders["memory"]])
    rss = max(max(p[2] for p in plans["memory"]), max(r[1] for r in renders["memory"]))
    compared = {
        "plan_in_memory_s": memory_vs_fresh([p[0] for p in plans["memory"]], [p[0] for p in plans["fresh"]]),
        "render_o_s": memory_vs_fresh([r[0] for r in renders["memory"]], [r[0] for r in renders["fresh"]]),
        "plan_peak_rss_mib": memory_vs_fresh([p[2] for p in plans["memory"]], [p[2] for p in plans["fresh"]]),
        "render_o_peak_rss_mib": memory_vs_fresh([r[1] for r in renders["memory"]],
                                                 [r[1] for r in renders["fresh"]]),
    }
    before = {"plan_in_memory_s_no_memory": median([p[0] for p in plans["none"]]),
              "render_o_s_plain_folder": median([r[0] for r in renders["plain"]])}
    result: dict[str, Any] = {
        "fleet": {"clusters": args.clusters, "templates": args.templates, "policies": args.policies,
                  "overrides": args.overrides, "placements": plan_info["placements"],
                  "resources_remembered": plan_info["remembered"],
                  "unplaced": plan_info["unplaced"], "override_failures": plan_info["failures"],
                  "manifests_placed": manifests, "files_written_by_render": written},
        "repeat": args.repeat,
        "generate_s": round(generate_s, 3),
        "record_memory_render_commit_s": round(recorded.seconds, 3),
        "plan_in_memory_s": plan_s,
        "plan_breakdown_s": {"read_files": median([p[1] for p in plans["memory"]]),
                             "load_plus_memory_plus_build": plan_s,
                             "memory_read": median([p[3] for p in plans["memory"]]),
                             "last_run": {k: round(plan_info[k], 3) for k in ("load_s", "memory_s", "build_s")}},
        "render_o_s": render_s,
        "render_o_fs_floor_s": median(floors),
        "manifests_per_s": {"plan": round(manifests / plan_s), "render_o": round(manifests / render_s)},
        "peak_rss_mib": {"plan": round(max(p[2] for p in plans["memory"]), 1),
                         "render_o": round(max(r[1] for r in renders["memory"]), 1)},
        "memory_vs_fresh": compared,
        "without_memory_code": {
            **before,
            "plan_in_memory_s_over_no_memory": round(plan_s / before["plan_in_memory_s_no_memory"], 3),
            "render_o_s_over_plain_folder": round(render_s / before["render_o_s_plain_folder"], 3),
        },
        "status_tree_size": status_tree_size(repo, STATUS_BRANCH),
        "runs": {"plan_s": [round(p[0], 3) for p in plans["memory"]],
                 "render_o_s": [round(r[0], 3) for r in renders["memory"]],
                 "order": [list(o) for o in orders(args.repeat)]},
    }
    result["loadavg"] = {"before": [round(x, 2) for x in load_before],
                         "after": [round(x, 2) for x in os.getloadavg()]}
    if "yaml_emit_manifests_per_s" in plan_info:
        result["yaml_emit_manifests_per_s"] = plan_info["yaml_emit_manifests_per_s"]
    budgets: dict[str, Any] = {
        "plan_in_memory_s": budget(plan_s, BUDGET_PLAN_S),
        "render_o_s": budget(render_s, BUDGET_RENDER_S),
        "peak_rss_mib": budget(round(rss, 1), BUDGET_RSS_MIB),
        "memory_within_10pct:plan_in_memory_s": memory_budget(compared["plan_in_memory_s"]),
        "memory_within_10pct:render_o_s": memory_budget(compared["render_o_s"]),
        "state_within_10pct_of_status_tree": result["status_tree_size"]["budget"],
    }
    if kustomizes:
        k_s = median([k[0] for k in kustomizes])
        result["baseline_kustomize"] = {
            "kubectl": kubectl_version(), "overlays": len(overlays),
            "manifests_emitted": len(overlays) * args.templates,
            "seconds": k_s, "runs_s": [round(k[0], 3) for k in kustomizes],
            "peak_rss_mib_per_overlay": round(max(k[1] for k in kustomizes), 1),
            "manifests_per_s": round(len(overlays) * args.templates / k_s),
        }
        ratio = round(k_s / render_s, 2)
        result["speedup_vs_kustomize"] = ratio
        budgets["speedup_vs_kustomize"] = budget(ratio, BUDGET_SPEEDUP, at_least=True)
    result["budgets"] = budgets
    result["all_budgets_pass"] = all(b["pass"] for b in budgets.values())
    return result


def _validate_run(repo: Path) -> ChildRun:
    run = run_child([sys.executable, "-m", "gitfleet", "validate", str(repo), "--quiet"],
                    cwd=REPO_ROOT, env=python_env())
    if run.returncode != 0:
        raise RuntimeError(f"gitfleet validate failed ({run.returncode}):\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    return run


def _scaling_point(args: argparse.Namespace, work: Path, clusters: int) -> dict[str, Any]:
    """Validate (the CLI) and render (load + plan, in a fresh process) a fleet of
    ``clusters`` clusters: medians over ``--repeat`` runs, peak RSS of the worst run."""
    repo = work / f"fleet-{clusters}"
    generate_fleet(repo, clusters, args.templates, args.policies, args.overrides)
    validates = [_validate_run(repo) for _ in range(args.repeat)]
    plans = [_plan_run(repo, emit=False) for _ in range(args.repeat)]
    info = plans[-1][0]
    return {
        "clusters": clusters,
        "validate_s": median([v.seconds for v in validates]),
        "validate_peak_rss_mib": round(max(v.max_rss_mib for v in validates), 1),
        "render_s": median([info["load_s"] + info["build_s"] for info, _ in plans]),
        "render_peak_rss_mib": round(max(run.max_rss_mib for _, run in plans), 1),
        "manifests": info["manifests"],
    }


def measure_scaling(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Issue 9's benchmark: validate and render at two fleet sizes, and the ratios."""
    small_n = args.scale_from or max(1, args.clusters // 10)
    load_before = os.getloadavg()
    small = _scaling_point(args, work, small_n)
    large = _scaling_point(args, work, args.clusters)
    size_ratio = large["clusters"] / small["clusters"]

    def ratio(key: str) -> float:
        return round(large[key] / small[key], 2) if small[key] else float("nan")

    ratios = {"clusters": round(size_ratio, 2), "validate_s": ratio("validate_s"),
              "validate_peak_rss_mib": ratio("validate_peak_rss_mib"), "render_s": ratio("render_s"),
              "render_peak_rss_mib": ratio("render_peak_rss_mib"), "manifests": ratio("manifests")}
    budgets = {
        f"validate_s_at_{args.clusters}": budget(large["validate_s"], BUDGET_VALIDATE_S),
        f"validate_peak_rss_mib_at_{args.clusters}": budget(large["validate_peak_rss_mib"], BUDGET_VALIDATE_RSS_MIB),
        "validate_time_ratio_linear": budget(ratios["validate_s"], round(size_ratio * LINEAR_SLACK, 2)),
        "render_time_ratio_linear": budget(ratios["render_s"], round(size_ratio * LINEAR_SLACK, 2)),
    }
    return {
        "mode": "scaling",
        "fleet": {"templates": args.templates, "policies": args.policies, "overrides": args.overrides},
        "repeat": args.repeat,
        "points": [small, large],
        "ratio": ratios,
        "baseline_issue_9": {"clusters": 10000, "validate_s": 98, "validate_peak_mb": 942,
                             "growth": "quadratic"},
        "loadavg": {"before": [round(x, 2) for x in load_before],
                    "after": [round(x, 2) for x in os.getloadavg()]},
        "budgets": budgets,
        "all_budgets_pass": all(b["pass"] for b in budgets.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--templates", type=int, default=50)
    parser.add_argument("--policies", type=int, default=10)
    parser.add_argument("--overrides", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per measurement; medians are printed (default 3, with --scaling 1)")
    parser.add_argument("--out", type=Path, help="also write the JSON object to this file")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--tmp", type=Path,
                        help="make the work folder here (its filesystem sets render -o's floor)")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the kustomize baseline")
    parser.add_argument("--no-emit-compare", action="store_true",
                        help="skip the YAML emitter comparison on the plan's manifests")
    parser.add_argument("--generate-only", action="store_true",
                        help="write the fleet (and kustomize tree) to --keep and stop")
    parser.add_argument("--scaling", action=argparse.BooleanOptionalAction, default=None,
                        help="measure how validate and render grow from --scale-from to --clusters clusters "
                             f"(default: on from {SCALING_FROM} clusters)")
    parser.add_argument("--scale-from", type=int, default=0,
                        help="the smaller fleet of --scaling (default: a tenth of --clusters)")
    args = parser.parse_args(argv)
    if args.scaling is None:
        args.scaling = args.clusters >= SCALING_FROM and not args.generate_only
    if args.repeat is None:
        args.repeat = 1 if args.scaling else 3
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.generate_only:
        if not args.keep:
            parser.error("--generate-only needs --keep DIR")
        generate_fleet(args.keep / "fleet", args.clusters, args.templates, args.policies, args.overrides)
        generate_kustomize(args.keep / "kustomize", args.clusters, args.templates, args.policies,
                           args.overrides)
        print(json.dumps({"fleet": str(args.keep / "fleet"), "kustomize": str(args.keep / "kustomize")}))
        return 0
    work = args.keep or Path(tempfile.mkdtemp(prefix="gitfleet-bench-", dir=args.tmp))
    try:
        result = measure_scaling(args, work) if args.scaling else measure(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if result["all_budgets_pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
