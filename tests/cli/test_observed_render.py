"""Every render applies what the reconciler recorded of the members (issue 11 item 2):
a member recorded down on the status branch is tainted in ``gitfleet render`` too,
evicted once its toleration runs out, its old copy kept (``retained``) while the
graceful eviction task lives, and the task ends when the apply reports show the
replacements ready. In process, on a real Git repository; the health is recorded with
the same function the reconciler uses."""

from __future__ import annotations

import json
from pathlib import Path

import pygit2
import pytest

from gitfleet.cli.main import main
from gitfleet.git.statusbranch import commit_status, read_status_commit
from gitfleet.model.cluster import Taint
from gitfleet.model.health import ClusterHealth
from gitfleet.service.recording import record_observation
from gitfleet.service.source import read_repo
from tests.git.repos import commit, init

pytestmark = pytest.mark.git
BRANCH = "gitfleet/status"
WEB = "apps/v1/Deployment/shop/web"
T0 = "2026-12-04T10:00:00Z"
DOWN_AT = "2026-12-04T10:01:00Z"
UNREACHABLE = "cluster.karmada.io/unreachable"

FILES = {
    "fleet.yaml": "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: obs}\n",
    **{f"clusters/{n}.yaml": f"apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {{name: {n}}}\n"
       for n in ("m1", "m2", "m3")},
    "templates/web.yaml": """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
""",
    "policies/web.yaml": """apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement:
    clusterAffinity: {clusterNames: [m1, m2, m3]}
    clusterTolerations:
      - {key: cluster.karmada.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 60}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList: [{targetCluster: {clusterNames: [m1, m2, m3]}, weight: 1}]
""",
}


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def placement(capsys: pytest.CaptureFixture[str], root: str, now: str) -> dict[str, object]:
    doc = json.loads(cli(capsys, "render", root, "-o", "json", "--now", now))
    return next(p for p in doc["placements"] if p["resource"] == WEB)


def record_down(repo: pygit2.Repository) -> None:
    down = ClusterHealth("m3", taints=(Taint(UNREACHABLE, effect="NoSchedule"),
                                       Taint(UNREACHABLE, effect="NoExecute", time_added=DOWN_AT)))
    assert record_observation(read_repo(repo.workdir, None), BRANCH, {"m3": down}, None)[0]


def record_ready(repo: pygit2.Repository, replicas: int) -> None:
    """What an apply to m1 and m2 reports: web ready at ``replicas``."""
    tip = read_status_commit(repo, BRANCH)
    assert tip is not None
    reports = {f"status/{n}.yaml": (f"cluster: {n}\nstate: Applied\ninventory: [{WEB}]\nworkloads:\n"
                                    f"  - {{resource: {WEB}, ready: true, readyReplicas: {replicas},"
                                    f" replicas: {replicas}}}\n").encode() for n in ("m1", "m2")}
    rendered = {p: b for p, b in tip.files.items() if not p.startswith("status/")}
    commit_status(repo, BRANCH, rendered, tip.source_sha or "", extra_files=reports)


def test_a_member_recorded_down_is_evicted_in_an_offline_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    repo = init(tmp_path / "fleet")
    commit(repo, FILES)
    root = repo.workdir
    cli(capsys, "render", root, "--commit", "--now", T0)
    assert placement(capsys, root, T0)["clusters"] == [{"name": n, "replicas": 2} for n in ("m1", "m2", "m3")]

    record_down(repo)
    shown = cli(capsys, "status", root)
    assert "MEMBER" in shown and "cluster.karmada.io/unreachable:NoExecute" in shown
    health = json.loads(cli(capsys, "status", root, "-o", "json"))["memberHealth"]["m3"]
    assert health["taints"] == [f"{UNREACHABLE}:NoSchedule", f"{UNREACHABLE}:NoExecute"]
    # Tolerated for 60 s from 10:01:00: kept at 10:01:30, evicted at 10:02:01.
    kept = placement(capsys, root, "2026-12-04T10:01:30Z")
    assert kept["clusters"] == [{"name": n, "replicas": 2} for n in ("m1", "m2", "m3")]
    evicted = placement(capsys, root, "2026-12-04T10:02:01Z")
    assert evicted["clusters"] == [{"name": "m1", "replicas": 3}, {"name": "m2", "replicas": 3}]
    assert evicted["retained"] == ["m3"]
    explained = cli(capsys, "explain", root, WEB, "--now", "2026-12-04T10:02:01Z")
    assert "m3: not placed; its old copy is kept there until the graceful eviction task ends" in explained

    cli(capsys, "render", root, "--commit", "--now", "2026-12-04T10:02:01Z")
    # A report of the old replica count does not end the task; the new one does.
    record_ready(repo, 2)
    assert placement(capsys, root, "2026-12-04T10:02:30Z")["retained"] == ["m3"]
    record_ready(repo, 3)
    ended = placement(capsys, root, "2026-12-04T10:02:30Z")
    assert "retained" not in ended
    assert ended["clusters"] == [{"name": "m1", "replicas": 3}, {"name": "m2", "replicas": 3}]


def test_a_hostile_health_file_is_invalid_input_at_its_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    repo = init(tmp_path / "fleet")
    commit(repo, FILES)
    cli(capsys, "render", repo.workdir, "--commit", "--now", T0)
    tip = read_status_commit(repo, BRANCH)
    assert tip is not None
    rendered = {p: b for p, b in tip.files.items() if not p.startswith("status/")}
    commit_status(repo, BRANCH, rendered, tip.source_sha or "",
                  extra_files={"status/clusters/m3.yaml": b"version: 1\ncluster: m3\ntaints: [{key: 7}]\n"})
    code = main(["render", repo.workdir, "--now", T0])
    _out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err
    assert "status/clusters/m3.yaml:3:" in err, err
