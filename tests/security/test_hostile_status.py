"""A hand-edited (or hostile) status branch read by ``gitfleet status``: whatever its
files hold, the command reports the file that could not be read and shows the rest,
without a traceback (exit 0: the status branch is a report, not an input to reject)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pygit2
import pytest
from security.hostile import assert_no_traceback, run_cli

pytestmark = pytest.mark.git

SIG = pygit2.Signature("tester", "tester@example.com", 1_700_000_000, 0)
SRC = "b" * 40
GOOD_STATUS = b"cluster: m1\nstate: Applied\nobjects: {desired: 1, ready: 1}\n"
PLACEMENTS = b"- resource: v1/ConfigMap/shop/cm\n  policy: PropagationPolicy/shop/p\n  clusters: [{name: m1}]\n"


def _tree(repo: pygit2.Repository, files: Mapping[str, bytes]) -> pygit2.Oid:
    builder = repo.TreeBuilder()
    folders: dict[str, dict[str, bytes]] = {}
    for path, data in files.items():
        head, sep, rest = path.partition("/")
        if sep:
            folders.setdefault(head, {})[rest] = data
        else:
            builder.insert(head, repo.create_blob(data), pygit2.GIT_FILEMODE_BLOB)
    for name, inner in folders.items():
        builder.insert(name, _tree(repo, inner), pygit2.GIT_FILEMODE_TREE)
    return builder.write()


def status_repo(root: Path, files: Mapping[str, bytes], message: str) -> Path:
    repo = pygit2.init_repository(str(root), initial_head="main")
    (root / "fleet.yaml").write_text("apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: f}\n")
    repo.index.add_all()
    repo.index.write()
    repo.create_commit("refs/heads/main", SIG, SIG, "fleet", repo.index.write_tree(), [])
    repo.create_commit("refs/heads/gitfleet/status", SIG, SIG, message, _tree(repo, files), [])
    return root


# (id, files changed, a fragment of the report, whether the JSON lists it: unreadable
# files are in "problems"; wrong values inside a readable file only in the table).
CASES: list[tuple[str, dict[str, bytes], str, bool]] = [
    ("status-not-yaml", {"status/m1.yaml": b"state: [unclosed\n"}, "status/m1.yaml: not readable", True),
    ("status-not-utf8", {"status/m1.yaml": b"state: \xff\xfe\x00\n"}, "status/m1.yaml: not readable", True),
    ("status-scalar", {"status/m1.yaml": b"just text\n"}, "status/m1.yaml: expected a mapping, found str", True),
    ("status-wrong-types", {"status/m1.yaml": b"objects: {desired: [1], ready: {a: 1}}\nworkloads: 3\n"},
     "status/m1.yaml: objects.desired: expected a whole number", False),
    ("status-count-a-boolean", {"status/m1.yaml": b"objects: {desired: true}\n"},
     "status/m1.yaml: objects.desired: expected a whole number, found True", False),
    ("placements-not-a-list", {"placements.yaml": b"resource: x\n"}, "placements.yaml: expected a list", True),
    ("placements-item-garbage", {"placements.yaml": PLACEMENTS + b"- 42\n- {clusters: nope}\n"},
     "placements.yaml: item 1: skipped", True),
    ("placements-binary", {"placements.yaml": b"\x00\x01\x02"}, "placements.yaml: not readable", True),
]


@pytest.mark.parametrize(("files", "problem", "in_json"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_status_branch(tmp_path: Path, files: dict[str, bytes], problem: str, in_json: bool) -> None:
    tree = {"placements.yaml": PLACEMENTS, "clusters/m1/shop/core.ConfigMap.cm.yaml": b"kind: ConfigMap\n",
            "status/m1.yaml": GOOD_STATUS, **files}
    root = status_repo(tmp_path / "repo", tree, f"render x\n\nGitfleet-Source: {SRC}\nGitfleet-Dirty: true\n")
    code, out, err = run_cli(["status", str(root)])
    assert_no_traceback(out, err)
    assert code == 0, err
    assert problem in out
    assert "dirty:         yes" in out
    code, out, err = run_cli(["status", str(root), "-o", "json"])
    assert_no_traceback(out, err)
    assert code == 0, err
    data = json.loads(out)
    assert data["dirty"] is True
    assert any(problem in p for p in data["problems"]) is in_json
