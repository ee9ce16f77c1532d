"""``gitfleet validate`` on issue 8's defects, through the command line: ``--strict``,
the warning for resources that go to no cluster, and "no fleet repo here"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fleets import CLUSTERS, GOOD

from gitfleet.cli.main import main

MakeRepo = Callable[[dict[str, str]], Path]
LONELY = {"templates/cm.yaml": """
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: lonely, namespace: shop}
"""}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("files", "strict", "code", "last"),
    [
        (GOOD, False, 0, "valid: 4 file(s), 0 warning(s)"),
        (GOOD, True, 0, "valid: 4 file(s), 0 warning(s)"),
        ({**GOOD, **LONELY}, False, 0, "valid: 5 file(s), 1 warning(s)"),
        ({**GOOD, **LONELY}, True, 1, "invalid: 0 error(s), 1 warning(s) (--strict: warnings fail)"),
    ],
    ids=["clean", "clean-strict", "warning", "warning-strict"],
)
def test_strict_makes_warnings_fail(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch,
                                    files: dict[str, str], strict: bool, code: int, last: str) -> None:
    monkeypatch.chdir(make_repo(files))  # REPO is ".": paths are the repo's own
    argv = ["validate"] + (["--strict"] if strict else [])
    got, out, _ = run(capsys, *argv)
    assert (got, out.splitlines()[-1]) == (code, last)
    if "templates/cm.yaml" in files:
        assert out.splitlines()[0] == ("templates/cm.yaml:1:1: warning: v1/ConfigMap/shop/lonely goes to no "
                                       "cluster: no PropagationPolicy or ClusterPropagationPolicy selects it")


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({}, "no fleet.yaml and no Cluster or policy document (no YAML file)"),
        (LONELY, "no fleet.yaml and no Cluster or policy document (1 YAML file(s) read)"),
        ({f"sample-repo/{k}": v for k, v in CLUSTERS.items()} | {"sample-repo/fleet.yaml": """
            apiVersion: gitfleet.io/v1alpha1
            kind: Fleet
            metadata: {name: f}
         """}, "no fleet.yaml here, but there is one in sample-repo"),
    ],
    ids=["empty", "templates-only", "above-the-fleet"],
)
def test_no_fleet_repo_here(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str],
                            files: dict[str, str], words: str) -> None:
    root = make_repo(files)
    root.mkdir(parents=True, exist_ok=True)
    code, out, err = run(capsys, "validate", str(root))
    assert code == 1 and out == ""
    assert err.startswith(f"gitfleet validate: no fleet repo in {root}: ")
    assert words in err and "Traceback" not in err
    hint = f"gitfleet validate {root / 'sample-repo'}" if "above" in words or "here, but" in words \
        else "gitfleet validate sample-repo"
    assert hint in err
    code, _, err = run(capsys, "render", str(root))
    assert code == 1 and "no fleet repo" in err
