"""The reconciler re-renders a commit that changes only templates from its last plan,
and what it records is what a full render of that commit gives.

The members are Pull-mode clusters (their own agents apply what the status branch
holds), so no API server is needed: every cycle renders and records.
"""

from __future__ import annotations

import json
from pathlib import Path

import pygit2
import pytest

from gitfleet.git.source import open_source
from gitfleet.git.statusbranch import read_status_commit
from gitfleet.load.loader import load_fleet
from gitfleet.plan.build import build_plan
from gitfleet.reconcile import Reconciler, RunConfig
from gitfleet.service.recall import read_memory
from gitfleet.status.layout import is_rendered_path, plan_to_tree
from tests.fleetrepo import SIG, FleetRepo
from tests.reconcile.fleet import BROKEN_POLICY, fleet_files

BRANCH = "gitfleet/status"
NS = "shop"


def pull_fleet(**kwargs: object) -> dict[str, str | None]:
    files = fleet_files(NS, **kwargs)  # type: ignore[arg-type]
    return {p: t.replace("syncMode: Push", "syncMode: Pull") if t else t for p, t in files.items()}


def full_render(files: dict[str, str | None], repo: FleetRepo) -> dict[str, bytes]:
    """The rendered part of the status tree a full render of ``files`` gives, scheduled
    with the memory the status branch records (a render is a fixed point of its own)."""
    memory = read_memory(open_source(str(repo.path)), BRANCH)
    return plan_to_tree(build_plan(load_fleet({p: t.encode() for p, t in files.items() if t is not None}), memory))


def recorded(repo: FleetRepo) -> dict[str, bytes]:
    status = read_status_commit(repo.repo, BRANCH)
    assert status is not None
    return {p: b for p, b in status.files.items() if is_rendered_path(p)}


@pytest.fixture
def reconciler(fleet_repo: FleetRepo) -> Reconciler:
    return Reconciler(RunConfig(repo=str(fleet_repo.path)))


# Each step: the files of the next commit and how the reconciler must plan it.
STEPS = [
    ("first commit", pull_fleet(), "full"),
    ("ConfigMap data", pull_fleet(greeting="bonjour"), "incremental"),
    ("Deployment replicas", pull_fleet(greeting="bonjour", replicas=5), "incremental"),
    ("policy", {**pull_fleet(greeting="bonjour", replicas=5),
                "policies/pp.yaml": pull_fleet()["policies/pp.yaml"].replace(  # type: ignore[union-attr]
                    "[member1, member2]", "[member1]")}, "full"),
    ("template removed", {**pull_fleet(replicas=5, with_config=False),
                          "policies/pp.yaml": pull_fleet()["policies/pp.yaml"].replace(  # type: ignore[union-attr]
                              "[member1, member2]", "[member1]")}, "incremental"),
]


def test_each_commit_records_what_a_full_render_gives(fleet_repo: FleetRepo, reconciler: Reconciler) -> None:
    for what, files, mode in STEPS:
        sha = fleet_repo.commit(files, what)
        report = reconciler.run_cycle()
        assert (report.outcome, report.revision, report.render, report.error) == ("applied", sha, mode, None), what
        assert report.status_commit is not None, what
        assert recorded(fleet_repo) == full_render(files, fleet_repo), what
        assert {"render", "record"} <= report.phases.keys(), what


def test_an_invalid_commit_in_between_keeps_the_last_good_plan(fleet_repo: FleetRepo,
                                                               reconciler: Reconciler) -> None:
    fleet_repo.commit(pull_fleet())
    assert reconciler.run_cycle().render == "full"
    fleet_repo.commit({**pull_fleet(greeting="never"), "policies/pp.yaml": BROKEN_POLICY.replace("NS", NS)})
    report = reconciler.run_cycle()
    assert (report.outcome, report.render) == ("invalid", None)
    fixed = pull_fleet(greeting="hola")
    sha = fleet_repo.commit(fixed)
    report = reconciler.run_cycle()
    assert (report.outcome, report.revision, report.render) == ("applied", sha, "incremental")
    assert recorded(fleet_repo) == full_render(fixed, fleet_repo)


def test_a_status_branch_moved_by_someone_else_is_read_again(fleet_repo: FleetRepo,
                                                            reconciler: Reconciler) -> None:
    fleet_repo.commit(pull_fleet())
    first = reconciler.run_cycle()
    assert first.outcome == "applied" and first.status_commit is not None
    # Another writer commits on the status branch: a note under status/, and a stray
    # edit to a rendered manifest that the next render must overwrite.
    repo = fleet_repo.repo
    tip = repo[first.status_commit]
    assert isinstance(tip, pygit2.Commit)
    builder = repo.TreeBuilder(tip.tree)
    status_dir = repo.TreeBuilder()
    status_dir.insert("note.yaml", repo.create_blob(b"note: kept\n"), pygit2.GIT_FILEMODE_BLOB)
    builder.insert("status", status_dir.write(), pygit2.GIT_FILEMODE_TREE)
    builder.insert("placements.yaml", repo.create_blob(b"[]\n"), pygit2.GIT_FILEMODE_BLOB)
    other = repo.create_commit(f"refs/heads/{BRANCH}", SIG, SIG, "someone else", builder.write(), [tip.id])

    files = pull_fleet(greeting="bonjour")
    fleet_repo.commit(files)
    report = reconciler.run_cycle()
    assert (report.outcome, report.render) == ("applied", "incremental")
    status = read_status_commit(repo, BRANCH)
    assert status is not None and status.sha == report.status_commit
    new = repo[status.sha]
    assert isinstance(new, pygit2.Commit) and new.parent_ids == [other]
    assert {p: b for p, b in status.files.items() if is_rendered_path(p)} == full_render(files, fleet_repo)
    assert status.files["status/note.yaml"] == b"note: kept\n"


def test_phases_are_measured(fleet_repo: FleetRepo, reconciler: Reconciler) -> None:
    fleet_repo.commit(pull_fleet())
    reconciler.run_cycle()
    fleet_repo.commit(pull_fleet(greeting="bonjour"))
    reconciler.run_cycle()
    exposition = reconciler.metrics.exposition().decode()
    for phase in ("render", "read_status", "apply", "record"):
        assert f'gitfleet_reconcile_phase_duration_seconds_count{{phase="{phase}"}} 2.0' in exposition


def test_a_held_cluster_keeps_what_the_branch_holds_now(fleet_repo: FleetRepo, tmp_path: Path) -> None:
    """member2 is Push-mode and unreachable, so its folder records what was applied there
    before: after another writer changed it, that version is what stays."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [],
                                      "contexts": []}))
    reconciler = Reconciler(RunConfig(repo=str(fleet_repo.path), kubeconfig=str(kubeconfig)))
    mixed = {**pull_fleet(), "clusters/member2.yaml": fleet_files(NS)["clusters/member2.yaml"]}
    fleet_repo.commit(mixed)
    first = reconciler.run_cycle()
    assert first.outcome == "partial" and first.status_commit is not None
    repo = fleet_repo.repo
    tip = repo[first.status_commit]
    assert isinstance(tip, pygit2.Commit)
    # member2's folder as another writer (e.g. an apply from a laptop) recorded it.
    path = f"clusters/member2/{NS}/core.ConfigMap.cfg.yaml"
    index = pygit2.Index()
    index.read_tree(tip.tree)
    index.add(pygit2.IndexEntry(path, repo.create_blob(b"applied: elsewhere\n"), pygit2.GIT_FILEMODE_BLOB))
    repo.create_commit(f"refs/heads/{BRANCH}", SIG, SIG, "someone else", index.write_tree(repo), [tip.id])

    fleet_repo.commit({**mixed, "templates/cfg.yaml": pull_fleet(greeting="bonjour")["templates/cfg.yaml"]})
    report = reconciler.run_cycle()
    assert (report.outcome, report.render) == ("partial", "incremental")
    status = read_status_commit(repo, BRANCH)
    assert status is not None
    assert status.files[path] == b"applied: elsewhere\n"
    assert b"bonjour" in status.files[f"clusters/member1/{NS}/core.ConfigMap.cfg.yaml"]


SECRET = """apiVersion: v1
kind: Secret
metadata: {{name: creds, namespace: shop}}
stringData: {{password: {value}}}
"""


def test_secret_values_follow_an_incremental_change(fleet_repo: FleetRepo, reconciler: Reconciler) -> None:
    """Log lines are scrubbed of the Secret values of the plan: they must follow a
    Secret template added or changed by a commit that is planned incrementally."""
    policy = pull_fleet()["policies/pp.yaml"].replace(  # type: ignore[union-attr]
        "    - {apiVersion: v1, kind: ConfigMap, name: cfg}",
        "    - {apiVersion: v1, kind: ConfigMap, name: cfg}\n    - {apiVersion: v1, kind: Secret, name: creds}")
    fleet_repo.commit({**pull_fleet(), "policies/pp.yaml": policy})
    reconciler.run_cycle()
    for value in ("hunter2", "correct-horse"):
        fleet_repo.commit({**pull_fleet(), "policies/pp.yaml": policy,
                           "templates/creds.yaml": SECRET.format(value=value)})
        report = reconciler.run_cycle()
        assert (report.outcome, report.render) == ("applied", "incremental")
        desired = reconciler._memory.desired  # what every log line of the next cycles is scrubbed with
        assert desired is not None and value in desired.redactor
    fleet_repo.commit({**pull_fleet(greeting="bonjour"), "policies/pp.yaml": policy,
                       "templates/creds.yaml": SECRET.format(value="correct-horse")})
    reconciler.run_cycle()
    assert "correct-horse" in reconciler._memory.desired.redactor  # type: ignore[union-attr]


def test_the_memory_it_wrote_is_not_read_back(fleet_repo: FleetRepo, reconciler: Reconciler,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """While the status branch tip is the commit this process wrote, the memory is the
    state it wrote; once another writer moves the branch, the branch is read again."""
    from gitfleet.reconcile import cycle

    reads: list[str] = []
    real = cycle.memory_of

    def counting(*args: object, **kwargs: object) -> object:
        reads.append("read")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cycle, "memory_of", counting)
    fleet_repo.commit(pull_fleet())
    assert reconciler.run_cycle().outcome == "applied" and len(reads) == 1
    fleet_repo.commit(pull_fleet(greeting="bonjour"))
    report = reconciler.run_cycle()
    assert (report.outcome, report.render, len(reads)) == ("applied", "incremental", 1)
    assert {p: b for p, b in read_status_commit(fleet_repo.repo, BRANCH).files.items()  # type: ignore[union-attr]
            if is_rendered_path(p)} == full_render(pull_fleet(greeting="bonjour"), fleet_repo)
    repo = fleet_repo.repo
    tip = repo[report.status_commit]
    assert isinstance(tip, pygit2.Commit)
    repo.create_commit(f"refs/heads/{BRANCH}", SIG, SIG, "someone else", tip.tree.id, [tip.id])
    fleet_repo.commit(pull_fleet(greeting="hola"))
    assert reconciler.run_cycle().outcome == "applied" and len(reads) == 2
