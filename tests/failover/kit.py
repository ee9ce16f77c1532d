"""What the failover tests share: three members of their own (they stop and start API
servers, so they cannot share the session's), a fleet repo published through a real
``git daemon``, a real ``gitfleet run`` process following it, and the reads and
writes a test does on the members (Deployment readiness set through the status
subresource: the test clusters run no controllers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pygit2
import yaml

from gitfleet.kube import KubeClient
from gitfleet.kube.errors import NotFound
from gitfleet.testing.clusters import free_port
from tests.fleetrepo import FleetRepo
from tests.reconcile.fleet import http_get

T = TypeVar("T")
STATUS_BRANCH = "gitfleet/status"
CLUSTER = ("apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {{name: {0}}}\n"
           "spec:\n  syncMode: Push\n{1}")


def fleet_yaml(ns: str, fraction: float = 0.55) -> str:
    return f"""apiVersion: gitfleet.io/v1alpha1
kind: Fleet
metadata: {{name: {ns}}}
spec:
  apply: {{maxPruneFraction: 1.0}}
  failover:
    healthInterval: 1s
    probeTimeout: 2s
    estimatorInterval: 2s
    failureThreshold: 2
    successThreshold: 1
    maxUnhealthyFraction: {fraction}
    gracefulEvictionTimeout: 10m
"""


def deployment(ns: str, name: str, replicas: int, cpu: str | None = None) -> str:
    resources = f", resources: {{requests: {{cpu: '{cpu}'}}}}" if cpu else ""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: {name}, image: "nginx:1.25"{resources}}}]
"""


def policy(ns: str, name: str, workload: str, clusters: list[str], scheduling: str,
           toleration_seconds: int = 6) -> str:
    tolerations = "\n".join(
        f"      - {{key: cluster.karmada.io/{key}, operator: Exists, effect: NoExecute,"
        f" tolerationSeconds: {toleration_seconds}}}" for key in ("not-ready", "unreachable"))
    return f"""apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: {name}, namespace: {ns}}}
spec:
  resourceSelectors:
    - {{apiVersion: apps/v1, kind: Deployment, name: {workload}}}
  placement:
    clusterAffinity: {{clusterNames: [{", ".join(clusters)}]}}
    clusterTolerations:
{tolerations}
{scheduling}
"""


DIVIDED_EQUAL = """    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
          - {targetCluster: {clusterNames: [fo1, fo2, fo3]}, weight: 1}"""

DUPLICATED_SPREAD = """    replicaScheduling: {replicaSchedulingType: Duplicated}
    spreadConstraints:
      - {spreadByField: cluster, maxGroups: 2, minGroups: 2}"""

DYNAMIC = """    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference: {dynamicWeight: AvailableReplicas}"""


def cluster_yaml(name: str, cpu: str | None = None) -> str:
    summary = (f"status:\n  resourceSummary:\n    allocatable: {{cpu: '{cpu}', memory: 64Gi, pods: '110'}}\n"
               if cpu else "")
    return CLUSTER.format(name, summary)


class Published:
    """A fleet repo whose ``main`` is pushed to a bare repository served by git daemon."""

    def __init__(self, repo: FleetRepo, bare: pygit2.Repository, url: str) -> None:
        self.repo, self.bare, self.url = repo, bare, url

    def publish(self, files: dict[str, str | None], branch: str = "main") -> str:
        sha = self.repo.commit(files)
        self.repo.repo.remotes["origin"].push([f"+refs/heads/main:refs/heads/{branch}"])
        return sha

    def status_file(self, path: str) -> bytes | None:
        ref = self.bare.references.get(f"refs/heads/{STATUS_BRANCH}")
        if ref is None:
            return None
        commit = self.bare[ref.target]
        try:
            entry = commit.tree[path]
        except KeyError:
            return None
        return bytes(self.bare[entry.id].data)

    def status_yaml(self, path: str) -> Any:
        raw = self.status_file(path)
        return yaml.safe_load(raw) if raw is not None else None

    def placement(self, resource: str) -> dict[str, int | None]:
        for item in self.status_yaml("placements.yaml") or ():
            if item.get("resource") == resource:
                return {c["name"]: c.get("replicas") for c in item.get("clusters") or ()}
        return {}

    def retained(self, resource: str) -> list[str]:
        for item in self.status_yaml("placements.yaml") or ():
            if item.get("resource") == resource:
                return list(item.get("retained") or ())
        return []

    def health(self, cluster: str) -> dict[str, Any]:
        return self.status_yaml(f"status/clusters/{cluster}.yaml") or {}


@contextmanager
def gitfleet_run(url: str, kubeconfig: Path, workdir: Path, interval: str = "2s") -> Iterator[tuple[int, Path]]:
    """A real ``gitfleet run`` process following ``url``; yields its HTTP port and log
    file, and stops it by its pid."""
    port = free_port()
    config = workdir / "run.yaml"
    config.write_text(f"repo: {url}\ninterval: {interval}\nkubeconfig: {kubeconfig}\npushStatus: true\n"
                      f"listen: 127.0.0.1:{port}\n")
    log = workdir / "run.log"
    env = {**os.environ, "GITFLEET_CACHE": str(workdir / "cache")}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gitfleet", "run", "--config", str(config)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        yield port, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, log: Path | None = None,
             every: float = 0.3) -> T:
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (OSError, NotFound):
            last = None
        if last:
            return last
        time.sleep(every)
    tail = "\n".join(log.read_text().splitlines()[-60:]) if log is not None and log.exists() else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last: {last!r}\n{tail}")


def replicas(client: KubeClient, ns: str, name: str) -> int | None:
    try:
        obj = client.request("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/{name}", what="get")
    except NotFound:
        return None
    return int(obj["spec"]["replicas"])


def mark_ready(client: KubeClient, ns: str, name: str) -> int:
    """Play the Deployment controller: the current generation rolled out, all ready."""
    obj = client.request("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/{name}", what="get")
    want = int(obj["spec"]["replicas"])
    obj["status"] = {"observedGeneration": obj["metadata"]["generation"], "replicas": want,
                     "updatedReplicas": want, "readyReplicas": want, "availableReplicas": want}
    client.request("PUT", f"/apis/apps/v1/namespaces/{ns}/deployments/{name}/status", body=obj, what="status")
    return want


def metric(port: int, line_start: str) -> float | None:
    code, body = http_get(port, "/metrics")
    if code != 200:
        return None
    for line in body.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return None
