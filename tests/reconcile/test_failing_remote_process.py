"""A Git remote stopped mid-run and started again (issue 13 item 4), with ``gitfleet run``
as a real process, a real API server as the member and ``git daemon`` as the remote
(stopped by its pid): the member keeps what was applied, ``/readyz`` and the metrics say
why, and the first good fetch after the restart converges."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pygit2
import pytest

from gitfleet.kube import KubeClient, connect
from gitfleet.kube.errors import NotFound
from gitfleet.model.cluster import Cluster
from gitfleet.testing import LocalClusters
from gitfleet.testing.clusters import find_binaries, free_port
from tests.failover.kit import Published, gitfleet_run, metric, wait_for
from tests.fleetrepo import FleetRepo
from tests.git.repos import git_daemon
from tests.reconcile.fleet import http_get

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("remote-outage")]
MEMBER = "rm1"


def files(greeting: str) -> dict[str, str | None]:
    return {
        "clusters/rm1.yaml": "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: rm1}\n"
                             "spec: {syncMode: Push}\n",
        "templates/cfg.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: default}\n"
                              f"data: {{greeting: {greeting}}}\n",
        "policies/cfg.yaml": "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\n"
                             "metadata: {name: cfg, namespace: default}\nspec:\n"
                             "  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: cfg}]\n"
                             "  placement: {clusterAffinity: {clusterNames: [rm1]}}\n",
    }


@pytest.fixture(scope="module")
def member() -> Iterator[LocalClusters]:
    clusters = LocalClusters([MEMBER], binaries=find_binaries())
    clusters.start()
    try:
        yield clusters
    finally:
        clusters.stop()


def greeting(client: KubeClient) -> str | None:
    try:
        return str(client.request("GET", "/api/v1/namespaces/default/configmaps/cfg", what="get")["data"]["greeting"])
    except NotFound:
        return None


def test_the_remote_stops_mid_run_and_comes_back(member: LocalClusters, tmp_path: Path) -> None:
    client = connect([Cluster(MEMBER)], member.kubeconfig)[MEMBER]
    assert isinstance(client, KubeClient)
    served = tmp_path / "served"
    served.mkdir()
    bare = pygit2.init_repository(str(served / "fleet.git"), bare=True, initial_head="main")
    repo = FleetRepo(tmp_path / "fleet")
    repo.repo.remotes.create("origin", str(served / "fleet.git"))
    port = free_port()
    url = f"git://127.0.0.1:{port}/fleet.git"
    published = Published(repo, bare, url)
    with ExitStack() as stack:
        stack.callback(client.close)
        with git_daemon(served, port=port):
            published.publish(files("v1"))
            http, log = stack.enter_context(gitfleet_run(url, member.kubeconfig, tmp_path))
            wait_for("v1 applied", lambda: greeting(client) == "v1", 60, log)
        # The daemon is stopped (by its pid): the next cycles cannot fetch.
        published.publish(files("v2"))  # lands in the bare repository, unseen by the reconciler
        ready = wait_for("/readyz saying why", lambda: (
            body if (body := json.loads(http_get(http, "/readyz")[1])).get("error")
            and "cannot be fetched" in body["error"] else None), 30, log)
        assert ready["ready"] is False and "stays applied" in ready["error"]
        assert metric(http, "gitfleet_source_up ") == 0
        time.sleep(3)
        assert greeting(client) == "v1"  # the last good state stays applied, nothing pruned
        with git_daemon(served, port=port):
            wait_for("v2 applied after the restart", lambda: greeting(client) == "v2", 60, log)
            wait_for("ready again", lambda: json.loads(http_get(http, "/readyz")[1]).get("ready"), 30, log)
            assert metric(http, "gitfleet_source_up ") == 1
        assert "event=source_failed" in log.read_text() and "event=source_recovered" in log.read_text()
