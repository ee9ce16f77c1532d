"""The verbs of the core: exit codes, output shapes and error messages."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fleets import CLUSTERS, GOOD

from gitfleet.cli.main import main

MakeRepo = Callable[[dict[str, str]], Path]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_render_json_has_design_shape(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "render", str(make_repo(GOOD)), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"placements", "clusters", "warnings"}
    assert doc["placements"] == [{"resource": "apps/v1/Deployment/shop/web",
                                  "policy": "PropagationPolicy/shop/web",
                                  "clusters": [{"name": "a", "replicas": 2}, {"name": "b", "replicas": 1}]}]
    assert [m["spec"]["replicas"] for m in (doc["clusters"]["a"][0], doc["clusters"]["b"][0])] == [2, 1]


def test_render_is_byte_identical_across_runs(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo = str(make_repo(GOOD))
    first = run(capsys, "render", repo)
    second = run(capsys, "render", repo)
    assert first == second and first[0] == 0
    assert "# cluster: a\n# resource: apps/v1/Deployment/shop/web\napiVersion: apps/v1\n" in first[1]


def test_render_cluster_filter_and_unknown_cluster(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo = str(make_repo(GOOD))
    code, out, _ = run(capsys, "render", repo, "--format", "json", "--cluster", "b")
    assert code == 0 and list(json.loads(out)["clusters"]) == ["b"]
    code, _, err = run(capsys, "render", repo, "--cluster", "nope")
    assert code == 2 and "unknown cluster(s): nope" in err


def test_render_output_dir_writes_status_layout_and_replaces_it(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    assert run(capsys, "render", str(make_repo(GOOD)), "--output-dir", str(out_dir))[0] == 0
    files = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())
    assert files == ["clusters/a/shop/apps.Deployment.web.yaml", "clusters/b/shop/apps.Deployment.web.yaml",
                     "placements.yaml", "state/fleet.yaml", "state/resources/shop/apps.Deployment.web.yaml"]
    (out_dir / "clusters/a/shop/stale.yaml").write_text("x")
    assert run(capsys, "render", str(make_repo(GOOD)), "--output-dir", str(out_dir))[0] == 0
    assert not (out_dir / "clusters/a/shop/stale.yaml").exists()


def test_render_refuses_to_replace_a_folder_it_did_not_write(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    code, _, err = run(capsys, "render", str(make_repo(GOOD)), "--output-dir", str(precious))
    assert code == 2 and "refusing to replace it" in err
    assert (precious / "notes.txt").read_text() == "keep me"


BROKEN = [
    ("invalid-yaml", {"templates/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x\n"},
     "templates/x.yaml:"),
    ("schema-error", {"policies/p.yaml": """
        apiVersion: policy.karmada.io/v1alpha1
        kind: PropagationPolicy
        metadata: {name: p, namespace: shop}
        spec:
          resourceSelectors: [{apiVersion: v1, kind: ConfigMap}]
          placement:
            replicaScheduling: {replicaSchedulingType: Sideways}
    """}, "policies/p.yaml:7:"),
    ("template-undefined", {"templates/t.yaml.j2": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: t, namespace: shop}
        data: {x: "{{ nothing_here }}"}
    """}, "templates/t.yaml.j2:"),
    ("sandbox-escape", {"templates/t.yaml.j2": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: t, namespace: shop}
        data: {x: "{{ cluster.__class__.__mro__ }}"}
    """}, "templates/t.yaml.j2:"),
    ("duplicate-keys", {"templates/a.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: same, namespace: shop}
    """, "templates/b.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: same, namespace: shop}
    """}, "templates/b.yaml:3:12:"),
    ("unknown-kind-without-namespace", {"templates/w.yaml": """
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: w}
    """}, "templates/w.yaml:2:1:"),
    ("missing-kind", {"templates/m.yaml": "apiVersion: v1\nmetadata: {name: m}\n"}, "templates/m.yaml:1:1:"),
    ("identity-depends-on-cluster", {"templates/t.yaml.j2": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: "t-{{ cluster.name }}", namespace: shop}
    """, "policies/all.yaml": """
        apiVersion: policy.karmada.io/v1alpha1
        kind: ClusterPropagationPolicy
        metadata: {name: all}
        spec:
          resourceSelectors: [{apiVersion: v1, kind: ConfigMap}]
    """}, "templates/t.yaml.j2:"),
]


@pytest.mark.parametrize(("files", "where"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_repo_fails_with_positions(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], files: dict[str, str], where: str
) -> None:
    repo = str(make_repo({**CLUSTERS, **files}))
    code, out, _ = run(capsys, "validate", repo)
    assert code == 1
    assert any(line.startswith(f"{repo}/{where}") for line in out.splitlines()), out
    code, out, err = run(capsys, "render", repo)
    assert code == 1 and out == ""
    # Paths start at REPO as it was named, as a compiler's do.
    assert any(line.startswith(f"{repo}/{where}") for line in err.splitlines()), err
    assert "nothing was rendered, compared or applied" in err


def test_validate_reports_every_problem_sorted(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    files = {**CLUSTERS, **dict(BROKEN[6][1]), **dict(BROKEN[5][1])}
    monkeypatch.chdir(make_repo(files))  # REPO is ".": paths are the repo's own
    code, out, _ = run(capsys, "validate")
    problems = [line for line in out.splitlines() if line.startswith("templates/")]
    assert code == 1 and len(problems) >= 2
    assert problems == sorted(problems)


def test_validate_ok(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", str(make_repo(GOOD)))
    assert code == 0 and out.startswith("valid:")


def test_explain_names_policy_verdicts_and_arithmetic(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", str(make_repo(GOOD)), "apps/v1/Deployment/shop/web")
    assert code == 0
    assert "policy:   PropagationPolicy/shop/web" in out
    assert "  a: placed, 2 replicas" in out and "  b: placed, 1 replica\n" in out
    assert "Webster" in out


def test_explain_unknown_key_suggests(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "explain", str(make_repo(GOOD)), "apps/v1/Deployment/shop/webb")
    assert code == 1 and "did you mean apps/v1/Deployment/shop/web" in err
    code, _, err = run(capsys, "explain", str(make_repo(GOOD)), "not-a-key")
    assert code == 2 and "is not <apiVersion>/<Kind>/<namespace>/<name>" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["render", "--format", "xml"])
    assert exc.value.code == 2
    assert main([]) == 2
    code, _, err = run(capsys, "render", str(tmp_path / "missing"))
    assert code == 2 and "does not exist" in err
