"""Several ``gitfleet run`` replicas (issue 13) as real processes: three replicas share six
members through Leases on a management cluster (a real API server too), each member is
applied by its Lease holder alone, a replica killed with SIGKILL hands its members over
within the lease duration, and when the leader is killed another records the next
commit. The status branch stays sound under the concurrent writers (``git fsck``)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pygit2
import pytest

from gitfleet.kube import KubeClient, connect
from gitfleet.kube.errors import NotFound
from gitfleet.kube.lease import list_leases
from gitfleet.model.cluster import Cluster
from gitfleet.testing import LocalClusters
from gitfleet.testing.clusters import find_binaries, free_port
from tests.failover.kit import Published, wait_for
from tests.fleetrepo import FleetRepo
from tests.git.repos import fsck, git_daemon

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("sharding")]
MEMBERS = [f"s{i}" for i in range(1, 7)]
REPLICAS = ["r1", "r2", "r3"]
LEASE_SECONDS = 6
FLEET = "shards"


def files(greeting: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {
        "fleet.yaml": f"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {{name: {FLEET}}}\n"
                      "spec:\n  failover: {healthInterval: 2s}\n",
        "templates/cfg.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: default}\n"
                              f"data: {{greeting: {greeting}}}\n",
        "policies/cfg.yaml": "apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterPropagationPolicy\n"
                             "metadata: {name: cfg}\nspec:\n"
                             "  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: cfg}]\n"
                             f"  placement: {{clusterAffinity: {{clusterNames: [{', '.join(MEMBERS)}]}}}}\n",
    }
    for name in MEMBERS:
        out[f"clusters/{name}.yaml"] = (f"apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\n"
                                        f"metadata: {{name: {name}}}\nspec: {{syncMode: Push}}\n")
    return out


@pytest.fixture(scope="module")
def clusters() -> Iterator[LocalClusters]:
    made = LocalClusters(["mgmt", *MEMBERS], binaries=find_binaries())
    made.start()
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def clients(clusters: LocalClusters) -> Iterator[dict[str, KubeClient]]:
    made = connect([Cluster(n) for n in ["mgmt", *MEMBERS]], clusters.kubeconfig)
    out = {n: c for n, c in made.items() if isinstance(c, KubeClient)}
    yield out
    for client in out.values():
        client.close()


def greeting(client: KubeClient) -> str | None:
    try:
        obj = client.request("GET", "/api/v1/namespaces/default/configmaps/cfg", what="get")
    except NotFound:
        return None
    return str((obj.get("data") or {}).get("greeting"))


def holders(mgmt: KubeClient) -> dict[str, str | None]:
    """Lease name -> holder, for the fleet's Leases."""
    return {lease["metadata"]["name"]: (lease.get("spec") or {}).get("holderIdentity")
            for lease in list_leases(mgmt, "default", f"gitfleet.io/fleet={FLEET}")}


def member_holders(mgmt: KubeClient) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for lease in list_leases(mgmt, "default", f"gitfleet.io/fleet={FLEET},gitfleet.io/role=member"):
        member = (lease["metadata"].get("annotations") or {}).get("gitfleet.io/member")
        if member:
            out[member] = (lease.get("spec") or {}).get("holderIdentity")
    return out


_APPLY = re.compile(r"^time=(\S+ \S+) .*event=cluster cluster=(\S+) ok=True")


def applies(log: Path) -> list[tuple[str, str]]:
    """(time, member) of every apply in a replica's log."""
    out = []
    for line in log.read_text().splitlines():
        found = _APPLY.match(line)
        if found:
            out.append((found.group(1), found.group(2)))
    return out


def start_replica(identity: str, url: str, kubeconfig: Path, workdir: Path, interval: str = "2s",
                  extra: str = "", port: int | None = None) -> tuple[subprocess.Popen[bytes], Path]:
    port = port or free_port()
    config = workdir / f"{identity}.yaml"
    config.write_text(f"repo: {url}\ninterval: {interval}\nkubeconfig: {kubeconfig}\nmanagementContext: mgmt\n"
                      f"pushStatus: true\nlisten: 127.0.0.1:{port}\n"
                      f"sharding: {{namespace: default, identity: {identity}, leaseDuration: {LEASE_SECONDS}s,"
                      f" renewInterval: 2s}}\n{extra}")
    log = workdir / f"{identity}.log"
    env = {**os.environ, "GITFLEET_CACHE": str(workdir / f"cache-{identity}")}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gitfleet", "run", "--config", str(config)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    return proc, log


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_three_replicas_share_six_members_and_hand_over_when_one_dies(
    clusters: LocalClusters, clients: dict[str, KubeClient], tmp_path: Path,
) -> None:
    served = tmp_path / "served"
    served.mkdir()
    bare = pygit2.init_repository(str(served / "fleet.git"), bare=True, initial_head="main")
    repo = FleetRepo(tmp_path / "fleet")
    repo.repo.remotes.create("origin", str(served / "fleet.git"))
    mgmt = clients["mgmt"]
    with git_daemon(served, lifetime=900) as base, ExitStack() as stack:
        url = f"{base}/fleet.git"
        published = Published(repo, bare, url)
        published.publish(files("v1"))
        procs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        for identity in REPLICAS:
            procs[identity] = start_replica(identity, url, clusters.kubeconfig, tmp_path)
            stack.callback(stop, procs[identity][0])
        logs = {r: log for r, (_, log) in procs.items()}

        def converged(value: str) -> bool:
            return all(greeting(clients[m]) == value for m in MEMBERS)

        wait_for("every member at v1", lambda: converged("v1"), 90, logs["r1"])
        # Every replica holds a share: the members' Leases are spread over all three.
        spread = wait_for("the members shared by three replicas", lambda: (
            h if set((h := member_holders(mgmt)).values()) == set(REPLICAS) and len(h) == len(MEMBERS) else None),
            60, logs["r1"])
        time.sleep(LEASE_SECONDS)  # past every hand-over of the start
        mark = {r: len(applies(log)) for r, log in logs.items()}
        published.publish({"templates/cfg.yaml": files("v2")["templates/cfg.yaml"]})
        wait_for("every member at v2", lambda: converged("v2"), 60, logs["r1"])
        time.sleep(3)
        assert member_holders(mgmt) == spread
        # Each member was applied by its Lease holder alone.
        for replica, log in logs.items():
            touched = {m for _, m in applies(log)[mark[replica]:]}
            assert touched <= {m for m, h in spread.items() if h == replica}, (replica, touched, spread)

        # SIGKILL the replica that holds s-members and does not lead: its share moves.
        leader = holders(mgmt).get(f"gitfleet-{FLEET}-leader")
        victim = next(r for r in REPLICAS if r != leader)
        lost = {m for m, h in spread.items() if h == victim}
        procs[victim][0].kill()
        procs[victim][0].wait()
        killed = time.monotonic()
        published.publish({"templates/cfg.yaml": files("v3")["templates/cfg.yaml"]})
        wait_for("every member at v3 without the victim", lambda: converged("v3"), 60, logs[leader or "r1"])
        handed = time.monotonic() - killed
        taken = member_holders(mgmt)
        assert all(taken[m] not in (victim, None) for m in lost), taken
        assert handed < LEASE_SECONDS + 2 * 2 + 10, handed  # lease + renew rounds + a cycle or two

        # SIGKILL the leader: another replica leads and records the next commit.
        assert leader is not None
        procs[leader][0].kill()
        procs[leader][0].wait()
        survivor = next(r for r in REPLICAS if r not in (victim, leader))
        sha = published.publish({"templates/cfg.yaml": files("v4")["templates/cfg.yaml"]})
        wait_for("every member at v4 from the last replica", lambda: converged("v4"), 90, logs[survivor])
        wait_for("the new leader recorded v4", lambda: _recorded_source(bare) == sha, 30, logs[survivor])
        assert holders(mgmt).get(f"gitfleet-{FLEET}-leader") == survivor
    fsck(served / "fleet.git")


def _recorded_source(bare: pygit2.Repository) -> str | None:
    from gitfleet.git.statusbranch import source_of

    ref = bare.references.get("refs/heads/gitfleet/status")
    if ref is None:
        return None
    commit = bare[ref.target]
    assert isinstance(commit, pygit2.Commit)
    # Reports of the owners sit on top of the leader's render and name its source too.
    return source_of(commit.message)


def test_a_webhook_at_a_replica_that_does_not_lead_gets_the_commit_rendered_at_once(
    clusters: LocalClusters, clients: dict[str, KubeClient], tmp_path: Path,
) -> None:
    """With a 10-minute interval nothing is rendered but by a webhook; delivered to the
    replica that does not lead, it pokes the leader through its Lease."""
    from gitfleet.reconcile.hooks import sign

    served = tmp_path / "served"
    served.mkdir()
    bare = pygit2.init_repository(str(served / "fleet.git"), bare=True, initial_head="main")
    repo = FleetRepo(tmp_path / "fleet")
    repo.repo.remotes.create("origin", str(served / "fleet.git"))
    secret = tmp_path / "hook-secret"
    secret.write_text("s3cret-for-the-test\n")
    mgmt = clients["mgmt"]
    with git_daemon(served, lifetime=600) as base, ExitStack() as stack:
        url = f"{base}/fleet.git"
        published = Published(repo, bare, url)
        published.publish(files("w1"))
        ports = {r: free_port() for r in ("w1", "w2")}
        procs = {}
        for identity in ("w1", "w2"):
            procs[identity] = start_replica(identity, url, clusters.kubeconfig, tmp_path, interval="10m",
                                            extra=f"webhook: {{secretFile: {secret}}}\n", port=ports[identity])
            stack.callback(stop, procs[identity][0])
        logs = {r: log for r, (_, log) in procs.items()}
        wait_for("every member at w1", lambda: all(greeting(clients[m]) == "w1" for m in MEMBERS), 90, logs["w1"])
        leader = wait_for("a leader", lambda: holders(mgmt).get(f"gitfleet-{FLEET}-leader"), 30, logs["w1"])
        other = "w2" if leader == "w1" else "w1"
        time.sleep(3)
        published.publish({"templates/cfg.yaml": files("w2")["templates/cfg.yaml"]})
        body = b'{"ref": "refs/heads/main"}'
        request = urllib.request.Request(f"http://127.0.0.1:{ports[other]}/hooks/git", data=body, method="POST",
                                         headers={"X-Hub-Signature-256": sign(body, b"s3cret-for-the-test"),
                                                  "X-GitHub-Event": "push", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status in (200, 202)
        poked = time.monotonic()
        wait_for("every member at w2 long before the 10-minute interval",
                 lambda: all(greeting(clients[m]) == "w2" for m in MEMBERS), 40, logs[leader])
        assert time.monotonic() - poked < 30
        assert "event=woken" in logs[leader].read_text()
