"""status/clusters/<name>.yaml: written canonically, read back to the same health,
unknown fields kept; and `gitfleet status` reading a tree that has the folder."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gitfleet.health import observe
from gitfleet.model.cluster import ResourceSummary
from gitfleet.model.health import ClusterHealth, HealthSettings, ProbeResult
from gitfleet.status.health import health_files, health_yaml, read_health
from gitfleet.status.report import build_report

PROBES = st.sampled_from([ProbeResult("healthy"), ProbeResult("unhealthy", "etcd: failed"),
                          ProbeResult("unreachable", "connection refused")])
MEMBERS = ("member1", "member2", "member3")


def test_the_documented_example() -> None:
    health = ClusterHealth("member3")
    for i in range(3):
        health = observe({"member3": health, "member1": ClusterHealth("member1")},
                         {"member3": ProbeResult("unreachable", "connection refused"),
                          "member1": ProbeResult("healthy")}, f"2026-12-04T10:02:{i}0Z").observed["member3"]
    assert health_yaml(health).decode() == """\
cluster: member3
conditions:
- lastTransitionTime: '2026-12-04T10:02:20Z'
  message: 'cluster is not reachable: connection refused'
  reason: ClusterNotReachable
  status: Unknown
  type: Ready
consecutiveFailures: 3
lastProbe:
  message: connection refused
  result: unreachable
  time: '2026-12-04T10:02:20Z'
taints:
- effect: NoSchedule
  key: cluster.karmada.io/unreachable
- effect: NoExecute
  key: cluster.karmada.io/unreachable
  timeAdded: '2026-12-04T10:02:20Z'
version: 1
"""


@given(st.lists(st.fixed_dictionaries({m: PROBES for m in MEMBERS}), min_size=1, max_size=8), st.booleans())
def test_round_trip_is_exact_and_byte_stable(rounds: list[dict[str, ProbeResult]], live: bool) -> None:
    observed: dict[str, ClusterHealth] = {}
    settings = HealthSettings(failure_threshold=2, max_unhealthy_fraction=0.5)
    for i, probes in enumerate(rounds):
        observed = dict(observe(observed, probes, f"2026-12-04T10:00:{i:02d}Z", settings).observed)
    if live:
        observed["member1"] = ClusterHealth(**{**observed["member1"].__dict__, "resource_summary": ResourceSummary(
            allocatable={"cpu": "8", "pods": 110}, allocated={"memory": "1Gi"})})
    files = health_files(observed)
    assert read_health(files) == observed
    assert health_files(read_health(files)) == files


def test_unknown_fields_are_kept() -> None:
    raw = b"version: 1\ncluster: member1\nfutureField: {a: 1}\n"
    health = read_health({"status/clusters/member1.yaml": raw})["member1"]
    assert health.extra == {"futureField": {"a": 1}}
    assert health_yaml(health) == b"cluster: member1\nfutureField:\n  a: 1\nversion: 1\n"


def test_other_status_files_are_not_read() -> None:
    assert read_health({"status/member1.yaml": b"not: [health", "state/fleet.yaml": b"version: 1\n"}) == {}


def test_status_report_shows_health_and_names_a_hostile_health_file_as_a_problem() -> None:
    files = {
        "placements.yaml": b"- resource: v1/ConfigMap/shop/a\n  policy: null\n  clusters:\n  - name: member1\n"
                           b"    replicas: null\n",
        "status/member1.yaml": b"cluster: member1\nstate: Applied\n",
        **health_files({"member1": ClusterHealth("member1", consecutive_failures=1)}),
        "status/clusters/member2.yaml": b"version: [not, health",  # a hostile one: not the report's business
    }
    report = build_report("gitfleet/status", "a" * 40, "b" * 40, 0, files)
    assert report.clusters == {"member1": {"cluster": "member1", "state": "Applied"}}
    assert report.departed == ()
    assert len(report.problems) == 1 and report.problems[0].startswith("status/clusters/member2.yaml:2:1: invalid YAML")
    assert report.health == {}  # not half a health table
    files.pop("status/clusters/member2.yaml")
    report = build_report("gitfleet/status", "a" * 40, "b" * 40, 0, files)
    assert report.problems == () and set(report.health) == {"member1"}
