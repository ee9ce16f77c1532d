"""`gitfleet status` output built from a status tree: header with the dirty flag,
aligned tables, drift wording, clusters that left the inventory, and hand-edited
status branches that must be reported, never crash the report."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitfleet.apply.statusfile import status_section
from gitfleet.load.yamlio import dump_yaml, load_plain
from gitfleet.status.layout import plan_to_tree
from gitfleet.status.report import StatusReport, align, build_report, format_json, format_table, format_yaml
from status.plans import deployment, plan

SHA, SRC = "a" * 40, "b" * 40
WEB = "apps/v1/Deployment/shop/web"


def tree() -> dict[str, bytes]:
    p = plan({"m1": [deployment(replicas=4)], "m2": [deployment(replicas=2)]},
             placements=[(WEB, "PropagationPolicy/shop/pp", [("m1", 4), ("m2", 2)]),
                         ("v1/ConfigMap/shop/orphan", None, [])])
    return {**plan_to_tree(p), "status/m1.yaml": b"applied: 3\n", "status/nested/x.yaml": b"ignored: true\n"}


def report(dirty: bool = False, **extra: bytes) -> StatusReport:
    return build_report("gitfleet/status", SHA, SRC, 1_700_000_000, {**tree(), **extra}, dirty=dirty)


def status_file(state: str = "Applied", **fields: Any) -> bytes:
    doc = {"cluster": "x", "state": state, "appliedRevision": SRC,
           "objects": {"desired": 2, "ready": 2, "failed": 0, "conflict": 0, "drifted": 0}, **fields}
    return dump_yaml(doc).encode()


@pytest.mark.parametrize(
    ("dirty", "line"),
    [(False, "dirty:         no"),
     (True, "dirty:         yes: the render includes uncommitted changes of the working tree")],
    ids=["clean", "dirty"],
)
def test_table(dirty: bool, line: str) -> None:
    assert format_table(report(dirty)).splitlines() == [
        f"status branch: gitfleet/status at {SHA[:12]}",
        f"source commit: {SRC}",
        "rendered at:   2023-11-14T22:13:20Z",
        line,
        "",
        "RESOURCE                     POLICY                     CLUSTERS",
        f"{WEB}  PropagationPolicy/shop/pp  m1:4, m2:2",
        "v1/ConfigMap/shop/orphan     -                          (unplaced)",
    ]


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_data_formats(fmt: str) -> None:
    text = format_json(report(True)) if fmt == "json" else format_yaml(report(True))
    data = json.loads(text) if fmt == "json" else load_plain(text)[0]
    assert data["statusCommit"] == SHA and data["sourceCommit"] == SRC and data["dirty"] is True
    assert data["clusters"] == {"m1": {"applied": 3}}
    assert data["placements"][0]["clusters"] == [{"name": "m1", "replicas": 4}, {"name": "m2", "replicas": 2}]
    assert data["departedClusters"] == [] and data["problems"] == []


def test_no_branch_yet() -> None:
    out = format_table(StatusReport(branch="gitfleet/status"))
    assert out == "status branch gitfleet/status does not exist yet: run `gitfleet render --commit`\n"


@pytest.mark.parametrize(
    ("rows", "lines"),
    [
        ([("A", "B", "C")], ["A  B  C"]),
        ([("NAME", "X", "LAST"), ("a-long-name", "yy", "")], ["NAME         X   LAST", "a-long-name  yy"]),
        ([], []),
    ],
    ids=["one-row", "widest-cell-wins-and-no-trailing-space", "empty"],
)
def test_align(rows: list[tuple[str, ...]], lines: list[str]) -> None:
    assert align(rows) == lines


def test_a_cluster_that_left_the_inventory_is_not_applied_nor_counted() -> None:
    """m1 and m2 are placed; gone (no placement, no folder) only kept its old status file."""
    workloads = [{"resource": WEB, "ready": True, "readyReplicas": 9, "replicas": 9}]
    rep = report(**{"status/m1.yaml": status_file(workloads=[{**workloads[0], "readyReplicas": 4, "replicas": 4}]),
                    "status/gone.yaml": status_file(workloads=workloads)})
    assert set(rep.clusters) == {"m1"} and rep.departed == ("gone",)
    table = format_table(rep, (status_section,))
    assert "gone  Applied" not in table and "4/4 replicas, 1/1 clusters ready" in table
    assert table.endswith(
        "\nno longer placed (left the inventory?), last apply results not counted: gone\n")
    assert json.loads(format_json(rep))["departedClusters"] == ["gone"]


@pytest.mark.parametrize(
    ("drift", "objects"),
    [
        ([{"resource": WEB, "pointer": "/spec/replicas", "desired": 2, "live": 5, "corrected": True}],
         "2 desired, 2 ready, drift corrected (1)"),
        ([{"resource": WEB, "pointer": "/spec/replicas", "desired": 2, "live": 5, "corrected": False}],
         "2 desired, 2 ready, 1 drifted"),
        ([{"resource": WEB, "pointer": "/a", "corrected": True}, {"resource": WEB, "pointer": "/b", "corrected": True},
          {"resource": "v1/ConfigMap/shop/c", "pointer": "/data", "corrected": False}],
         "2 desired, 2 ready, 1 drifted, drift corrected (1)"),
        (None, "2 desired, 2 ready"),
    ],
    ids=["corrected", "reported-only", "both-one-resource-two-fields", "no-drift"],
)
def test_drift_wording(drift: list[dict[str, Any]] | None, objects: str) -> None:
    fields: dict[str, Any] = {} if drift is None else {"drift": drift}
    rep = report(**{"status/m1.yaml": status_file(**fields)})
    assert f"m1       Applied  {SRC[:12]}  {objects}" in status_section(rep)


def test_cluster_columns_are_aligned() -> None:
    rep = report(**{"status/m1.yaml": status_file(),
                    "status/m2.yaml": status_file("Failed", appliedRevision=None, error="unreachable")})
    assert status_section(rep)[:4] == [
        "",
        "CLUSTER  STATE    APPLIED       OBJECTS",
        f"m1       Applied  {SRC[:12]}  2 desired, 2 ready",
        "m2       Failed   -             2 desired, 2 ready  error: unreachable",
    ]


# A hand-edited status branch: (files changed, a fragment of the problem reported,
# what the report still shows).
HAND_EDITED: list[tuple[str, dict[str, bytes], str, str]] = [
    ("status-not-yaml", {"status/m1.yaml": b"state: [unclosed\n"}, "status/m1.yaml: not readable", WEB),
    ("status-not-utf8", {"status/m1.yaml": b"state: \xff\xfe\n"}, "status/m1.yaml: not readable", WEB),
    ("status-a-list", {"status/m1.yaml": b"- a\n- b\n"}, "status/m1.yaml: expected a mapping, found list", WEB),
    ("status-empty", {"status/m1.yaml": b""}, "status/m1.yaml: expected a mapping, found NoneType", WEB),
    ("objects-a-string", {"status/m1.yaml": b"state: Applied\nobjects: lots\n"},
     "status/m1.yaml: objects: expected a mapping, found str", "m1       Applied"),
    ("count-a-string", {"status/m1.yaml": b"state: Applied\nobjects: {desired: many, ready: 1}\n"},
     "status/m1.yaml: objects.desired: expected a whole number, found 'many'", "0 desired, 1 ready"),
    ("workloads-a-map", {"status/m1.yaml": b"state: Applied\nworkloads: {a: 1}\n"},
     "status/m1.yaml: workloads: expected a list, found dict", "m1       Applied"),
    ("workload-replicas-text", {"status/m1.yaml": b"workloads: [{resource: x, ready: true, replicas: two}]\n"},
     "status/m1.yaml: workloads[0].replicas: expected a whole number, found 'two'", "x         1/1 clusters ready"),
    ("drift-a-string", {"status/m1.yaml": b"state: Applied\ndrift: oops\n"},
     "status/m1.yaml: drift: expected a list, found str", "m1       Applied"),
    ("placements-not-yaml", {"placements.yaml": b"{{{\n"}, "placements.yaml: not readable", "m1       "),
    ("placements-a-map", {"placements.yaml": b"a: 1\n"}, "placements.yaml: expected a list of placements, found dict",
     "RESOURCE"),
    ("placement-item-bad", {"placements.yaml": dump_yaml([
        {"resource": WEB, "clusters": [{"name": "m1"}]}, {"clusters": "m2"}, 7]).encode()},
     "placements.yaml: item 1: skipped", WEB),
]


@pytest.mark.parametrize(("files", "problem", "still"), [c[1:] for c in HAND_EDITED],
                         ids=[c[0] for c in HAND_EDITED])
def test_a_hand_edited_status_branch_is_reported_not_fatal(files: dict[str, bytes], problem: str, still: str) -> None:
    base = {"status/m1.yaml": status_file()}
    rep = report(**{**base, **files})
    table = format_table(rep, (status_section,))
    assert problem in table
    assert still in table
    data = json.loads(format_json(rep))
    assert data["statusCommit"] == SHA
