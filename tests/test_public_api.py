"""The Python API re-exported by ``gitfleet``: exactly these names, each working on
``sample-repo/`` as the CLI does, and ``import gitfleet`` loading none of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import gitfleet
from gitfleet.diff.model import PlanDiff
from gitfleet.git.errors import GitSourceError
from gitfleet.model.plan import Plan
from gitfleet.model.resource import Fleet

ROOT = Path(gitfleet.__file__).resolve().parents[1]
SAMPLE = ROOT / "sample-repo"
GOLDEN = ROOT / "tests" / "golden"
WEB = "apps/v1/Deployment/shop/web"


def sample_files() -> dict[str, bytes]:
    return {p.relative_to(SAMPLE).as_posix(): p.read_bytes() for p in SAMPLE.rglob("*")
            if p.name.endswith((".yaml", ".yml", ".yaml.j2", ".yml.j2"))}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return gitfleet.plan_fleet(gitfleet.load_fleet(SAMPLE))


def test_all_is_exactly_the_api() -> None:
    assert gitfleet.__all__ == [
        "InputError", "diff_plans", "explain_resource", "load_fleet", "plan_fleet", "render_manifests"]
    for name in gitfleet.__all__:
        assert getattr(gitfleet, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gitfleet.nope  # noqa: B018


def test_importing_gitfleet_imports_none_of_it() -> None:
    code = "import sys, gitfleet; print(sorted(m for m in sys.modules if m.startswith(('gitfleet', 'yaml', 'pygit2'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                          timeout=60)
    assert done.stdout.strip() == "['gitfleet', 'gitfleet._exports']"


@pytest.mark.parametrize(
    "repo",
    [lambda: SAMPLE, lambda: str(SAMPLE), sample_files,
     lambda: {path: data.decode() for path, data in sample_files().items()}],
    ids=["path", "str", "files-bytes", "files-text"],
)
def test_load_fleet_from_a_folder_or_files(repo: Any, plan: Plan) -> None:
    fleet = gitfleet.load_fleet(repo())
    assert isinstance(fleet, Fleet) and len(fleet.clusters) == 6
    assert gitfleet.plan_fleet(fleet).to_json() == plan.to_json()


@pytest.mark.git
def test_load_fleet_at_a_revision() -> None:
    fleet = gitfleet.load_fleet(SAMPLE, rev="HEAD")
    assert {c.name for c in fleet.clusters} >= {"aws-euw1-prod", "gcp-usc1-gpu"}


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: gitfleet.load_fleet(SAMPLE / "fleet.yaml"), NotADirectoryError, "is not a folder"),
        (lambda: gitfleet.load_fleet({"a.yaml": "x: 1"}, rev="HEAD"), ValueError, "rev applies to a folder"),
        (lambda: gitfleet.load_fleet({**sample_files(), "templates/a.yaml": "kind: ConfigMap\nmetadata: {name: a}\n"}),
         gitfleet.InputError, r"templates/a\.yaml:1:1"),
        (lambda: gitfleet.load_fleet(SAMPLE, rev="no-such-revision"), GitSourceError, "no-such-revision"),
        (lambda: gitfleet.load_fleet(SAMPLE / "nowhere"), GitSourceError, "no such folder"),
    ],
    ids=["not-a-folder", "rev-with-files", "invalid-repo", "unknown-rev", "missing-folder"],
)
def test_load_fleet_errors(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_render_manifests_is_the_render_verb(plan: Plan) -> None:
    golden = json.loads((GOLDEN / "sample-repo.render.json").read_text())
    rendered = gitfleet.render_manifests(plan)
    assert {name: list(manifests.values()) for name, manifests in rendered.items()} == golden["clusters"]
    assert list(gitfleet.render_manifests(plan, clusters=["gcp-usc1-gpu"])) == ["gcp-usc1-gpu"]


def test_render_manifests_never_shows_a_secret_value(plan: Plan) -> None:
    clear = [str(v) for ms in plan.manifests.values() for m in ms.values() if m.get("kind") == "Secret"
             for v in {**(m.get("stringData") or {}), **(m.get("data") or {})}.values()]
    assert clear
    text = json.dumps(gitfleet.render_manifests(plan))
    assert not [value for value in clear if value in text]


def test_explain_resource_is_the_explain_verb(plan: Plan) -> None:
    assert gitfleet.explain_resource(plan, WEB) == (GOLDEN / "sample-repo.explain-web.txt").read_text()
    assert "gcp-usc1-gpu" not in gitfleet.explain_resource(plan, WEB, clusters=["aws-euw1-prod"])
    with pytest.raises(KeyError):
        gitfleet.explain_resource(plan, "apps/v1/Deployment/shop/nope")


def test_diff_plans(plan: Plan) -> None:
    assert not gitfleet.diff_plans(plan, plan).has_changes
    files = sample_files()
    web = "templates/web/deployment.yaml"
    files[web] = files[web].replace(b"shop-web:1.8.3", b"shop-web:1.9.0")
    head = gitfleet.plan_fleet(gitfleet.load_fleet(files))
    changes = gitfleet.diff_plans(plan, head)
    assert isinstance(changes, PlanDiff) and changes.has_changes
    assert changes.totals.changed == len([c for c in head.manifests if WEB in head.manifests[c]])
    assert all(WEB in (o.key for o in c.changed) for c in changes.clusters)
