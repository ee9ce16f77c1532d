"""A SOPS-encrypted Secret applied to real API servers (issue 12 item 3): the live
Secret holds the decrypted value, the status branch only a digest of the ciphertext,
and without the key the member holding it is not applied at all (the other is)."""

from __future__ import annotations

import base64
from pathlib import Path

import pygit2
import pytest

from gitfleet.cli.main import main
from gitfleet.kube import KubeClient
from gitfleet.model.keys import ResourceId
from gitfleet.sops.encrypt import encrypt_text
from gitfleet.testing import LocalClusters
from tests.fleetrepo import commit_files, fleet_files
from tests.sops.sopsdata import AGE_IDENTITY, AGE_RECIPIENT

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]
CLEAR = "Sup3r-s3cret-pw-for-sops"
TOKEN = base64.b64encode(b"live-token-value").decode()


def _secret(ns: str) -> str:
    text = f"""apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: {ns}}}
type: Opaque
stringData: {{password: "{CLEAR}"}}
data: {{token: {TOKEN}}}
"""
    return encrypt_text(text, [AGE_RECIPIENT], rule="encrypted_regex", pattern="^(data|stringData)$")


def _policy(ns: str) -> str:
    return f"""apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: db, namespace: {ns}}}
spec:
  resourceSelectors: [{{apiVersion: v1, kind: Secret, name: db}}]
  placement: {{clusterAffinity: {{clusterNames: [member1]}}}}
"""


def _branch_text(repo: pygit2.Repository, branch: str = "gitfleet/status") -> str:
    commit = repo.revparse_single(branch)
    out: list[str] = []

    def walk(tree: pygit2.Tree) -> None:
        for entry in tree:
            obj = repo[entry.id]
            if isinstance(obj, pygit2.Tree):
                walk(obj)
            else:
                out.append(obj.data.decode("utf-8", "replace"))
    walk(commit.peel(pygit2.Tree))
    return "\n".join(out)


def test_sops_secret_is_applied_decrypted_and_recorded_as_a_digest(
    tmp_path: Path, member_clusters: LocalClusters, kube: dict[str, KubeClient], ns: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = tmp_path / "age.key"
    key.write_text(f"# sops test key\n{AGE_IDENTITY}\n")
    monkeypatch.delenv("SOPS_AGE_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    repo = pygit2.init_repository(str(tmp_path / "fleet"), initial_head="main")
    commit_files(repo, {**fleet_files(ns), "policies/db.yaml": _policy(ns), "templates/db.yaml": _secret(ns)})
    path, kubeconfig = str(tmp_path / "fleet"), str(member_clusters.kubeconfig)
    secret = ResourceId("v1", "Secret", ns, "db")

    # Without the key: member1 (which holds the SOPS Secret) fails as a whole, member2 is applied.
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(tmp_path / "missing.key"))
    code = main(["apply", path, "--kubeconfig", kubeconfig])
    out, err = capsys.readouterr()
    assert code == 3, out + err
    assert "templates/db.yaml" in out + err and CLEAR not in out + err
    assert kube["member1"].get(secret) is None
    assert kube["member1"].get(ResourceId("apps/v1", "Deployment", ns, "web")) is None  # nothing half-applied
    assert kube["member2"].get(ResourceId("apps/v1", "Deployment", ns, "web")) is not None

    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(key))
    code = main(["apply", path, "--kubeconfig", kubeconfig])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    live = kube["member1"].get(secret)
    assert live is not None
    assert base64.b64decode(live["data"]["password"]).decode() == CLEAR
    assert live["data"]["token"] == TOKEN
    assert CLEAR not in out + err
    recorded = _branch_text(repo)
    assert CLEAR not in recorded and TOKEN not in recorded and "sha256:" in recorded
    assert "ENC[" not in recorded  # masked as any Secret value: a digest of the ciphertext

    # Applied again: nothing to write (the decrypted manifest is the same).
    code = main(["apply", path, "--kubeconfig", kubeconfig, "-o", "json"])
    out, err = capsys.readouterr()
    assert code == 0 and '"configured"' not in out and '"created"' not in out, out + err
