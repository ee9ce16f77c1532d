"""Issue 9, "Secrets in clear": every reproduction, run through the CLI as a user runs it.

Each case is a fleet repo (a real Git repository) whose head commit holds a Secret value
in a hostile shape. Every verb that shows or writes a render must keep the value out of
everything it produces: ``validate``, ``render`` (YAML and JSON), ``render --output-dir``,
``render --commit`` (every blob of the status branch), ``explain`` and ``diff --base``.
A case the API server would refuse is rejected (exit 1, ``path:line:col``, no traceback);
one it would accept renders with the value masked.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import pygit2
import pytest

from tests.git.repos import commit, init
from tests.security.hostile import assert_no_traceback, assert_rejected, run_cli, snapshot

CLEAR = "Sup3r-S3cret!value"
PLAIN = "Sup3rS3cretPlain"  # no YAML or format syntax in it: reaches the deeper code paths
OTHER = "0ther-cle4r-override"

FLEET = "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: demo}\n"
CLUSTER = ("apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: member1}\n"
           "spec: {syncMode: Push}\n")
POLICY = """apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: everything}
spec:
  resourceSelectors:
  - {apiVersion: v1, kind: Secret}
  - {apiVersion: v1, kind: ConfigMap}
  - {apiVersion: example.com/v1, kind: Secret}
  placement: {clusterAffinity: {clusterNames: [member1]}}
"""
BASE = {"fleet.yaml": FLEET, "clusters/member1.yaml": CLUSTER, "policies/everything.yaml": POLICY}


def secret(body: str, kind: str = "Secret", api_version: str = "v1") -> str:
    return f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: db, namespace: shop}}\n{body}"


def override(ops: str) -> str:
    return f"""apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {{name: change-db}}
spec:
  resourceSelectors: [{{apiVersion: v1, kind: Secret, name: db}}]
  overrideRules:
  - overriders:
{ops}
"""


@dataclass(frozen=True)
class Case:
    files: dict[str, str]
    rejected: str | None  # the file a rejection must name; None: valid, shown masked
    key: str | None = None  # resource to explain
    clears: tuple[str, ...] = (CLEAR,)
    extra: dict[str, str] = field(default_factory=dict)


B64 = base64.b64encode(CLEAR.encode()).decode()

CASES: dict[str, Case] = {
    "override-changes-kind": Case(
        {"templates/db.yaml": secret(f"stringData: {{password: {CLEAR}}}\n"),
         "policies/change.yaml": override("      plaintext:\n      - {path: /kind, operator: replace, value: ConfigMap}")},
        "policies/change.yaml"),
    "override-changes-apiVersion": Case(
        {"templates/db.yaml": secret(f"stringData: {{password: {CLEAR}}}\n"),
         "policies/change.yaml": override("      plaintext:\n      - {path: /apiVersion, operator: replace, "
                                          "value: example.com/v1}")},
        "policies/change.yaml"),
    "override-replaces-metadata": Case(
        {"templates/db.yaml": secret(f"stringData: {{password: {CLEAR}}}\n"),
         "policies/change.yaml": override("      fieldOverrider:\n      - fieldPath: /metadata/name\n"
                                          "        yaml: [{subPath: /x, operator: add, value: y}]")},
        "policies/change.yaml"),
    "data-list": Case({"templates/db.yaml": secret(f"data: [{B64}]\n")}, "templates/db.yaml",
                      clears=(CLEAR, B64)),
    "data-string": Case({"templates/db.yaml": secret(f"data: {B64}\n")}, "templates/db.yaml", clears=(CLEAR, B64)),
    "data-not-base64": Case({"templates/db.yaml": secret(f"data: {{password: {CLEAR}}}\n")}, "templates/db.yaml"),
    "data-key-without-value": Case({"templates/db.yaml": secret(f"data: {{{CLEAR}}}\n")}, "templates/db.yaml"),
    "data-nested-map": Case({"templates/db.yaml": secret(f"data: {{password: {{inner: {B64}}}}}\n")},
                            "templates/db.yaml", clears=(CLEAR, B64)),
    "stringData-list": Case({"templates/db.yaml": secret(f"stringData: [{CLEAR}]\n")}, "templates/db.yaml"),
    "stringData-number": Case({"templates/db.yaml": secret("stringData: {pin: 918273645}\n")}, "templates/db.yaml",
                              clears=("918273645",)),
    "type-not-string": Case({"templates/db.yaml": secret(f"type: [{CLEAR}]\nstringData: {{a: b}}\n")},
                            "templates/db.yaml"),
    "lower-case-kind": Case({"templates/db.yaml": secret(f"stringData: {{password: {CLEAR}}}\n", kind="secret")},
                            "templates/db.yaml"),
    "yaml-tag-holds-value": Case({"templates/db.yaml": secret(f"stringData:\n  password: !{CLEAR}\n")},
                                 "templates/db.yaml"),
    "yaml-tag-is-value": Case({"templates/db.yaml": secret(f"stringData:\n  password: !{PLAIN}\n")},
                              "templates/db.yaml", clears=(PLAIN,)),
    "jinja-error-names-value": Case(
        {"fleet.yaml": FLEET + f"spec:\n  values: {{pw: {PLAIN}}}\n",
         "templates/db.yaml.j2": secret("stringData:\n  password: \"{{ values[values.pw] }}\"\n")},
        "templates/db.yaml.j2", clears=(PLAIN,)),
    "jinja-format-error-names-value": Case(
        {"fleet.yaml": FLEET + f"spec:\n  values: {{pw: {PLAIN}}}\n",
         "templates/db.yaml.j2": secret("stringData:\n  password: \"{{ ('{' ~ values.pw ~ '}').format() }}\"\n")},
        "templates/db.yaml.j2", clears=(PLAIN,)),
    "jinja-rendered-tag": Case(
        {"fleet.yaml": FLEET + f"spec:\n  values: {{pw: '!{PLAIN}'}}\n",
         "templates/db.yaml.j2": secret("stringData:\n  password: {{ values.pw }}\n")},
        "templates/db.yaml.j2", clears=(PLAIN,)),
    "list-holds-secret": Case(
        {"templates/db.yaml": "apiVersion: v1\nkind: List\nitems:\n- " + secret(
            f"stringData: {{password: {CLEAR}}}\n").replace("\n", "\n  ").rstrip() + "\n"},
        None, key="v1/Secret/shop/db"),
    "list-holds-bad-secret": Case(
        {"templates/db.yaml": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n"
                              f"  metadata: {{name: db, namespace: shop}}\n  data: [{B64}]\n"},
        "templates/db.yaml", clears=(CLEAR, B64)),
    "secret-kind-of-another-group": Case(
        {"templates/db.yaml": secret(f"stringData: {{password: {CLEAR}}}\n", api_version="example.com/v1")},
        None, key="example.com/v1/Secret/shop/db"),
    "explain-secret-override": Case(
        {"templates/db.yaml": secret(f"stringData: {{password: {CLEAR}}}\n"),
         "policies/change.yaml": override(f"      plaintext:\n      - {{path: /stringData/password, "
                                          f"operator: replace, value: {OTHER}}}")},
        None, key="v1/Secret/shop/db", clears=(CLEAR, OTHER)),
    "explain-secret-data-override": Case(
        {"templates/db.yaml": secret(f"data: {{password: {B64}}}\n"),
         "policies/change.yaml": override(f"      plaintext:\n      - {{path: /data, operator: replace, "
                                          f"value: {{password: {base64.b64encode(OTHER.encode()).decode()}}}}}")},
        None, key="v1/Secret/shop/db", clears=(CLEAR, B64, OTHER)),
}


def _repo(tmp_path: Path, case: Case) -> tuple[Path, pygit2.Repository, str]:
    root = tmp_path / "fleet"
    repo = init(root)
    base = commit(repo, BASE, "base")
    commit(repo, case.files, "hostile head")
    return root, repo, base


def _assert_clean(case: Case, *texts: str) -> None:
    for text in texts:
        for clear in case.clears:
            assert clear not in text, f"{clear!r} shown in clear:\n{text[-3000:]}"


def _branch_blobs(repo: pygit2.Repository, branch: str) -> list[bytes]:
    ref = repo.references.get(f"refs/heads/{branch}")
    if ref is None:
        return []
    out: list[bytes] = []
    for sha in repo.walk(ref.target):  # every commit of the branch, not only the tip
        stack = [sha.tree]
        while stack:
            tree = stack.pop()
            for entry in tree:
                obj = repo[entry.id]
                if isinstance(obj, pygit2.Tree):
                    stack.append(obj)
                elif isinstance(obj, pygit2.Blob):
                    out.append(obj.data)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_secret_value_in_any_output(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    root, _, base = _repo(tmp_path, case)
    out_dir = tmp_path / "out"
    runs = {
        "validate": ["validate", str(root)],
        "render": ["render", str(root)],
        "render-json": ["render", str(root), "-o", "json"],
        "render-output-dir": ["render", str(root), "--output-dir", str(out_dir)],
        "diff": ["diff", str(root), "--base", base],
        "diff-json": ["diff", str(root), "--base", base, "-o", "json"],
        "render-commit": ["render", str(root), "--commit"],
    }
    if case.key is not None:
        runs["explain"] = ["explain", str(root), case.key]
        runs["explain-json"] = ["explain", str(root), case.key, "-o", "json"]
    before = snapshot(tmp_path)
    for verb, argv in runs.items():
        code, out, err = run_cli(argv)
        _assert_clean(case, out, err)
        assert_no_traceback(out, err)
        if case.rejected is not None:
            assert_rejected(code, out, err, case.rejected)
        else:
            assert code == 0, f"{verb}: exit {code}\n{err[-2000:]}"
    after = snapshot(tmp_path)
    written = {p: c for p, c in after.items() if before.get(p) != c}
    for path, content in written.items():
        text = content.decode(errors="replace") if isinstance(content, bytes) else content
        _assert_clean(case, path, text)
    status = _branch_blobs(pygit2.Repository(str(root)), "gitfleet/status")
    if case.rejected is not None:
        assert not any(p.startswith("out/") for p in written if p != "out"), sorted(written)
        assert status == []
    else:
        assert status, "render --commit recorded nothing"
        assert any(p.startswith("out/clusters/") for p in written)
    for blob in status:
        _assert_clean(case, blob.decode(errors="replace"))


def test_explain_shows_secret_override_as_digests(tmp_path: Path) -> None:
    case = CASES["explain-secret-override"]
    root, _, _ = _repo(tmp_path, case)
    code, out, err = run_cli(["explain", str(root), "v1/Secret/shop/db"])
    assert code == 0, err
    line = next(line for line in out.splitlines() if "/stringData/password" in line)
    assert line.count('"sha256:') == 2, line
