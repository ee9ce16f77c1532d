"""sample-repo/ applied to real members named like its inventory: what the README's
"try it on local clusters" does, end to end, with the status branch in a copy of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pygit2
import pytest

from gitfleet.cli.main import main
from gitfleet.git.statusbranch import read_status_commit
from gitfleet.testing import start_member_clusters

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]
SAMPLE = Path(__file__).resolve().parents[2] / "sample-repo"
SIG = pygit2.Signature("tester", "tester@example.com", 1_700_000_000, 0)
PUSH_MEMBERS = ["aws-euw1-prod", "aws-use1-prod-1", "aws-use1-prod-2", "gcp-usc1-gpu", "gcp-usc1-prod"]


def test_sample_repo_applies_cleanly_and_converges(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo_dir = tmp_path / "fleet"
    shutil.copytree(SAMPLE, repo_dir, ignore=shutil.ignore_patterns(".github"))
    repo = pygit2.init_repository(str(repo_dir), initial_head="main")
    repo.index.add_all()
    repo.index.write()
    repo.create_commit("HEAD", SIG, SIG, "sample", repo.index.write_tree(), [])

    with start_member_clusters(names=PUSH_MEMBERS, kubeconfig=tmp_path / "kubeconfig") as clusters:
        kubeconfig = str(clusters.kubeconfig)
        assert main(["apply", str(repo_dir), "--kubeconfig", kubeconfig, "-o", "json"]) == 0
        first = json.loads(capsys.readouterr().out)
        assert first["ok"]
        counts = {c["cluster"]: c["counts"] for c in first["clusters"]}
        # The staging cluster is Pull mode: not pushed to. The tainted GPU cluster only
        # gets what tolerates its taint, plus the Namespace, CRD and custom resource.
        assert set(counts) == set(PUSH_MEMBERS)
        assert counts["gcp-usc1-gpu"] == {"created": 4}
        assert all(set(c) == {"created"} for c in counts.values())

        assert main(["apply", str(repo_dir), "--kubeconfig", kubeconfig, "-o", "json"]) == 0
        again = json.loads(capsys.readouterr().out)
        assert all(set(c["counts"]) == {"unchanged"} for c in again["clusters"])
        assert again["statusCommit"] is None

        assert main(["drift", str(repo_dir), "--kubeconfig", kubeconfig, "--exit-code"]) == 0
        capsys.readouterr()
    status = read_status_commit(repo, "gitfleet/status")
    assert status is not None
    assert sorted(p.split("/")[1] for p in status.files if p.startswith("status/")) == [
        f"{name}.yaml" for name in PUSH_MEMBERS]
