"""`gitfleet status` output built from a status tree."""

from __future__ import annotations

import json

import pytest

from gitfleet.load.yamlio import load_plain
from gitfleet.status.layout import plan_to_tree
from gitfleet.status.report import StatusReport, build_report, format_json, format_table, format_yaml
from status.plans import deployment, plan

SHA, SRC = "a" * 40, "b" * 40


def report() -> StatusReport:
    p = plan({"m1": [deployment(replicas=4)], "m2": [deployment(replicas=2)]},
             placements=[("apps/v1/Deployment/shop/web", "PropagationPolicy/shop/pp", [("m1", 4), ("m2", 2)]),
                         ("v1/ConfigMap/shop/orphan", None, [])])
    files = {**plan_to_tree(p), "status/m1.yaml": b"applied: 3\n", "status/nested/x.yaml": b"ignored: true\n"}
    return build_report("gitfleet/status", SHA, SRC, 1_700_000_000, files)


def test_table() -> None:
    assert format_table(report()).splitlines() == [
        f"status branch: gitfleet/status at {SHA[:12]}",
        f"source commit: {SRC} (rendered 2023-11-14T22:13:20Z)",
        "",
        "RESOURCE                     POLICY                     CLUSTERS",
        "apps/v1/Deployment/shop/web  PropagationPolicy/shop/pp  m1:4, m2:2",
        "v1/ConfigMap/shop/orphan     -                          (unplaced)",
    ]


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_data_formats(fmt: str) -> None:
    text = format_json(report()) if fmt == "json" else format_yaml(report())
    data = json.loads(text) if fmt == "json" else load_plain(text)[0]
    assert data["statusCommit"] == SHA and data["sourceCommit"] == SRC
    assert data["clusters"] == {"m1": {"applied": 3}}
    assert data["placements"][0]["clusters"] == [{"name": "m1", "replicas": 4}, {"name": "m2", "replicas": 2}]


def test_no_branch_yet() -> None:
    out = format_table(StatusReport(branch="gitfleet/status"))
    assert out == "status branch gitfleet/status does not exist yet: run `gitfleet render --commit`\n"
