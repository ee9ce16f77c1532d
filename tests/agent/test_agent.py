"""The Pull-mode agent end to end (issue 12): a real API server for the Pull member of the
sample repo, the fleet repo behind a real ``git daemon``, the status branch written by
``gitfleet render --commit`` and pushed, and ``gitfleet agent`` as a real process. The
reconciler is not involved: the member converges from its agent alone."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest

from gitfleet.kube import KubeClient, connect
from gitfleet.kube.errors import NotFound
from gitfleet.model.cluster import Cluster
from gitfleet.testing import LocalClusters
from gitfleet.testing.clusters import find_binaries
from tests.git.repos import commit, git_daemon

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("agent")]
MEMBER = "aws-euw1-staging"
SAMPLE = Path(__file__).resolve().parents[2] / "sample-repo"
REPORT_BRANCH = f"gitfleet/status-agents/{MEMBER}"
CONFIG = "templates/agent/probe.yaml"
CONFIG_PATH = "/api/v1/namespaces/shop/configmaps/agent-probe"
PROBE_POLICY = f"""apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: agent-probe, namespace: shop}}
spec:
  resourceSelectors: [{{apiVersion: v1, kind: ConfigMap, name: agent-probe}}]
  placement: {{clusterAffinity: {{clusterNames: [{MEMBER}]}}}}
"""


def config(greeting: str) -> str:
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: agent-probe, namespace: shop}}\n"
            f"data: {{greeting: {greeting}}}\n")


@pytest.fixture(scope="module")
def member() -> Iterator[LocalClusters]:
    clusters = LocalClusters([MEMBER], binaries=find_binaries())
    clusters.start()
    try:
        yield clusters
    finally:
        clusters.stop()


@pytest.fixture
def client(member: LocalClusters) -> Iterator[KubeClient]:
    made = connect([Cluster(MEMBER)], member.kubeconfig)[MEMBER]
    assert isinstance(made, KubeClient), made
    yield made
    made.close()


class Fleet:
    """The sample repo in a work repository whose ``main`` and status branch are pushed
    to a bare repository served by git daemon."""

    def __init__(self, root: Path, served: Path) -> None:
        self.bare = pygit2.init_repository(str(served / "fleet.git"), bare=True, initial_head="main")
        shutil.copytree(SAMPLE, root)
        self.repo = pygit2.init_repository(str(root), initial_head="main")
        self.repo.remotes.create("origin", str(served / "fleet.git"))
        self.root = root
        commit(self.repo, {CONFIG: config("hello"), "policies/agent-probe.yaml": PROBE_POLICY}, "the sample fleet")

    def render(self, *files: tuple[str, str | None]) -> None:
        if files:
            commit(self.repo, dict(files), "change")
        out = cli("render", str(self.root), "--commit")
        assert out.returncode == 0, out.stderr
        self.repo.remotes["origin"].push(["+refs/heads/main:refs/heads/main",
                                          "+refs/heads/gitfleet/status:refs/heads/gitfleet/status"])


def cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gitfleet", *argv], capture_output=True, text=True, timeout=180,
                          env=env, check=False)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[Fleet, str]]:
    served = tmp_path / "served"
    served.mkdir()
    made = Fleet(tmp_path / "fleet", served)
    with git_daemon(served, lifetime=600) as base:
        yield made, f"{base}/fleet.git"


AGE_KEY = Path(__file__).resolve().parent / "data" / "sample-age.key"  # the sample repo's published key
SECRET_PATH = "/api/v1/namespaces/shop/secrets/staging-db"


def agent_once(url: str, member: LocalClusters, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GITFLEET_CACHE": str(tmp_path / "agent-cache"), "SOPS_AGE_KEY_FILE": str(AGE_KEY)}
    return cli("agent", "--cluster", MEMBER, "--repo", url, "--kubeconfig", str(member.kubeconfig), "--once",
               env=env)


def live(client: KubeClient, path: str) -> dict[str, object] | None:
    try:
        return client.request("GET", path, what="get")  # type: ignore[no-any-return]
    except NotFound:
        return None


def blobs(repo: pygit2.Repository, tree: pygit2.Tree) -> Iterator[bytes]:
    for entry in tree:
        if isinstance(entry, pygit2.Tree):
            yield from blobs(repo, entry)
        elif isinstance(entry, pygit2.Blob):
            yield entry.data


def staging_objects(fleet: Fleet) -> list[str]:
    tip = fleet.repo.references["refs/heads/gitfleet/status"].peel(pygit2.Commit)
    folder = tip.tree["clusters"] / MEMBER  # type: ignore[operator]
    out: list[str] = []

    def walk(tree: pygit2.Tree, base: str) -> None:
        for entry in tree:
            if isinstance(entry, pygit2.Tree):
                walk(entry, f"{base}{entry.name}/")
            else:
                out.append(base + str(entry.name))
    walk(folder, "")
    return out


def test_the_pull_member_converges_from_its_agent_alone(
    member: LocalClusters, client: KubeClient, fleet: tuple[Fleet, str], tmp_path: Path,
) -> None:
    repo, url = fleet
    repo.render()
    assert staging_objects(repo), "the sample repo places nothing on its Pull member"
    out = agent_once(url, member, tmp_path)
    assert out.returncode == 0 and out.stdout.startswith("applied"), out.stdout + out.stderr
    namespaces = client.request("GET", "/api/v1/namespaces", what="list")
    assert any(ns["metadata"]["name"] == "shop" for ns in namespaces["items"]), namespaces
    # The SOPS Secret holds the decrypted value live, and nothing in clear left the member.
    secret = live(client, SECRET_PATH)
    assert secret is not None
    assert base64.b64decode(secret["data"]["password"]).decode() == "s4mple-staging-pa55word"  # type: ignore[index]
    assert "s4mple" not in out.stdout + out.stderr
    for ref in repo.bare.references:  # main, the status branch, the agent's report branch
        assert not any(b"s4mple" in blob for blob in blobs(repo.bare, repo.bare.references[ref].peel(pygit2.Tree))), ref
    # The report is on the agent's own branch on the remote, and `gitfleet status` shows it.
    assert repo.bare.references.get(f"refs/heads/{REPORT_BRANCH}") is not None
    clone = tmp_path / "clone"
    pygit2.clone_repository(url, str(clone))
    subprocess.run(["git", "-C", str(clone), "fetch", "origin", "+refs/heads/gitfleet/*:refs/heads/gitfleet/*"],
                   check=True, capture_output=True, timeout=60)
    shown = cli("status", str(clone), "-o", "json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)["clusters"][MEMBER]
    assert report["state"] == "Applied" and report["objects"]["desired"] == len(staging_objects(repo))
    # A second pass changes nothing.
    again = agent_once(url, member, tmp_path)
    assert again.returncode == 0 and "applied" in again.stdout


def test_a_hand_edited_folder_is_refused_and_nothing_is_applied(
    member: LocalClusters, client: KubeClient, fleet: tuple[Fleet, str], tmp_path: Path,
) -> None:
    repo, url = fleet
    repo.render((CONFIG, config("tampered-test")))
    status = repo.repo.references["refs/heads/gitfleet/status"].peel(pygit2.Commit)
    path = f"clusters/{MEMBER}/shop/core.ConfigMap.agent-probe.yaml"
    blob = repo.repo[status.tree[path].id].data.replace(b"tampered-test", b"evil")  # type: ignore[union-attr]
    mallory = pygit2.Signature("mallory", "m@example.com")
    from gitfleet.git.treebuild import update_tree

    tree = update_tree(repo.repo, status.tree, {path: blob})
    repo.repo.create_commit("refs/heads/gitfleet/status", mallory, mallory, status.message, tree, [status.id])
    repo.repo.remotes["origin"].push(["+refs/heads/gitfleet/status:refs/heads/gitfleet/status"])
    out = agent_once(url, member, tmp_path)
    assert out.returncode == 1 and out.stdout.startswith("refused"), out.stdout + out.stderr
    assert "shop/core.ConfigMap.agent-probe.yaml" in out.stdout
    shown = live(client, CONFIG_PATH)
    assert shown is None or "evil" not in json.dumps(shown)


def test_prune_drift_and_a_remote_that_is_down(
    member: LocalClusters, client: KubeClient, fleet: tuple[Fleet, str], tmp_path: Path,
) -> None:
    repo, url = fleet
    repo.render((CONFIG, config("drift-test")))
    assert agent_once(url, member, tmp_path).returncode == 0
    obj = live(client, CONFIG_PATH)
    assert obj is not None and obj["data"] == {"greeting": "drift-test"}
    # Drift: a hand edit is corrected by the next pass.
    obj["data"] = {"greeting": "hand edit"}
    client.request("PUT", CONFIG_PATH, body=obj, what="edit")
    assert agent_once(url, member, tmp_path).returncode == 0
    corrected = live(client, CONFIG_PATH)
    assert corrected is not None and corrected["data"] == {"greeting": "drift-test"}
    # A remote that is down: the pass fails and the member keeps what it has.
    bare = Path(repo.bare.path)
    moved = bare.with_name("away.git")
    bare.rename(moved)
    try:
        down = agent_once(url, member, tmp_path)
        assert down.returncode == 3 and "cannot be fetched" in down.stdout, down.stdout + down.stderr
        assert live(client, CONFIG_PATH) is not None
    finally:
        moved.rename(bare)
    # Prune: the object leaves the fleet repo, and the member.
    repo.render((CONFIG, None))
    assert agent_once(url, member, tmp_path).returncode == 0
    assert live(client, CONFIG_PATH) is None
