"""Following a remote: the reconciler mirrors a Git URL, fetches it every cycle and
pushes the status branch back. The only member is in Pull mode, so nothing is
applied and no cluster is needed; the render is still recorded."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest

from gitfleet.git.statusbranch import read_status_commit
from gitfleet.reconcile import Reconciler, RunConfig
from tests.fleetrepo import FleetRepo

pytestmark = pytest.mark.git


def _files(greeting: str) -> dict[str, str | None]:
    return {
        "clusters/edge.yaml": "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: edge}\n"
                              "spec: {syncMode: Pull}\n",
        "policies/pp.yaml": """apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: cfg, namespace: default}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: cfg}]
  placement: {clusterAffinity: {clusterNames: [edge]}}
""",
        "templates/cfg.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg, namespace: default}}\n"
                              f"data: {{greeting: {greeting}}}\n",
    }


def test_mirror_is_fetched_and_the_status_branch_pushed(
    fleet_repo: FleetRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITFLEET_CACHE", str(tmp_path / "cache"))
    remote = pygit2.init_repository(str(tmp_path / "remote.git"), bare=True, initial_head="main")
    fleet_repo.repo.remotes.create("origin", remote.path)

    def publish(greeting: str) -> str:
        sha = fleet_repo.commit(_files(greeting))
        fleet_repo.repo.remotes["origin"].push(["+refs/heads/main:refs/heads/main"])
        return sha

    first = publish("hello")
    reconciler = Reconciler(RunConfig(repo=f"file://{remote.path}", push_status=True))
    report = reconciler.run_cycle()
    assert (report.outcome, report.revision, report.error) == ("applied", first, None)
    assert report.result is not None and report.result.clusters == {}  # Pull mode: nothing pushed to it
    pushed = read_status_commit(remote, "gitfleet/status")
    assert pushed is not None and pushed.sha == report.status_commit and pushed.source_sha == first
    assert any(p.startswith("clusters/edge/") for p in pushed.files)

    assert reconciler.run_cycle().outcome == "unchanged"

    second = publish("bonjour")
    report = reconciler.run_cycle()
    assert (report.outcome, report.revision) == ("applied", second)
    pushed = read_status_commit(remote, "gitfleet/status")
    assert pushed is not None and pushed.source_sha == second
    assert b"bonjour" in b"".join(data for path, data in pushed.files.items() if path.startswith("clusters/edge/"))

    fleet_repo.commit({"templates/cfg.yaml": None})  # the edge member's only object goes
    fleet_repo.repo.remotes["origin"].push(["+refs/heads/main:refs/heads/main"])
    assert reconciler.run_cycle().outcome == "applied"
    pushed = read_status_commit(remote, "gitfleet/status")
    assert pushed is not None and not any(p.startswith("clusters/edge/") for p in pushed.files)
