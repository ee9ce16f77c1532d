"""``gitfleet apply`` and ``gitfleet drift`` end to end: a fleet repo in Git, real
member clusters, results on the status branch."""

from __future__ import annotations

import json
from pathlib import Path

import pygit2
import pytest

from gitfleet.apply.statusfile import read_status
from gitfleet.cli.main import main
from gitfleet.git.statusbranch import read_status_commit
from gitfleet.kube import KubeClient
from gitfleet.model.keys import ResourceId
from gitfleet.testing import LocalClusters
from tests.fleetrepo import commit_files as _commit
from tests.fleetrepo import fleet_files as _files

# One xdist worker runs the whole tier, so one set of member clusters serves it.
pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]
def _apply(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["apply", *args, "-o", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_apply_prune_drift_end_to_end(
    tmp_path: Path, member_clusters: LocalClusters, kube: dict[str, KubeClient], ns: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = pygit2.init_repository(str(tmp_path / "fleet"), initial_head="main")
    first_sha = _commit(repo, _files(ns))
    path, kubeconfig = str(tmp_path / "fleet"), str(member_clusters.kubeconfig)

    code, out = _apply(capsys, path, "--kubeconfig", kubeconfig)
    assert code == 0, out
    assert [c["counts"] for c in out["clusters"]] == [{"created": 3}, {"created": 3}]
    status = read_status_commit(repo, "gitfleet/status")
    assert status is not None and status.source_sha == first_sha
    doc = read_status(status.files, "member1")
    assert doc["state"] == "Applied" and doc["appliedRevision"] == first_sha
    assert doc["inventory"] == sorted([f"apps/v1/Deployment/{ns}/web", f"v1/ConfigMap/{ns}/cfg",
                                       f"v1/Namespace/_/{ns}"])
    assert doc["workloads"][0]["resource"] == f"apps/v1/Deployment/{ns}/web"
    assert any(p.startswith("clusters/member2/") for p in status.files)

    # Steady state: nothing written to the clusters, nothing committed.
    code, out = _apply(capsys, path, "--kubeconfig", kubeconfig)
    assert code == 0 and out["statusCommit"] is None
    assert all(c["counts"] == {"unchanged": 3} for c in out["clusters"])

    # A template removed from the repo is pruned from both members.
    second_sha = _commit(repo, _files(ns, with_config=False))
    code, out = _apply(capsys, path, "--kubeconfig", kubeconfig, "--dry-run")
    assert code == 0 and "statusCommit" not in out
    assert kube["member1"].get(ResourceId("v1", "ConfigMap", ns, "cfg")) is not None
    code, out = _apply(capsys, path, "--kubeconfig", kubeconfig)
    assert code == 0 and all(c["counts"] == {"pruned": 1, "unchanged": 2} for c in out["clusters"])
    assert kube["member2"].get(ResourceId("v1", "ConfigMap", ns, "cfg")) is None
    status = read_status_commit(repo, "gitfleet/status")
    assert status is not None and status.source_sha == second_sha
    assert f"v1/ConfigMap/{ns}/cfg" not in read_status(status.files, "member2")["inventory"]

    # Drift made with another tool shows in `gitfleet drift` and is corrected by apply.
    deploy = ResourceId("apps/v1", "Deployment", ns, "web")
    kube["member1"].request("PATCH", kube["member1"].object_path(deploy), query={"fieldManager": "kubectl-scale"},
                            body={"spec": {"replicas": 9}}, content_type="application/merge-patch+json")
    code = main(["drift", path, "--kubeconfig", kubeconfig, "--exit-code"])
    text = capsys.readouterr().out
    assert code == 1
    assert text == f"member1: apps/v1/Deployment/{ns}/web /spec/replicas: desired 2, live 9\n"
    code, out = _apply(capsys, path, "--kubeconfig", kubeconfig)
    assert code == 0
    assert kube["member1"].get(deploy)["spec"]["replicas"] == 2  # type: ignore[index]
    status = read_status_commit(repo, "gitfleet/status")
    assert status is not None
    assert read_status(status.files, "member1")["drift"] == [
        {"resource": str(deploy), "pointer": "/spec/replicas", "desired": 2, "live": 9, "corrected": True}]
    assert main(["drift", path, "--kubeconfig", kubeconfig, "--exit-code"]) == 0
    assert capsys.readouterr().out == "no drift\n"


def test_unreachable_member_exits_3_and_keeps_its_record(
    tmp_path: Path, member_clusters: LocalClusters, ns: str, capsys: pytest.CaptureFixture[str],
) -> None:
    repo = pygit2.init_repository(str(tmp_path / "fleet"), initial_head="main")
    _commit(repo, _files(ns))
    only_one = json.loads(member_clusters.kubeconfig.read_text())
    only_one["contexts"] = [c for c in only_one["contexts"] if c["name"] == "member1"]
    config = tmp_path / "kubeconfig"
    config.write_text(json.dumps(only_one))

    code, out = _apply(capsys, str(tmp_path / "fleet"), "--kubeconfig", str(config))
    assert code == 3
    by_name = {c["cluster"]: c for c in out["clusters"]}
    assert by_name["member1"]["ok"] and "no context named 'member2'" in by_name["member2"]["error"]
    status = read_status_commit(repo, "gitfleet/status")
    assert status is not None
    assert read_status(status.files, "member2")["state"] == "Failed"
    assert not any(p.startswith("clusters/member2/") for p in status.files)  # nothing recorded as applied
    assert any(p.startswith("clusters/member1/") for p in status.files)


def test_usage_errors(tmp_path: Path, member_clusters: LocalClusters, ns: str,
                      capsys: pytest.CaptureFixture[str]) -> None:
    repo = pygit2.init_repository(str(tmp_path / "fleet"), initial_head="main")
    _commit(repo, _files(ns))
    code = main(["apply", str(tmp_path / "fleet"), "--kubeconfig", str(member_clusters.kubeconfig),
                 "--cluster", "nowhere"])
    assert code == 2 and "unknown cluster(s): nowhere" in capsys.readouterr().err


def test_live_diff_and_status_table(
    tmp_path: Path, member_clusters: LocalClusters, kube: dict[str, KubeClient], ns: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = pygit2.init_repository(str(tmp_path / "fleet"), initial_head="main")
    _commit(repo, _files(ns))
    path, kubeconfig = str(tmp_path / "fleet"), str(member_clusters.kubeconfig)

    # Before any apply, --live shows every object as to be created, and writes nothing.
    assert main(["diff", path, "--live", "--kubeconfig", kubeconfig, "--exit-code"]) == 1
    text = capsys.readouterr().out
    assert "member1: 3 change(s)" in text and f"apps/v1/Deployment/{ns}/web" in text
    assert kube["member1"].get(ResourceId("v1", "ConfigMap", ns, "cfg")) is None

    code, _ = _apply(capsys, path, "--kubeconfig", kubeconfig)
    assert code == 0
    assert main(["diff", path, "--live", "--kubeconfig", kubeconfig, "--exit-code"]) == 0
    assert capsys.readouterr().out == "member1: in sync\nmember2: in sync\n"

    # A replica change made in the repo shows as a field change against live.
    _commit(repo, _files(ns, replicas=5))
    assert main(["diff", path, "--live", "--kubeconfig", kubeconfig, "--cluster", "member2"]) == 0
    text = capsys.readouterr().out
    assert "/spec/replicas: 2 -> 5" in text and "member1" not in text

    # `gitfleet status` aggregates the per-cluster results of the last apply.
    assert main(["status", path]) == 0
    table = capsys.readouterr().out
    assert "member1" in table and "member2" in table and f"apps/v1/Deployment/{ns}/web" in table


def test_diff_needs_base_or_live(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = pygit2.init_repository(str(tmp_path / "fleet"), initial_head="main")
    _commit(repo, _files("x"))
    assert main(["diff", str(tmp_path / "fleet")]) == 2
    assert "--base REV is required" in capsys.readouterr().err
