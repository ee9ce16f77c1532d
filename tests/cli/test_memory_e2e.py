"""Scheduling with memory end to end (issue 10, KARMADA-RESCHEDULING): sequences of
commits in a real Git repository, each rendered with ``gitfleet render --commit --now T``
in process, and the placement the status branch records after each step.

Two workloads on a small inventory whose free capacity (``resourceSummary``, one CPU per
replica of ``web``) the steps change: ``web`` (Divided, dynamic weights: the Steady
rules) and ``api`` (Duplicated). The numbers are the doc's worked examples where it
gives them. After every step the render is a fixed point of its own state: rendering the
same commit at the same clock again commits nothing and prints the same placements.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2
import pytest
import yaml

from gitfleet.cli.main import main
from gitfleet.git.statusbranch import read_status_commit
from tests.git.repos import commit, init

pytestmark = pytest.mark.git

BRANCH = "gitfleet/status"
PLANNING_LOG = "gitfleet.service.planning"
WEB = "apps/v1/Deployment/shop/web"
API = "apps/v1/Deployment/shop/api"
T0 = "2026-12-04T10:00:00Z"
T1 = "2026-12-04T11:00:00Z"
T2 = "2026-12-04T12:00:00Z"
T3 = "2026-12-04T13:00:00Z"
TAINTED_AT = "2026-12-04T11:00:00Z"
UNREACHABLE = "cluster.karmada.io/unreachable"

FLEET = "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: memory}\n"
NO_EVICTION = FLEET + "spec:\n  failover: {noExecuteEviction: false}\n"

CLUSTER = """apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: {name}
  labels: {{env: prod}}
spec:
  syncMode: Push
{taints}status:
  resourceSummary:
    allocatable: {{cpu: "{free}", pods: "110"}}
"""

POLICIES = """apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: web, namespace: shop}}
spec:
  resourceSelectors:
    - {{apiVersion: apps/v1, kind: Deployment, name: web}}
  placement:
    clusterAffinity:
      labelSelector: {{matchLabels: {{env: prod}}}}
{tolerations}    replicaScheduling:
      replicaSchedulingType: Divided
{division}---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: api, namespace: shop}}
spec:
  resourceSelectors:
    - {{apiVersion: apps/v1, kind: Deployment, name: api}}
  placement:
    clusterAffinity:
      labelSelector: {{matchLabels: {{env: prod}}}}
{tolerations}    replicaScheduling:
      replicaSchedulingType: Duplicated
"""

DYNAMIC = """      replicaDivisionPreference: Weighted
      weightPreference: {dynamicWeight: AvailableReplicas}
"""
AGGREGATED = "      replicaDivisionPreference: Aggregated\n"

# Both policies tolerate the unreachable taint for 300 s (§5 rule 2).
TOLERATE_300 = f"""    clusterTolerations:
      - {{key: {UNREACHABLE}, operator: Exists, effect: NoExecute, tolerationSeconds: 300}}
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: shop}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: {name}
          image: nginx:1.25
{requests}"""

REBALANCER = """apiVersion: apps.karmada.io/v1alpha1
kind: WorkloadRebalancer
metadata:
  name: move-web
  creationTimestamp: "{created}"
spec:
  workloads:
    - {{apiVersion: apps/v1, kind: Deployment, namespace: shop, name: web}}
"""

Files = dict[str, str | None]
Placements = dict[str, dict[str, int | None]]


def cluster(name: str, free: int, taint_added: str | None = "") -> str:
    """``taint_added``: "" no taint, None an unreachable NoExecute taint without
    ``timeAdded``, else the taint's ``timeAdded``."""
    if taint_added == "":
        taints = ""
    else:
        added = f", timeAdded: '{taint_added}'" if taint_added else ""
        taints = f"  taints:\n    - {{key: {UNREACHABLE}, effect: NoExecute{added}}}\n"
    return CLUSTER.format(name=name, free=free, taints=taints)


def web(replicas: int) -> str:
    return DEPLOYMENT.format(name="web", replicas=replicas,
                             requests="          resources: {requests: {cpu: '1'}}\n")


def clusters(**free: int) -> Files:
    return {f"clusters/{name}.yaml": cluster(name, n) for name, n in free.items()}


def base(replicas: int, *, tolerations: str = "", fleet: str = FLEET, division: str = DYNAMIC,
         **free: int) -> Files:
    return {
        "fleet.yaml": fleet,
        **clusters(**free),
        "policies/apps.yaml": POLICIES.format(tolerations=tolerations, division=division),
        "templates/web.yaml": web(replicas),
        "templates/api.yaml": DEPLOYMENT.format(name="api", replicas=2, requests=""),
    }


def duplicated(*names: str, replicas: int = 2) -> dict[str, int | None]:
    return {n: replicas for n in names}


@dataclass(frozen=True)
class Step:
    """Commit ``files`` (none: render the same commit again), render at ``now``."""

    now: str
    expected: Placements
    files: Files = field(default_factory=dict)
    fresh: bool = False
    fixed_point: bool = True  # check that a second render of it changes nothing


def steady_start(fixed_point: bool = True, **extra: Any) -> Step:
    """The doc's starting point: 12 replicas dealt by free capacity 2/4/6 (first
    scheduling, dynamic weights) -> web 2/4/6; api everywhere."""
    return Step(T0, {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3")},
                base(12, m1=2, m2=4, m3=6, **extra), fixed_point=fixed_point)


SEQUENCES: dict[str, list[Step]] = {
    # §3.3 [dynamic-scale-up-keeps-shares]: a capacity change alone does not reschedule a
    # Divided workload; 12 -> 24 with 10/10/10 free keeps 2/4/6 and deals the delta 4/4/4.
    "scale-up": [
        steady_start(),
        Step(T1, {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3")},
             clusters(m1=10, m2=10, m3=10)),
        Step(T2, {WEB: {"m1": 6, "m2": 8, "m3": 10}, API: duplicated("m1", "m2", "m3")},
             {"templates/web.yaml": web(24)}),
    ],
    # §3.3 [dynamic-scale-down-by-previous-shares]: 2/4/6 -> 6 replicas -> 1/2/3, whatever the capacity.
    "scale-down": [
        steady_start(),
        Step(T1, {WEB: {"m1": 1, "m2": 2, "m3": 3}, API: duplicated("m1", "m2", "m3")},
             {"templates/web.yaml": web(6), **clusters(m1=50, m2=1, m3=1)}),
    ],
    # §1, §3.3 [divided-no-trigger-keeps-previous]: a new cluster moves nothing of a
    # Divided workload (the Duplicated one gets it); the next scale deals the delta over
    # every cluster, the new one too: 12 -> 22, free 60/40/20/100 -> +3/2/1/4.
    "cluster-added": [
        steady_start(),
        Step(T1, {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3", "m4")},
             clusters(m1=60, m2=40, m3=20, m4=100)),
        Step(T2, {WEB: {"m1": 5, "m2": 6, "m3": 7, "m4": 4}, API: duplicated("m1", "m2", "m3", "m4")},
             {"templates/web.yaml": web(22)}),
    ],
    # §5 rule 2: a tolerated NoExecute taint evicts only once timeAdded + tolerationSeconds
    # has passed at --now; then m3's 6 replicas are dealt to the survivors (free 10/10).
    "noexecute-tolerated": [
        steady_start(tolerations=TOLERATE_300),
        Step("2026-12-04T11:01:40Z", {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3")},
             {"clusters/m3.yaml": cluster("m3", 10, TAINTED_AT), **clusters(m1=10, m2=10)}),
        Step("2026-12-04T11:04:59Z", {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3")}),
        Step("2026-12-04T11:05:00Z", {WEB: {"m1": 5, "m2": 7}, API: duplicated("m1", "m2")}),
    ],
    # §5 rule 3: a taint without timeAdded counts from the first render that saw it (T1).
    "noexecute-first-seen": [
        steady_start(tolerations=TOLERATE_300),
        Step(T1, {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3")},
             {"clusters/m3.yaml": cluster("m3", 10, None), **clusters(m1=10, m2=10)}),
        Step("2026-12-04T11:04:00Z", {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3")}),
        Step("2026-12-04T11:05:01Z", {WEB: {"m1": 5, "m2": 7}, API: duplicated("m1", "m2")}),
    ],
    # A policy that states no toleration for the unreachable taint gets Karmada's webhook
    # default (fleet.yaml spec.failover.defaultUnreachableTolerationSeconds, 300 s).
    "noexecute-default-toleration": [
        steady_start(),
        Step("2026-12-04T11:00:01Z", {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3")},
             {"clusters/m3.yaml": cluster("m3", 10, TAINTED_AT), **clusters(m1=10, m2=10)}),
        Step("2026-12-04T11:04:59Z", {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3")}),
        Step("2026-12-04T11:05:00Z", {WEB: {"m1": 5, "m2": 7}, API: duplicated("m1", "m2")}),
    ],
    # §5: a toleration of 0 s (here the fleet's default) evicts at once, whatever the
    # taint's age. Then the taint goes: nothing returns for Divided [noexecute-evicts-dynamic-share];
    # the Duplicated one returns once the graceful eviction task has ended (§6: gitfleet
    # ends it at its timeout, 10 minutes, as it cannot see health).
    "noexecute-untolerated": [
        steady_start(fleet=FLEET + "spec:\n  failover: {defaultUnreachableTolerationSeconds: 0}\n"),
        Step("2026-12-04T11:00:01Z", {WEB: {"m1": 5, "m2": 7}, API: duplicated("m1", "m2")},
             {"clusters/m3.yaml": cluster("m3", 10, TAINTED_AT), **clusters(m1=10, m2=10)}),
        Step("2026-12-04T11:05:00Z", {WEB: {"m1": 5, "m2": 7}, API: duplicated("m1", "m2")},
             clusters(m3=10)),
        Step("2026-12-04T11:10:01Z", {WEB: {"m1": 5, "m2": 7}, API: duplicated("m1", "m2", "m3")}),
    ],
    # §5 configuration, §2.1: with eviction off a NoExecute taint only filters new
    # placements; the tainted target stays and keeps taking part in re-divisions.
    "noexecute-eviction-off": [
        steady_start(fleet=NO_EVICTION),
        Step(T1, {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3")},
             {"clusters/m3.yaml": cluster("m3", 10, TAINTED_AT), **clusters(m1=10, m2=10)}),
        Step(T2, {WEB: {"m1": 6, "m2": 8, "m3": 10}, API: duplicated("m1", "m2", "m3")},
             {"templates/web.yaml": web(24)}),
    ],
    # §4 [cluster-removed-from-inventory]: 1/3/2, m3 leaves, free 20/2 -> the survivors keep
    # their replicas and the orphans are dealt by availability: 3/3 (fresh would be 5/1).
    "cluster-removed": [
        Step(T0, {WEB: {"m1": 1, "m2": 3, "m3": 2}, API: duplicated("m1", "m2", "m3")},
             base(6, m1=1, m2=3, m3=2)),
        Step(T1, {WEB: {"m1": 3, "m2": 3}, API: duplicated("m1", "m2")},
             {"clusters/m3.yaml": None, **clusters(m1=20, m2=2)}),
    ],
    # §1 [dynamic-scale-up-unschedulable-keeps-previous]: a scale-up the capacity cannot
    # take keeps the previous placement (with a warning) and is retried: once capacity
    # appears, the delta 88 is dealt 30/29/29 over 40/40/40.
    "scale-up-unschedulable": [
        steady_start(),
        Step(T1, {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3")},
             {"templates/web.yaml": web(100), **clusters(m1=10, m2=10, m3=10)}),
        Step(T2, {WEB: {"m1": 32, "m2": 33, "m3": 35}, API: duplicated("m1", "m2", "m3")},
             clusters(m1=40, m2=40, m3=40)),
    ],
    # §1: a FitError (no cluster passes the filters) clears the previous result.
    "fit-error-clears": [
        steady_start(),
        Step(T1, {WEB: {}, API: {}}, {"policies/apps.yaml": POLICIES.format(tolerations="", division=DYNAMIC)
                                      .replace("{matchLabels: {env: prod}}", "{matchLabels: {env: nowhere}}")}),
        Step(T2, {WEB: {"m1": 4, "m2": 4, "m3": 4}, API: duplicated("m1", "m2", "m3")},
             {"policies/apps.yaml": POLICIES.format(tolerations="", division=DYNAMIC),
              **clusters(m1=10, m2=10, m3=10)}),
    ],
    # §3.4 [aggregated-scale-up-stays-on-previous]: 4/8, free 6/6/20, 12 -> 24: the
    # clusters holding replicas come first and cover the delta: 10/14, m3 unused.
    "aggregated-scale-up": [
        Step(T0, {WEB: {"m1": 4, "m2": 8}, API: duplicated("m1", "m2", "m3")},
             base(12, division=AGGREGATED, m1=4, m2=8, m3=0)),
        Step(T1, {WEB: {"m1": 4, "m2": 8}, API: duplicated("m1", "m2", "m3")}, clusters(m1=6, m2=6, m3=20)),
        Step(T2, {WEB: {"m1": 10, "m2": 14}, API: duplicated("m1", "m2", "m3")}, {"templates/web.yaml": web(24)}),
    ],
    # §3.5, §7 [rebalancer-fresh-dynamic-once]: m2 holds 3, free 20/10; a rebalancer fires
    # once, Fresh: weights 20:(10+3) -> 2/1. Left in place, it does not fire again (a
    # fresh schedule after m2's capacity grew would give 1/2).
    "rebalancer": [
        Step(T0, {WEB: {"m2": 3}, API: duplicated("m1", "m2")}, base(3, m1=0, m2=10)),
        Step(T1, {WEB: {"m2": 3}, API: duplicated("m1", "m2")}, clusters(m1=20)),
        Step(T2, {WEB: {"m1": 2, "m2": 1}, API: duplicated("m1", "m2")},
             {"ops/rebalance.yaml": REBALANCER.format(created="2026-12-04T11:30:00Z")}),
        Step(T3, {WEB: {"m1": 2, "m2": 1}, API: duplicated("m1", "m2")}, clusters(m2=100)),
    ],
    # A rebalancer without creationTimestamp fires too (once): a rebalancer that never
    # fires would silently do nothing.
    "rebalancer-without-time": [
        Step(T0, {WEB: {"m2": 3}, API: duplicated("m1", "m2")}, base(3, m1=0, m2=10)),
        Step(T1, {WEB: {"m1": 2, "m2": 1}, API: duplicated("m1", "m2")},
             {"ops/rebalance.yaml": REBALANCER.format(created="").replace('  creationTimestamp: ""\n', ""),
              **clusters(m1=20)}),
        Step(T2, {WEB: {"m1": 2, "m2": 1}, API: duplicated("m1", "m2")}, clusters(m2=100)),
    ],
    # --fresh is first scheduling (today's behaviour): 24 over 10/10/10 -> 8/8/8, and
    # recorded so; the next render keeps it.
    "fresh": [
        steady_start(),
        Step(T1, {WEB: {"m1": 8, "m2": 8, "m3": 8}, API: duplicated("m1", "m2", "m3")},
             {"templates/web.yaml": web(24), **clusters(m1=10, m2=10, m3=10)}, fresh=True),
        Step(T2, {WEB: {"m1": 8, "m2": 8, "m3": 8}, API: duplicated("m1", "m2", "m3", replicas=3)},
             {"templates/api.yaml": DEPLOYMENT.format(name="api", replicas=3, requests="")}),
    ],
    # --fresh after a first render (remembered as made with no memory, which is what
    # --fresh schedules with), a template edit only, an hour later: it records (state/,
    # lastScheduled) what a full render records, as the twin checks.
    "fresh-template-edit": [
        steady_start(fixed_point=False),
        Step(T1, {WEB: {"m1": 2, "m2": 4, "m3": 6}, API: duplicated("m1", "m2", "m3", replicas=3)},
             {"templates/api.yaml": DEPLOYMENT.format(name="api", replicas=3, requests="")}, fresh=True),
    ],
}


# --------------------------------------------------------------------------- helpers


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> tuple[str, str]:
    """``gitfleet ARGV`` in process; its stdout and stderr."""
    capsys.readouterr()
    got = main(list(argv))
    out = capsys.readouterr()
    assert got == code, out.err
    assert "Traceback" not in out.err
    return out.out, out.err


def cli(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    return run_cli(capsys, *argv, code=code)[0]


def as_placements(items: Any) -> Placements:
    return {p["resource"]: {c["name"]: c.get("replicas") for c in p["clusters"]} for p in items or []}


def recorded(repo: pygit2.Repository) -> tuple[str, Placements]:
    tip = read_status_commit(repo, BRANCH)
    assert tip is not None
    return tip.sha, as_placements(yaml.safe_load(tip.files["placements.yaml"]))


def tip_sha(repo: pygit2.Repository) -> str | None:
    tip = read_status_commit(repo, BRANCH)
    return tip.sha if tip is not None else None


def rendered(capsys: pytest.CaptureFixture[str], root: str, now: str, *extra: str) -> Placements:
    return as_placements(json.loads(cli(capsys, "render", root, "-o", "json", "--now", now, *extra))["placements"])


def render_commit(capsys: pytest.CaptureFixture[str], root: str, now: str, *extra: str,
                  caplog: pytest.LogCaptureFixture | None = None) -> bool:
    """``render --commit``; whether it rendered incrementally (known with ``caplog``)."""
    if caplog is None:
        cli(capsys, "render", root, "--commit", "--now", now, *extra)
        return False
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=PLANNING_LOG):
        cli(capsys, "render", root, "--commit", "--now", now, *extra)
    return any(r.getMessage().startswith("incremental render:") for r in caplog.records)


def rendered_files(repo: pygit2.Repository) -> dict[str, bytes]:
    tip = read_status_commit(repo, BRANCH)
    assert tip is not None
    return {p: b for p, b in tip.files.items() if not p.startswith("status/")}


@dataclass
class Twin:
    """The same commits in a second repository, every render of it in full (no remembered
    render): its status tree must be the incremental one's, byte for byte."""

    repo: pygit2.Repository
    caches: Path

    def render(self, capsys: pytest.CaptureFixture[str], step: Step, i: int,
               caplog: pytest.LogCaptureFixture | None) -> dict[str, bytes]:
        if step.files:
            commit(self.repo, step.files, f"step {i}")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GITFLEET_CACHE", str(self.caches / str(i)))
            fresh = ("--fresh",) if step.fresh else ()
            assert not render_commit(capsys, self.repo.workdir, step.now, *fresh, caplog=caplog)
        return rendered_files(self.repo)


def run_steps(repo: pygit2.Repository, capsys: pytest.CaptureFixture[str], steps: list[Step],
              twin: Twin | None = None, caplog: pytest.LogCaptureFixture | None = None) -> int:
    """Render each step; the number of incremental renders (counted with ``caplog``)."""
    root = repo.workdir
    incremental = 0
    for i, step in enumerate(steps):
        if step.files:
            commit(repo, step.files, f"step {i}")
        fresh = ("--fresh",) if step.fresh else ()
        incremental += render_commit(capsys, root, step.now, *fresh, caplog=caplog)
        if twin is not None:
            assert twin.render(capsys, step, i, caplog) == rendered_files(repo), f"step {i}: incremental != full"
        sha, placements = recorded(repo)
        assert {k: placements[k] for k in step.expected} == step.expected, f"step {i}"
        if not step.fixed_point:
            continue
        # A fixed point of its own state: the same commit at the same clock renders the
        # same placements and records nothing new.
        assert rendered(capsys, root, step.now) == placements, f"step {i}"
        render_commit(capsys, root, step.now)
        assert tip_sha(repo) == sha, f"step {i}: re-rendering the same commit made a new status commit"
    return incremental


@pytest.fixture
def repo(tmp_path: Path) -> pygit2.Repository:
    return init(tmp_path / "fleet")


# --------------------------------------------------------------------------- tests


# Sequences with a step that changes templates only, with nothing clock-bound in the fleet.
INCREMENTAL = {"scale-up", "cluster-added", "aggregated-scale-up", "fresh"}


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_sequence(repo: pygit2.Repository, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
                  tmp_path: Path, name: str) -> None:
    twin = Twin(init(tmp_path / "twin"), tmp_path / "twin-caches")
    incremental = run_steps(repo, capsys, SEQUENCES[name], twin, caplog)
    if name in INCREMENTAL:
        assert incremental > 0


def test_the_clock_alone_makes_a_new_status_commit_when_an_eviction_comes_due(
    repo: pygit2.Repository, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same source commit, rendered later: the eviction is a new status commit of
    the same source commit, and explain says what was evicted and why."""
    steps = SEQUENCES["noexecute-tolerated"]
    run_steps(repo, capsys, steps[:2])
    before = tip_sha(repo)
    source = str(repo.head.target)
    # --now in another zone is the same instant: due at 11:05:00Z = 12:05:00+01:00.
    assert rendered(capsys, repo.workdir, "2026-12-04T12:04:59+01:00")[WEB] == {"m1": 2, "m2": 4, "m3": 6}
    assert rendered(capsys, repo.workdir, "2026-12-04T12:05:00+01:00")[WEB] == {"m1": 5, "m2": 7}
    # explain reads the memory at the status branch tip: the render that evicts.
    text = cli(capsys, "explain", repo.workdir, WEB, "--now", steps[3].now)
    assert f"m3 evicted: taint {UNREACHABLE}:NoExecute since 11:00:00Z, tolerated 300 s" in text, text
    assert "rescheduled: replicas changed: evicted from m3" in text
    assert "previous 2/4 (m1/m2) kept; delta 6 dealt by available replicas 10:10 (m1/m2) -> 3/3" in text
    render_commit(capsys, repo.workdir, steps[3].now)
    after = read_status_commit(repo, BRANCH)
    assert after is not None and after.sha != before and after.source_sha == source
    # Recorded, the eviction is the previous result: explain now says it is kept.
    text = cli(capsys, "explain", repo.workdir, WEB, "--now", steps[3].now)
    assert f"kept from the status commit {after.sha[:7]}" in text and "m3 evicted" not in text


def test_fresh_equals_a_repository_without_a_status_branch(
    repo: pygit2.Repository, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    steps = SEQUENCES["scale-up"]
    run_steps(repo, capsys, steps)
    memory = rendered(capsys, repo.workdir, T3)
    fresh = rendered(capsys, repo.workdir, T3, "--fresh")
    assert memory[WEB] == {"m1": 6, "m2": 8, "m3": 10}
    assert fresh[WEB] == {"m1": 8, "m2": 8, "m3": 8}
    # The same files in a repository that never recorded anything, and in a plain folder.
    other = init(tmp_path / "other")
    commit(other, {p: (Path(repo.workdir) / p).read_text() for p in tracked(repo)}, "copy")
    plain = tmp_path / "plain"
    shutil.copytree(repo.workdir, plain, ignore=shutil.ignore_patterns(".git"))
    fresh_doc = cli(capsys, "render", repo.workdir, "-o", "json", "--now", T3, "--fresh")
    assert cli(capsys, "render", other.workdir, "-o", "json", "--now", T3) == fresh_doc
    assert cli(capsys, "render", str(plain), "-o", "json", "--now", T3) == fresh_doc
    assert tip_sha(other) is None


def tracked(repo: pygit2.Repository) -> list[str]:
    return sorted(entry.path for entry in repo.index)


@pytest.mark.parametrize(("name", "steps", "reason"), [
    ("scale-up", 2, ("a new cluster, a label change, a NoSchedule taint or a capacity change does not"
                     " reschedule a Divided workload")),
    ("rebalancer", 4, "no trigger"),
])
def test_explain_names_the_status_commit_a_kept_placement_comes_from(
    repo: pygit2.Repository, capsys: pytest.CaptureFixture[str], name: str, steps: int, reason: str
) -> None:
    run_steps(repo, capsys, SEQUENCES[name][:steps])
    sha = tip_sha(repo)
    assert sha is not None
    now = SEQUENCES[name][steps - 1].now
    text = cli(capsys, "explain", repo.workdir, WEB, "--now", now)
    kept = [line.strip() for line in text.splitlines() if "kept from the status commit" in line]
    assert kept == [f"kept from the status commit {sha[:7]}: " + kept[0].partition(": ")[2]], text
    assert reason in kept[0]
    fresh = cli(capsys, "explain", repo.workdir, WEB, "--now", now, "--fresh")
    assert "kept from" not in fresh and "rescheduled:" not in fresh


def test_explain_says_why_a_scale_was_rescheduled(repo: pygit2.Repository,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    run_steps(repo, capsys, SEQUENCES["scale-up"][:2])
    commit(repo, {"templates/web.yaml": web(24)}, "scale")
    text = cli(capsys, "explain", repo.workdir, WEB, "--now", T2)
    assert "rescheduled: " in text and "replicas" in text
    assert "m1: placed, 6 replicas" in text and "m3: placed, 10 replicas" in text


def pull_request(repo: pygit2.Repository, files: Files) -> None:
    """Branch ``pr`` off main with one commit of ``files``; main stays checked out."""
    main_tip = repo.head.peel(pygit2.Commit)
    repo.checkout(repo.branches.local.create("pr", main_tip))
    commit(repo, files, "pull request")
    repo.checkout(repo.branches.local["main"])
    assert repo.head.target == main_tip.id


# name -> (the pull request, web's (old, new) replicas per cluster in the diff, its cause,
# the same with --fresh)
PULL_REQUESTS: dict[str, tuple[Files, dict[str, tuple[Any, Any]], str, dict[str, tuple[Any, Any]]]] = {
    # The recorded 2/4/6 kept, the delta 12 dealt 4/4/4 (today: 4/4/4 -> 8/8/8).
    "scale-up": ({"templates/web.yaml": web(24)}, {"m1": (2, 6), "m2": (4, 8), "m3": (6, 10)},
                 "replicas changed", {"m1": (4, 8), "m2": (4, 8), "m3": (4, 8)}),
    # m3 evicted once the policies' default toleration (fleet.yaml spec.failover, 300 s)
    # ran out, its 6 replicas dealt to m1/m2. Fresh, there is nothing to evict: the
    # TaintToleration filter ignores tolerationSeconds, so m3 still fits (4/4/4 both sides).
    "taint": ({"clusters/m3.yaml": cluster("m3", 10, TAINTED_AT)}, {"m1": (2, 5), "m2": (4, 7)},
              f"m3 evicted: taint {UNREACHABLE}:NoExecute since 11:00:00Z, tolerated 300 s", {}),
}


@pytest.mark.parametrize("name", sorted(PULL_REQUESTS))
def test_diff_of_a_pull_request_starts_from_the_recorded_placement(
    repo: pygit2.Repository, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """``diff --base main --head pr`` after main was recorded (2/4/6 kept while capacity
    became 10/10/10): the fleet as recorded, and what merging the PR does to it, why."""
    files, expected, cause, fresh = PULL_REQUESTS[name]
    run_steps(repo, capsys, SEQUENCES["scale-up"][:2])
    pull_request(repo, files)
    status_before = tip_sha(repo)

    def web_changes(*extra: str) -> list[dict[str, Any]]:
        doc = json.loads(cli(capsys, "diff", repo.workdir, "--base", "main", "--head", "pr", "-o", "json",
                             "--now", T2, *extra))
        return [p for p in doc["placements"] if p["resource"] == WEB]

    def replicas(changes: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
        return {p["cluster"]: (p["old"], p["new"]) for p in changes if p["type"] == "replicas"}

    changes = web_changes()
    assert replicas(changes) == expected
    assert changes and all(cause in p.get("cause", "") for p in changes), changes
    assert replicas(web_changes("--fresh")) == fresh
    assert tip_sha(repo) == status_before  # a diff records nothing
    text = cli(capsys, "diff", repo.workdir, "--base", "main", "--head", "pr", "--now", T2)
    assert cause in text


def test_a_render_outside_the_recorded_commit_still_reads_the_memory(
    repo: pygit2.Repository, capsys: pytest.CaptureFixture[str]
) -> None:
    """``render --rev`` of an older commit schedules it with the memory the branch holds
    now (Karmada after settling on it): no reshuffle of 6/8/10 back to a fresh split."""
    run_steps(repo, capsys, SEQUENCES["scale-up"])
    assert rendered(capsys, repo.workdir, T3, "--rev", "HEAD")[WEB] == {"m1": 6, "m2": 8, "m3": 10}
    # HEAD~1: 12 replicas over the recorded 6/8/10: a scale-down by previous shares.
    assert rendered(capsys, repo.workdir, T3, "--rev", "HEAD~1")[WEB] == {"m1": 3, "m2": 4, "m3": 5}



def test_a_failed_scale_up_keeps_the_placement_and_says_so(repo: pygit2.Repository,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    steps = SEQUENCES["scale-up-unschedulable"]
    run_steps(repo, capsys, steps[:1])
    commit(repo, steps[1].files, "scale beyond capacity")
    _, err = run_cli(capsys, "render", repo.workdir, "--commit", "--now", steps[1].now)
    assert "rescheduling failed, the previous placement is kept" in err, err
    text = cli(capsys, "explain", repo.workdir, WEB, "--now", steps[1].now)
    assert "rescheduling failed, the previous placement is kept" in text
    assert "m1: placed, 2 replicas" in text and "m3: placed, 6 replicas" in text
