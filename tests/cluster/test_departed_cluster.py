"""A cluster removed from the inventory: ``diff`` says what goes, ``apply`` prunes what
gitfleet owns there when it can reach it (the prune guard applies, and says so), and
until then the status branch keeps its folder; ``status`` no longer counts it."""

from __future__ import annotations

import json
from pathlib import Path

import pygit2
import pytest

from gitfleet.cli.main import main
from gitfleet.git.statusbranch import read_status_commit
from gitfleet.kube import KubeClient
from gitfleet.model.keys import ResourceId
from gitfleet.testing import LocalClusters
from tests.fleetrepo import commit_files, fleet_files

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_departed_cluster_is_pruned_when_reachable(
    tmp_path: Path, member_clusters: LocalClusters, kube: dict[str, KubeClient], ns: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = pygit2.init_repository(str(tmp_path / "fleet"), initial_head="main")
    commit_files(repo, fleet_files(ns))
    path, kubeconfig = str(tmp_path / "fleet"), str(member_clusters.kubeconfig)
    code, _, err = _run(capsys, "apply", path, "--kubeconfig", kubeconfig)
    assert code == 0, err
    config = ResourceId("v1", "ConfigMap", ns, "cfg")
    assert kube["member2"].get(config) is not None

    commit_files(repo, {"clusters/member2.yaml": None}, "member2 leaves the fleet")
    code, out, _ = _run(capsys, "diff", path, "--base", "HEAD~1", "--head", "HEAD", "-o", "json")
    gone = next(c for c in json.loads(out)["clusters"] if c["cluster"] == "member2")
    assert gone["state"] == "no longer in the fleet" and len(gone["removed"]) == 3

    # Every object of the cluster would go: the prune guard stops it, and says so.
    code, out, _ = _run(capsys, "apply", path, "--kubeconfig", kubeconfig, "-o", "json")
    report = json.loads(out)
    assert code == 3 and report["departedClusters"] == ["member2"]
    member2 = next(c for c in report["clusters"] if c["cluster"] == "member2")
    assert "maxPruneFraction" in member2["error"] or "prune" in member2["error"]
    assert kube["member2"].get(config) is not None
    status = read_status_commit(repo, "gitfleet/status")
    assert status is not None and any(p.startswith("clusters/member2/") for p in status.files)

    code, out, _ = _run(capsys, "apply", path, "--kubeconfig", kubeconfig, "--allow-mass-prune", "-o", "json")
    assert code == 0, out
    member2 = next(c for c in json.loads(out)["clusters"] if c["cluster"] == "member2")
    assert member2["counts"].get("pruned", 0) >= 2
    assert kube["member2"].get(config) is None
    status = read_status_commit(repo, "gitfleet/status")
    assert status is not None and not any(p.startswith("clusters/member2/") for p in status.files)

    code, out, _ = _run(capsys, "status", path, "-o", "json")
    shown = json.loads(out)
    assert code == 0 and "member2" not in json.dumps(shown.get("placements", []))
    # Nothing left to do: the next apply no longer reaches for member2.
    code, out, _ = _run(capsys, "apply", path, "--kubeconfig", kubeconfig, "-o", "json")
    assert code == 0 and json.loads(out)["departedClusters"] == []
