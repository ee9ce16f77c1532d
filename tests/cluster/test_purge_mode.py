"""Purge modes of a NoExecute eviction against real API servers (issue 11 item 3):
``Gracefully`` keeps the old copy on the evicted member (neither updated nor pruned)
while its task lives; ``Directly`` deletes it in the apply that evicts, before the
replacements are created. The member stays reachable: the taint is the inventory's
(a user rehearsing a failover), so only the purge mode decides."""

from __future__ import annotations

import json
from pathlib import Path

import pygit2
import pytest

from gitfleet.cli.main import main
from gitfleet.kube import KubeClient
from gitfleet.model.keys import ResourceId
from gitfleet.testing import LocalClusters
from tests.fleetrepo import commit_files, fleet_files

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]
T0 = "2026-12-04T10:00:00Z"
T1 = "2026-12-04T10:00:05Z"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _policy(ns: str, purge: str) -> str:
    return f"""apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: app, namespace: {ns}}}
spec:
  resourceSelectors:
    - {{apiVersion: apps/v1, kind: Deployment, name: web}}
    - {{apiVersion: v1, kind: ConfigMap, name: cfg}}
  placement:
    clusterAffinity: {{clusterNames: [member1, member2]}}
    clusterTolerations:
      - {{key: drill, operator: Exists, effect: NoExecute, tolerationSeconds: 1}}
  failover:
    cluster: {{purgeMode: {purge}}}
"""


@pytest.mark.parametrize(("purge", "kept"), [("Gracefully", True), ("Directly", False)])
def test_purge_mode_decides_whether_the_old_copy_stays(
    tmp_path: Path, member_clusters: LocalClusters, kube: dict[str, KubeClient], ns: str,
    capsys: pytest.CaptureFixture[str], purge: str, kept: bool,
) -> None:
    repo = pygit2.init_repository(str(tmp_path / "fleet"), initial_head="main")
    commit_files(repo, {**fleet_files(ns), "policies/pp.yaml": _policy(ns, purge)})
    path, kubeconfig = str(tmp_path / "fleet"), str(member_clusters.kubeconfig)
    code, _, err = _run(capsys, "apply", path, "--kubeconfig", kubeconfig, "--now", T0)
    assert code == 0, err
    web = ResourceId("apps/v1", "Deployment", ns, "web")
    assert kube["member2"].get(web) is not None

    tainted = ("apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: member2}\n"
               f"spec:\n  syncMode: Push\n  taints: [{{key: drill, effect: NoExecute, timeAdded: '{T0}'}}]\n")
    commit_files(repo, {"clusters/member2.yaml": tainted}, "drill: evict member2")
    code, out, err = _run(capsys, "apply", path, "--kubeconfig", kubeconfig, "--now", T1, "-o", "json",
                          "--allow-mass-prune")  # 2 of 3 objects leave member2 at once
    assert code == 0, err
    member2 = next(c for c in json.loads(out)["clusters"] if c["cluster"] == "member2")
    assert (kube["member2"].get(web) is not None) is kept
    assert (member2["counts"].get("pruned", 0) > 0) is not kept
    assert kube["member1"].get(web) is not None
    code, out, _ = _run(capsys, "render", path, "-o", "json", "--now", T1)
    placement = next(p for p in json.loads(out)["placements"] if p["resource"].endswith("/web"))
    assert [c["name"] for c in placement["clusters"]] == ["member1"]
    assert placement.get("retained", []) == (["member2"] if kept else [])
