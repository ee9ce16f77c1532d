"""End to end on real repositories: `render --rev` equals rendering a checkout,
`render --commit` and `status`, and `diff` between two commits checked against golden
text (GITFLEET_UPDATE_GOLDEN=1 rewrites the golden files)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pygit2
import pytest

from git.fleets import EDITS, fleet
from git.repos import commit, init, write
from gitfleet.cli.main import main
from gitfleet.git.source import open_source
from gitfleet.git.statusbranch import read_status_commit
from gitfleet.load.loader import load_fleet
from gitfleet.plan.build import build_plan
from gitfleet.service.recording import record_plan
from gitfleet.service.source import read_repo
from gitfleet.status.layout import plan_to_tree
from tests import golden_files

pytestmark = pytest.mark.git
GOLDEN = Path(__file__).parent / "golden"
SAMPLE = Path(__file__).resolve().parents[2] / "sample-repo"


def check_golden(name: str, text: str) -> None:
    golden_files.check_golden(GOLDEN / name, text)


@pytest.fixture
def small(tmp_path: Path) -> pygit2.Repository:
    repo = init(tmp_path / "fleet")
    commit(repo, fleet(), "base fleet")
    return repo


def test_render_at_rev_equals_render_of_checkout(tmp_path: Path) -> None:
    repo = init(tmp_path / "work")
    shutil.copytree(SAMPLE, tmp_path / "work" / "sample-repo")
    first = commit(repo, {}, "sample")
    commit(repo, {"sample-repo/templates/web/deployment.yaml": None}, "drop the web deployment")
    co = tmp_path / "co"
    subprocess.run(["git", "clone", "-q", repo.workdir, str(co)], check=True, timeout=60)
    subprocess.run(["git", "-C", str(co), "checkout", "-q", first], check=True, timeout=60)
    from_git = open_source(Path(repo.workdir) / "sample-repo").files_at("HEAD~1")
    from_disk = open_source(co / "sample-repo").files()
    assert from_git == from_disk
    plan_git, plan_disk = build_plan(load_fleet(from_git)), build_plan(load_fleet(from_disk))
    assert plan_git.to_json() == plan_disk.to_json()
    assert plan_to_tree(plan_git) == plan_to_tree(plan_disk)


def test_render_commit_then_status(small: pygit2.Repository, capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(small.workdir)
    assert main(["render", str(root), "--commit"]) == 0
    tip = read_status_commit(small, "gitfleet/status")
    assert tip is not None and tip.source_sha == str(small.head.target)
    assert "Gitfleet-Dirty" not in tip.message
    assert b"first-clear-password" not in b"".join(tip.files.values())
    capsys.readouterr()
    assert main(["status", str(root), "-o", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["statusCommit"] == tip.sha and report["sourceCommit"] == tip.source_sha
    web = [p for p in report["placements"] if p["resource"] == "apps/v1/Deployment/shop/web"]
    assert web == [{"resource": "apps/v1/Deployment/shop/web", "policy": "PropagationPolicy/shop/web",
                    "clusters": [{"name": "m1", "replicas": 2}, {"name": "m2", "replicas": 2}]}]
    assert main(["status", str(root)]) == 0
    table = capsys.readouterr().out
    assert f"source commit: {tip.source_sha}" in table and "m1:2, m2:2" in table
    # unchanged render: nothing new; an uncommitted edit is recorded as dirty
    assert main(["render", str(root), "--commit"]) == 0
    assert read_status_commit(small, "gitfleet/status").sha == tip.sha  # type: ignore[union-attr]
    write(root, EDITS["replicas"])
    assert main(["render", str(root), "--commit"]) == 0
    dirty = read_status_commit(small, "gitfleet/status")
    assert dirty is not None and "Gitfleet-Dirty: true" in dirty.message and dirty.source_sha == tip.source_sha


def test_status_without_branch(small: pygit2.Repository, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", small.workdir]) == 0
    assert "does not exist yet" in capsys.readouterr().out


def test_commit_render_at_rev(small: pygit2.Repository) -> None:
    base = str(small.head.target)
    commit(small, EDITS["replicas"], "three replicas")
    plan = build_plan(load_fleet(open_source(small.workdir).files_at(base)))
    sha = record_plan(read_repo(small.workdir, base), plan, "rendered", False)
    tip = read_status_commit(small, "rendered")
    assert tip is not None and tip.sha == sha and tip.source_sha == base


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_diff_between_commits(small: pygit2.Repository, edit: str, fmt: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    commit(small, EDITS[edit], edit)
    code = main(["diff", small.workdir, "--base", "HEAD~1", "--head", "HEAD", "--format", fmt])
    out = capsys.readouterr()
    assert "first-clear-password" not in out.out + out.err
    assert "second-clear-password" not in out.out + out.err
    if edit == "template-error":
        assert code == 1
        assert "templates/bad.yaml.j2:" in out.err
    else:
        assert code == 0
    check_golden(f"{edit}.{ {'text': 'txt', 'markdown': 'md', 'json': 'json'}[fmt] }", out.out)


@pytest.mark.parametrize(("edit", "code"), [("replicas", 1), ("no-change", 0)], ids=["changed", "unchanged"])
def test_diff_exit_code(small: pygit2.Repository, edit: str, code: int) -> None:
    commit(small, EDITS[edit], edit)
    assert main(["diff", small.workdir, "--base", "HEAD~1", "--head", "HEAD", "--exit-code"]) == code


def test_diff_head_defaults_to_working_tree(small: pygit2.Repository, capsys: pytest.CaptureFixture[str]) -> None:
    write(Path(small.workdir), EDITS["replicas"])
    assert main(["diff", small.workdir, "--base", "HEAD", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["head"] == "working tree"
    assert [p["text"] for p in out["placements"]] == ["replicas 2 → 3 on m1", "replicas 2 → 3 on m2"]


def test_diff_unknown_base(small: pygit2.Repository, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", small.workdir, "--base", "nope"]) == 2
    assert "revision 'nope' not found" in capsys.readouterr().err
