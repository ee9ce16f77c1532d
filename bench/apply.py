"""Benchmark of applying to member clusters (issue 4, "Performance"). Not a test: prints
one JSON document.

3 local member clusters (real kube-apiserver + etcd, started here unless --kubeconfig
names running ones), 1,000 objects each. Measured in the same run:

- cold apply: gitfleet (default settings, all clusters in parallel) vs
  ``kubectl apply --server-side -f DIR`` (one process per cluster, in parallel), on the
  same objects in namespaces of their own; budget: gitfleet at least 2x faster;
- no-op re-apply: time and writes (budget: zero writes, under 10% of the cold time);
- drift check of all 3,000 objects;
- the API servers' own ceiling, by a plain concurrent server-side-apply PATCH loop over
  the same objects (in a third namespace), and gitfleet's cold write rate as a share of
  it (budget: at least 60%);
- the CLI verb end to end (issue 11): a fleet repo in Git whose ClusterPropagationPolicy
  puts the same kind of objects on every member, ``gitfleet apply REPO`` as a child
  process, cold then with nothing to do (twice), recording on the status branch each
  time; all its own costs count (interpreter, imports, reading the repo, planning,
  reading the status branch, applying, recording). Medians over ``--repeat`` fresh
  fleets (a namespace and fleet name each); budget: the no-op at most 15% of the cold.

    python bench/apply.py [--objects 1000] [--clusters 3] [--kubeconfig FILE] [--repeat 3]
    python bench/apply.py --only-cli      # just the CLI figures
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import median, python_env, run_child
from gitfleet.apply.engine import ApplyOptions, apply_fleet
from gitfleet.apply.request import ClusterRequest
from gitfleet.kube import KubeClient, connect
from gitfleet.model.cluster import Cluster
from gitfleet.model.keys import ResourceId
from gitfleet.testing import LocalClusters


def objects(ns: str, count: int) -> list[dict[str, Any]]:
    """``count`` objects: a Namespace, then ConfigMaps, Secrets, Services and
    Deployments in the proportions of a typical app fleet."""
    out: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}]
    i = 0
    while len(out) < count:
        kind = ("ConfigMap", "ConfigMap", "ConfigMap", "Secret", "Service", "Deployment")[i % 6]
        name = f"{kind.lower()}-{i:05d}"
        meta = {"name": name, "namespace": ns, "labels": {"app": f"app-{i % 50}"}}
        if kind == "ConfigMap":
            out.append({"apiVersion": "v1", "kind": kind, "metadata": meta,
                        "data": {"config.yaml": f"key: value-{i}\nreplicas: {i % 7}\n", "mode": "prod"}})
        elif kind == "Secret":
            out.append({"apiVersion": "v1", "kind": kind, "metadata": meta, "type": "Opaque",
                        "stringData": {"password": f"secret-{i}"}})
        elif kind == "Service":
            out.append({"apiVersion": "v1", "kind": kind, "metadata": meta,
                        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "protocol": "TCP",
                                                                       "targetPort": 8080}]}})
        else:
            out.append({"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": {
                "replicas": 2, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [
                    {"name": "app", "image": f"registry.example.com/app:{i}", "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                     "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}}}})
        i += 1
    return out


def kubectl_cold(kubeconfig: Path, names: list[str], manifests: list[dict[str, Any]]) -> dict[str, float]:
    """``kubectl apply --server-side -f DIR`` per cluster, all clusters in parallel."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise SystemExit("kubectl not found: scripts/install-test-clusters.sh installs Debian's kubernetes-client")
    folder = Path(tempfile.mkdtemp(prefix="gitfleet-bench-"))
    # Lexical order is kubectl's order: the Namespace first.
    for n, manifest in enumerate(manifests):
        (folder / f"{n:05d}.json").write_text(json.dumps(manifest))
    times: dict[str, float] = {}

    def one(name: str) -> None:
        started = time.monotonic()
        done = subprocess.run([kubectl, "--kubeconfig", str(kubeconfig), "--context", name, "apply",
                               "--server-side", "--field-manager", "bench-kubectl", "-f", str(folder)],
                              capture_output=True, text=True, check=False)
        times[name] = time.monotonic() - started
        if done.returncode != 0:
            raise SystemExit(f"kubectl failed on {name}: {done.stderr[-2000:]}")

    started = time.monotonic()
    with ThreadPoolExecutor(len(names)) as pool:
        list(pool.map(one, names))
    times["wall"] = time.monotonic() - started
    shutil.rmtree(folder)
    return times


def ceiling(clients: dict[str, KubeClient], manifests: list[dict[str, Any]], concurrency: int) -> float:
    """Writes per second the API servers sustain on the same objects: a bare urllib3
    loop of server-side apply PATCHes from ``concurrency`` threads per cluster, with
    none of gitfleet's work around the requests."""
    counter = {"n": 0}
    lock = threading.Lock()
    namespace, rest = manifests[0], manifests[1:]
    for client in clients.values():
        client.apply(namespace)
    bodies = [json.dumps(m).encode() for m in rest]

    def loop(client: KubeClient, paths: list[str], worker: int) -> None:
        cfg = client.configuration
        pool = urllib3.PoolManager(maxsize=2, ca_certs=cfg.ssl_ca_cert, ca_cert_data=cfg.ca_cert_data,
                                   cert_reqs="CERT_REQUIRED")
        headers = {"Authorization": str(cfg.auth_settings()["BearerToken"]["value"]),
                   "Content-Type": "application/apply-patch+yaml", "Accept": "application/json"}
        for i in range(worker, len(paths), concurrency):
            resp = pool.request("PATCH", f"{cfg.host}{paths[i]}?fieldManager=bench-ceiling&force=true",
                                body=bodies[i], headers=headers)
            if resp.status >= 300:
                raise SystemExit(f"ceiling PATCH failed: {resp.status} {resp.data[:300]!r}")
            with lock:
                counter["n"] += 1

    paths = {name: [c.object_path(ResourceId.of(m)) for m in rest] for name, c in clients.items()}
    threads = [threading.Thread(target=loop, args=(c, paths[n], w))
               for n, c in clients.items() for w in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counter["n"] / (time.monotonic() - started)


def fleet_repo(folder: Path, names: list[str], fleet: str, count: int) -> Path:
    """A fleet repo in a new Git repository: every member, one ClusterPropagationPolicy
    putting every template on all of them, and :func:`objects` as templates, one file
    each, in namespace ``fleet``."""
    import pygit2

    files = {
        "fleet.yaml": json.dumps({"apiVersion": "gitfleet.io/v1alpha1", "kind": "Fleet", "metadata": {"name": fleet}}),
        "policies/all.yaml": json.dumps({
            "apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterPropagationPolicy",
            "metadata": {"name": "everything"},
            "spec": {"resourceSelectors": [{"apiVersion": v, "kind": k} for v, k in (
                ("v1", "Namespace"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"),
                ("apps/v1", "Deployment"))],
                "placement": {"clusterAffinity": {"clusterNames": names},
                              "replicaScheduling": {"replicaSchedulingType": "Duplicated"}}},
        }),
    }
    for name in names:
        files[f"clusters/{name}.yaml"] = json.dumps({"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
                                                     "metadata": {"name": name}, "spec": {"syncMode": "Push"}})
    for manifest in objects(fleet, count):
        files[f"templates/{manifest['kind'].lower()}/{manifest['metadata']['name']}.yaml"] = json.dumps(manifest)
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text + "\n")
    repo = pygit2.init_repository(str(folder), initial_head="main")
    repo.index.add_all()
    repo.index.write()
    sig = pygit2.Signature("bench", "bench@example.com", 1_700_000_000, 0)
    repo.create_commit("HEAD", sig, sig, "fleet", repo.index.write_tree(), [])
    return folder


# Where a no-op ``gitfleet apply`` spends its time: cumulative seconds of these steps in
# one profiled run (a step renamed since is reported as null, never guessed).
NOOP_STEPS = {
    "imports": ("<frozen importlib._bootstrap>", "_find_and_load"),
    "read_repo": ("gitfleet/service/source.py", "read_repo"),
    "plan_remembered": ("gitfleet/service/planning.py", "plan_remembered"),
    "memory_of": ("gitfleet/service/recall.py", "memory_of"),
    "plan_files": ("gitfleet/service/planning.py", "plan_files"),
    "plan_to_tree": ("gitfleet/status/layout.py", "plan_to_tree"),
    "read_status_branch": ("gitfleet/service/recording.py", "read_status"),
    "read_status_branch_lazily": ("gitfleet/service/recording.py", "read_status_lazily"),
    "requests_for": ("gitfleet/apply/session.py", "requests_for"),
    "apply_fleet": ("gitfleet/apply/engine.py", "apply_fleet"),
    "record_results": ("gitfleet/service/recording.py", "record_results"),
}


def noop_profile(argv: list[str], env: dict[str, str], work: Path) -> dict[str, Any]:
    """One more no-op under cProfile: the seconds of :data:`NOOP_STEPS` (the profiler
    slows Python code down, so compare them with each other and with ``total``; a step
    called twice counts twice, e.g. ``requests_for``)."""
    out = work / "noop.prof"
    child = run_child([sys.executable, "-m", "cProfile", "-o", str(out), *argv[1:]], env=env)
    if child.returncode != 0:
        raise SystemExit(f"profiled gitfleet apply exited {child.returncode}: {child.stderr[-2000:]}")
    import pstats

    stats: dict[Any, Any] = pstats.Stats(str(out)).stats  # type: ignore[attr-defined]
    found: dict[str, float | None] = dict.fromkeys(NOOP_STEPS)
    total = 0.0
    for (filename, _, function), (_, _, _, cumulative, _) in stats.items():
        total = max(total, cumulative)
        for label, (suffix, name) in NOOP_STEPS.items():
            if function == name and filename.endswith(suffix):
                found[label] = round((found[label] or 0.0) + cumulative, 3)
    return {"total_profiled_seconds": round(total, 3), "steps_seconds": found}


def installed_env(work: Path) -> dict[str, str]:
    """The child environment of an installed gitfleet: its bytecode compiled (as pip
    does on install; here into a folder of the run, the checkout stays as it is) and
    the render cache of the run's own, so the first apply of each fleet is cold."""
    env = python_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env["GITFLEET_CACHE"] = str(work / "cache")
    package = Path(__file__).resolve().parents[1] / "gitfleet"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], env=env, check=True,
                   capture_output=True)
    return env


def cli_apply(kubeconfig: Path, names: list[str], count: int, repeat: int, stamp: str) -> dict[str, Any]:
    """``gitfleet apply`` as a user runs it: cold, then twice with nothing to do, on
    ``repeat`` fresh fleets; medians, and the no-op as a fraction of the cold."""
    cold: list[float] = []
    noop: list[float] = []
    cold_cpu: list[float] = []
    noop_cpu: list[float] = []
    per_fleet: list[float] = []  # each fleet's no-ops against its own cold run, measured side by side
    profile: dict[str, Any] = {}
    work = Path(tempfile.mkdtemp(prefix="gitfleet-bench-cli-"))
    env = installed_env(work)
    try:
        for run in range(repeat):
            repo = fleet_repo(work / f"fleet{run}", names, f"bench-cli-{stamp}-{run}", count)
            argv = [sys.executable, "-m", "gitfleet", "apply", str(repo), "--kubeconfig", str(kubeconfig),
                    "-o", "json"]
            for attempt in range(3):
                child = run_child(argv, env=env)
                if child.returncode != 0:
                    raise SystemExit(f"gitfleet apply exited {child.returncode}: {child.stderr[-2000:]}"
                                     f" {child.stdout[-2000:]}")
                done = json.loads(child.stdout)
                writes = sum(n for c in done["clusters"] for a, n in c["counts"].items() if a != "unchanged")
                if attempt == 0:
                    cold.append(child.seconds)
                    cold_cpu.append(child.cpu_seconds)
                else:
                    noop.append(child.seconds)
                    noop_cpu.append(child.cpu_seconds)
                    if writes:
                        raise SystemExit(f"the no-op gitfleet apply changed {writes} objects")
            per_fleet.append(round(median(noop[-2:]) / cold[-1], 3))
            if run == 0:
                profile = noop_profile(argv, env, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cold_s, noop_s = median(cold), median(noop)
    return {
        "cold_seconds": cold_s,
        "noop_seconds": noop_s,
        "noop_fraction_of_cold": round(noop_s / cold_s, 3),
        "runs_cold": [round(x, 2) for x in cold],
        "runs_noop": [round(x, 2) for x in noop],
        "noop_fraction_per_fleet": per_fleet,
        "cpu_seconds_cold": median(cold_cpu),
        "cpu_seconds_noop": median(noop_cpu),
        "noop_cpu_fraction_of_cold": round(median(noop_cpu) / median(cold_cpu), 3),
        "budget": "no-op at most 0.15 of the cold",
        "pass": noop_s / cold_s <= 0.15,
        "noop_profile": profile,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=1000, help="objects per cluster (default 1000)")
    parser.add_argument("--clusters", type=int, default=3, help="member clusters (default 3)")
    parser.add_argument("--kubeconfig", type=Path, help="use running members (contexts member1..N)")
    parser.add_argument("--ceiling-concurrency", type=int, default=32, help="threads per cluster (default 32)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh fleets for the CLI figures (default 3)")
    parser.add_argument("--only-cli", action="store_true", help="measure only the CLI verb")
    args = parser.parse_args()
    names = [f"member{i}" for i in range(1, args.clusters + 1)]
    local = None if args.kubeconfig else LocalClusters(names).start()
    kubeconfig = args.kubeconfig or (local.kubeconfig if local else None)
    assert kubeconfig is not None
    try:
        made = connect([Cluster(n) for n in names], kubeconfig)
        clients = {n: c for n, c in made.items() if isinstance(c, KubeClient)}
        if len(clients) != len(names):
            raise SystemExit(f"cannot reach every member: {made}")
        stamp = str(int(time.time()))
        if args.only_cli:
            json.dump({"cli_apply": cli_apply(kubeconfig, names, args.objects, args.repeat, stamp)}, sys.stdout,
                      indent=2)
            sys.stdout.write("\n")
            return 0
        ours = objects(f"bench-gitfleet-{stamp}", args.objects)
        theirs = objects(f"bench-kubectl-{stamp}", args.objects)
        desired = {ResourceId.of(m).key: m for m in ours}
        requests = {n: ClusterRequest(n, "bench", desired) for n in names}

        kubectl = kubectl_cold(kubeconfig, names, theirs)

        writes0 = sum(c.stats.writes for c in clients.values())
        started = time.monotonic()
        cold = apply_fleet(clients, requests)
        cold_time = time.monotonic() - started
        cold_writes = sum(c.stats.writes for c in clients.values()) - writes0
        if not cold.ok:
            raise SystemExit(json.dumps(cold.to_json())[:3000])

        writes0 = sum(c.stats.writes for c in clients.values())
        started = time.monotonic()
        noop = apply_fleet(clients, requests)
        noop_time = time.monotonic() - started
        noop_writes = sum(c.stats.writes for c in clients.values()) - writes0

        started = time.monotonic()
        drift = apply_fleet(clients, requests, ApplyOptions(mode="drift"))
        drift_time = time.monotonic() - started

        ceiling_rate = ceiling(clients, objects(f"bench-ceiling-{stamp}", args.objects), args.ceiling_concurrency)
        gitfleet_rate = cold_writes / cold_time
        report = {
            "clusters": len(names),
            "objects_per_cluster": args.objects,
            "cold_apply": {
                "gitfleet_seconds": round(cold_time, 2),
                "gitfleet_per_cluster_seconds": {n: round(r.seconds, 2) for n, r in cold.clusters.items()},
                "kubectl_seconds": round(kubectl["wall"], 2),
                "kubectl_per_cluster_seconds": {n: round(t, 2) for n, t in kubectl.items() if n != "wall"},
                "speedup_vs_kubectl": round(kubectl["wall"] / cold_time, 2),
                "budget_speedup": 2.0,
            },
            "noop_apply": {
                "seconds": round(noop_time, 2),
                "writes": noop_writes,
                "fraction_of_cold": round(noop_time / cold_time, 3),
                "unchanged": sum(r.counts().get("unchanged", 0) for r in noop.clusters.values()),
                "budget": "0 writes, fraction under 0.10",
            },
            "drift_check": {
                "seconds": round(drift_time, 2),
                "objects": sum(len(r.objects) for r in drift.clusters.values()),
                "drifted": sum(len(r.drift()) for r in drift.clusters.values()),
            },
            "ceiling": {
                "server_writes_per_second": round(ceiling_rate, 1),
                "gitfleet_writes_per_second": round(gitfleet_rate, 1),
                "gitfleet_share": round(gitfleet_rate / ceiling_rate, 3),
                "budget_share": 0.6,
            },
            "cli_apply": cli_apply(kubeconfig, names, args.objects, args.repeat, stamp),
            "client": {n: {"apf": c.apf, "throttled_seconds": round(c.stats.throttled_seconds, 2)}
                       for n, c in clients.items()},
        }
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
        for client in clients.values():
            client.close()
    finally:
        if local is not None:
            local.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
