"""A Pull member's health comes from its agent (issue 12 item 2): with ``gitfleet run``
and ``gitfleet agent`` as real processes, the reconciler merges the agent's report into
the status branch, and when the agent is stopped (by its pid) the member gets the
same unreachable taints as a Push member whose API server does not answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest

from gitfleet.testing import LocalClusters
from gitfleet.testing.clusters import find_binaries
from tests.failover.kit import Published, gitfleet_run, wait_for
from tests.fleetrepo import FleetRepo
from tests.git.repos import git_daemon

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("agent")]
MEMBER = "edge1"
FILES = {
    "fleet.yaml": "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: edge}\n"
                  "spec:\n  failover: {healthInterval: 1s, failureThreshold: 2}\n",
    "clusters/edge1.yaml": "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: edge1}\n"
                           "spec: {syncMode: Pull}\n",
    "templates/cfg.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: default}\n"
                          "data: {greeting: hello}\n",
    "policies/cfg.yaml": "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\n"
                         "metadata: {name: cfg, namespace: default}\nspec:\n"
                         "  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: cfg}]\n"
                         "  placement: {clusterAffinity: {clusterNames: [edge1]}}\n",
}


@pytest.fixture(scope="module")
def member() -> Iterator[LocalClusters]:
    clusters = LocalClusters([MEMBER], binaries=find_binaries())
    clusters.start()
    try:
        yield clusters
    finally:
        clusters.stop()


def test_a_stopped_agent_makes_its_member_unhealthy(member: LocalClusters, tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    bare = pygit2.init_repository(str(served / "fleet.git"), bare=True, initial_head="main")
    repo = FleetRepo(tmp_path / "fleet")
    repo.repo.remotes.create("origin", str(served / "fleet.git"))
    with git_daemon(served, lifetime=600) as base:
        url = f"{base}/fleet.git"
        published = Published(repo, bare, url)
        published.publish(FILES)
        with gitfleet_run(url, member.kubeconfig, tmp_path) as (_, log):
            wait_for("the first render", lambda: published.placement("v1/ConfigMap/default/cfg"), 60, log)
            agent_log = tmp_path / "agent.log"
            env = {**os.environ, "GITFLEET_CACHE": str(tmp_path / "agent-cache")}
            with agent_log.open("w") as out:
                agent = subprocess.Popen(
                    [sys.executable, "-m", "gitfleet", "agent", "--cluster", MEMBER, "--repo", url, "--kubeconfig",
                     str(member.kubeconfig), "--listen", "127.0.0.1:0"], stdout=out, stderr=subprocess.STDOUT, env=env)
            try:
                report = wait_for("the agent's report merged into the status branch",
                                  lambda: published.status_yaml(f"status/{MEMBER}.yaml"), 60, agent_log)
                assert report["state"] == "Applied" and report["cluster"] == MEMBER
                health = wait_for("the member recorded healthy", lambda: published.health(MEMBER), 30, log)
                assert not health.get("taints")
                agent.send_signal(signal.SIGTERM)
                agent.wait(timeout=30)
                tainted = wait_for("the member tainted", lambda: published.health(MEMBER).get("taints"), 30, log)
                assert {(t["key"], t["effect"]) for t in tainted} >= {("cluster.karmada.io/unreachable", "NoSchedule")}
                assert "agent" in published.health(MEMBER)["lastProbe"]["message"]
            finally:
                if agent.poll() is None:
                    agent.kill()
                    agent.wait()
