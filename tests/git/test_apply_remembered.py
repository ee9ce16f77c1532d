"""A ``gitfleet apply`` with nothing to do takes its plan from what the last apply
remembered (issue 11, item 7): it neither loads nor plans the fleet repo, reads no
state, builds no status tree and parses no recorded manifest, and records nothing.
Anything that can change the render (a fleet file, the memory, gitfleet itself, a clock
that can evict, a missing remembered plan) disables the shortcut, and the shortcut's
plan, members, inventory and reports equal those of a full plan."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pygit2
import pytest

from git.fleets import CLUSTER, fleet
from git.repos import SIG, commit, init, write
from gitfleet.apply.result import ClusterResult, FleetResult, ObjectResult
from gitfleet.apply.session import previous_inventory, status_reports
from gitfleet.git.treebuild import update_tree
from gitfleet.service import applying, memory, planning, recall, recording
from gitfleet.service.applying import Target, target
from gitfleet.service.memory import DiskMemory
from gitfleet.service.recording import record_results

pytestmark = pytest.mark.git
BRANCH = "gitfleet/status"
NOW = "2026-12-04T10:00:00Z"
# What a no-op apply with a remembered plan must not do (module, function).
COSTLY = [
    (applying, "memory_of"),  # reads the state/ folder
    (recall, "read_memory"),
    (planning, "load_fleet"),
    (planning, "render_full"),
    (planning, "plan_to_tree"),
    (recording, "plan_to_tree"),
    (recording, "record_status"),
    (recording, "read_status"),  # reads every blob of the status tree
]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GITFLEET_CACHE", str(cache))
    return cache


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts the calls of :data:`COSTLY` (and of the layout's manifest parser)."""
    from gitfleet.apply import session
    from gitfleet.status import layout

    seen: Counter[str] = Counter()

    def counted(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    for module, name in [*COSTLY, (layout, "_key_of"), (session, "plan_to_tree")]:
        monkeypatch.setattr(module, name, counted(name, getattr(module, name)))
    yield seen


def apply_once(r: pygit2.Repository, **options: Any) -> tuple[Target, str | None]:
    """What ``gitfleet apply`` does, with every member reporting a complete run that
    changed nothing: plan, then record the results."""
    chosen = target(r.workdir, None, None, departed=True, keep_tree=True, now=NOW, memory=DiskMemory(), **options)
    result = results(chosen)
    sha, _ = record_results(chosen.revision, chosen.branch, chosen.planned, result, chosen.previous,
                            memory=DiskMemory())
    return chosen, sha


def results(chosen: Target) -> FleetResult:
    plan = chosen.planned.plan
    return FleetResult({n: ClusterResult(n, [ObjectResult(k, "unchanged") for k in sorted(plan.manifests.get(n, {}))],
                                         complete=True) for n in chosen.members.names})


def full(r: pygit2.Repository) -> Target:
    """The same target planned in full, nothing remembered."""
    return target(r.workdir, None, None, departed=True, keep_tree=True, now=NOW)


def assert_same_as_full(chosen: Target, r: pygit2.Repository) -> None:
    other = full(r)
    mine, theirs = chosen.planned.plan, other.planned.plan
    assert mine.manifests == theirs.manifests
    assert mine.placements == theirs.placements
    assert mine.warnings == theirs.warnings
    assert mine.state == theirs.state
    assert chosen.members == other.members
    assert chosen.warnings == other.warnings
    names = list(chosen.members.names)
    assert previous_inventory(chosen.previous_files, names, chosen.previous_keys) == \
        previous_inventory(other.previous_files, names)
    assert chosen.planned.redactor.text("first-clear-password") == other.planned.redactor.text("first-clear-password")
    settings, sha = chosen.planned.fleet.settings, chosen.revision.sha or ""
    assert status_reports(mine, settings, results(chosen), chosen.previous_files, sha, chosen.previous_keys) == \
        status_reports(theirs, settings, results(other), other.previous_files, sha)


@pytest.fixture
def repo(tmp_path: Path) -> pygit2.Repository:
    r = init(tmp_path / "fleet")
    commit(r, fleet(), "base")
    return r


def test_a_noop_apply_takes_the_remembered_plan(repo: pygit2.Repository, calls: Counter[str]) -> None:
    first, sha = apply_once(repo)
    assert first.planned.mode == "full" and sha is not None
    calls.clear()
    again, sha = apply_once(repo)
    assert again.planned.mode == "remembered"
    assert sha is None  # nothing changed, nothing recorded
    assert {name: calls[name] for _, name in COSTLY} == {name: 0 for _, name in COSTLY}
    assert calls["_key_of"] == 0 and calls["plan_to_tree"] == 0
    # Real Secret values, not the digests the status branch holds.
    secret = again.planned.plan.manifests["m1"]["v1/Secret/shop/db"]
    assert secret["stringData"]["password"] == "first-clear-password"
    assert_same_as_full(again, repo)


def test_a_new_source_commit_is_recorded_from_the_remembered_plan(repo: pygit2.Repository) -> None:
    apply_once(repo)
    commit(repo, {"README.md": "docs only\n"}, "docs")  # not a fleet file: the render stays
    again, sha = apply_once(repo)
    assert again.planned.mode == "remembered"
    assert sha is not None  # the reports name the new source commit
    tip = repo.revparse_single(BRANCH)
    assert isinstance(tip, pygit2.Commit) and str(repo.head.target) in tip.message
    assert_same_as_full(again, repo)


def _edit_template(r: pygit2.Repository) -> None:
    commit(r, {"templates/web.yaml": fleet(replicas=3)["templates/web.yaml"]}, "replicas")


def _edit_uncommitted(r: pygit2.Repository) -> None:
    write(Path(r.workdir), {"templates/secret.yaml": fleet(password="second-clear-password")["templates/secret.yaml"]})


def _edit_state(r: pygit2.Repository) -> None:
    """Another writer's status commit, with one remembered decision less."""
    tip = r.revparse_single(BRANCH)
    assert isinstance(tip, pygit2.Commit)
    state = [e.name for e in tip.tree["state/resources/shop"].peel(pygit2.Tree)]
    tree = update_tree(r, tip.tree, {f"state/resources/shop/{state[0]}": None})
    r.create_commit(f"refs/heads/{BRANCH}", SIG, SIG, "state edited", tree, [tip.id])


def _other_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "tool_fingerprint", lambda: "another gitfleet")


def _forget_plans(cache: Path) -> None:
    for path in cache.glob("render/*/*.plan"):
        path.write_bytes(path.read_bytes()[:-10])  # damaged: a cache miss, never a wrong plan


@pytest.mark.parametrize(("case", "expected"), [
    ("template", "full"),
    ("uncommitted", "full"),
    ("state", "full"),
    ("fresh", "full"),
    ("tool", "full"),
    ("damaged plan", "full"),
    ("nothing", "remembered"),
])
def test_what_disables_the_shortcut(repo: pygit2.Repository, private_cache: Path, monkeypatch: pytest.MonkeyPatch,
                                    case: str, expected: str) -> None:
    apply_once(repo)
    options: dict[str, Any] = {}
    if case == "template":
        _edit_template(repo)
    elif case == "uncommitted":
        _edit_uncommitted(repo)
    elif case == "state":
        _edit_state(repo)
    elif case == "fresh":
        options["fresh"] = True
    elif case == "tool":
        _other_tool(monkeypatch)
    elif case == "damaged plan":
        _forget_plans(private_cache)
    again, _ = apply_once(repo, **options)
    assert again.planned.mode == expected
    if not options:
        assert_same_as_full(again, repo)
    # Whatever the first apply after a change did, the next one is a no-op again.
    settled, sha = apply_once(repo)
    assert settled.planned.mode == "remembered" and sha is None


@pytest.mark.parametrize(("inventory", "why"), [
    ({"clusters/m3.yaml": CLUSTER.format(name="m3", region="us-east-1")
      + "  taints:\n    - {key: maintenance, effect: NoExecute}\n"}, "a NoExecute taint: evictions depend on the clock"),
    ({"policies/rebalance.yaml": "apiVersion: apps.karmada.io/v1alpha1\nkind: WorkloadRebalancer\n"
      "metadata: {name: again}\nspec:\n  workloads:\n    - {apiVersion: apps/v1, kind: Deployment, name: web,"
      " namespace: shop}\n"}, "a WorkloadRebalancer can reschedule any resource"),
])
def test_a_clock_dependent_memory_always_plans(tmp_path: Path, inventory: dict[str, str], why: str) -> None:
    r = init(tmp_path / "clocked")
    commit(r, {**fleet(), **inventory}, "base")
    apply_once(r)
    again, _ = apply_once(r)
    assert again.planned.mode == "full", why
