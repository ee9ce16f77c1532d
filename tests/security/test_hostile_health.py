"""A hostile or hand-edited ``status/clusters/<name>.yaml`` (anyone who can push to the
status branch can write it): reading it is a :class:`HealthError` at ``path:line:col``
naming the file, never another exception."""

from __future__ import annotations

import pytest

from gitfleet.status.health import HealthError, read_health

P = "status/clusters/member1.yaml"
HEAD = b"version: 1\ncluster: member1\n"


@pytest.mark.parametrize(("path", "raw", "line", "needle"), [
    (P, b"version: [1\n", 0, ""),
    (P, b"- a\n- b\n", 1, "expected a mapping"),
    (P, b"version: 1\ncluster: member1\n---\nversion: 1\n", 4, "one YAML document"),
    (P, b"cluster: member1\n", 1, "no 'version'"),
    (P, b"version: 2\ncluster: member1\n", 1, "newer gitfleet"),
    (P, b"version: yes\ncluster: member1\n", 1, "positive whole number"),
    (P, b"version: 1\n", 1, "no 'cluster'"),
    (P, b"version: 1\ncluster: member2\n", 2, "belongs in status/clusters/member2.yaml"),
    (P, b"version: 1\ncluster: ../member1\n", 2, "cannot be a file or folder name"),
    (P, b"version: 1\ncluster: 'a\\nb'\n", 2, "cannot be a file or folder name"),
    (P, b"version: 1\ncluster: [x]\n", 2, "expected a string"),
    ("status/clusters/deep/member1.yaml", HEAD, 1, "not a member's health file"),
    ("status/clusters/member1.yml", HEAD, 1, "not a member's health file"),
    (P, HEAD + b"taints: {key: x}\n", 3, "expected a list"),
    (P, HEAD + b"taints:\n- key: x\n", 4, "needs 'effect'"),
    (P, HEAD + b"taints:\n- {key: x, effect: Evict}\n", 4, "not one of"),
    (P, HEAD + b"taints:\n- {key: x, effect: NoExecute, timeAdded: yesterday}\n", 4, "RFC 3339"),
    (P, HEAD + b"taints:\n- {key: x, effect: NoExecute, timeAdded: '2026-12-04T10:00:00+02:00'}\n", 4, "UTC"),
    (P, HEAD + b"taints:\n- {key: x, effect: NoSchedule}\n- {key: x, effect: NoSchedule}\n", 5, "listed twice"),
    (P, HEAD + b"taints:\n- {key: x, effect: NoSchedule, colour: red}\n", 4, "unknown field"),
    (P, HEAD + b"taints:\n" + b"- {key: x, effect: NoSchedule}\n" * 65, 3, "more than 64"),
    (P, HEAD + b"taints:\n- {key: '" + b"k" * 400 + b"', effect: NoSchedule}\n", 4, "longer than"),
    (P, HEAD + b"conditions:\n- {type: Ready, status: Maybe}\n", 4, "not one of"),
    (P, HEAD + b"conditions:\n- {status: 'True'}\n", 4, "needs 'type'"),
    (P, HEAD + b"conditions:\n- {type: Ready, status: 'True'}\n- {type: Ready, status: 'False'}\n", 5,
     "a second Ready"),
    (P, HEAD + b"consecutiveFailures: -1\n", 3, "out of range"),
    (P, HEAD + b"consecutiveFailures: 99999999999999999999\n", 3, "64 bits"),
    (P, HEAD + b"consecutiveSuccesses: 1.5\n", 3, "whole number"),
    (P, HEAD + b"consecutiveSuccesses: true\n", 3, "whole number"),
    (P, HEAD + b"disruptionGuard: 'yes please'\n", 3, "true or false"),
    (P, HEAD + b"lastProbe: {result: dead}\n", 3, "not one of"),
    (P, HEAD + b"lastProbe: {message: hi}\n", 3, "needs the 'result'"),
    (P, HEAD + b"lastProbe: {time: 12}\n", 3, "expected a string"),
    (P, HEAD + b"lastProbe: [1]\n", 3, "expected a mapping"),
    (P, HEAD + b"resourceSummary: {allocatable: {cpu: lots}}\n", 3, "not a quantity"),
    (P, HEAD + b"resourceSummary: {allocatable: {cpu: .nan}}\n", 3, "finite"),
    (P, HEAD + b"resourceSummary: {allocatable: {cpu: [1]}}\n", 3, "expected a quantity"),
    (P, HEAD + b"resourceSummary: {allocatable: {cpu: true}}\n", 3, "expected a quantity"),
    (P, HEAD + b"resourceSummary: {allocatable: {cpu: 1e999999}}\n", 3, ""),
    (P, HEAD + b"resourceSummary: {free: {}}\n", 3, "unknown field"),
    (P, HEAD + b"resourceSummary: {allocatable: {cpu: '" + b"9" * 100 + b"'}}\n", 3, "out of range"),
    (P, b"\xff\xfe\x00bad", 1, ""),
    (P, b"version: 1\ncluster: member1\n" + b"[" * 5000 + b"]" * 5000 + b"\n", 0, ""),
])
def test_hostile_health_file(path: str, raw: bytes, line: int, needle: str) -> None:
    with pytest.raises(HealthError) as info:
        read_health({path: raw})
    err = info.value
    assert err.path == path and err.line >= 1 and err.col >= 1
    assert str(err).startswith(f"{path}:{err.line}:{err.col}: ")
    if line:
        assert err.line == line, str(err)
    assert needle in err.message, str(err)
