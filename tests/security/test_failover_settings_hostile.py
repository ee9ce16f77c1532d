"""Hostile ``fleet.yaml`` ``spec.failover`` values and policy ``failover.cluster`` through
the CLI (``gitfleet validate``, a separate process as a user runs it): huge, negative,
non-finite, wrongly typed or deeply nested values are exit 1 at ``fleet.yaml:line:col``
(the policy's file for a policy), never a traceback, never a setting that would make
the reconciler spin (a zero interval) or overflow the clock."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hostile import assert_rejected, run_cli, write_repo

FLEET = "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: f}\nspec:\n  failover:\n"
CLUSTER = "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: m1}\nspec: {syncMode: Push}\n"
POLICY = ("apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p}\nspec:\n"
          "  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n  failover:\n")

FLEET_VALUES = {
    "threshold-huge": "failureThreshold: 99999999999999999999999999",
    "threshold-int64-max": "failureThreshold: 9223372036854775807",
    "threshold-negative": "successThreshold: -9223372036854775808",
    "threshold-a-mapping": "failureThreshold: {a: 1}",
    "fraction-infinite": "maxUnhealthyFraction: .inf",
    "fraction-nan": "maxUnhealthyFraction: .nan",
    "fraction-huge-exponent": "maxUnhealthyFraction: 1e308",
    "interval-zero": "healthInterval: 0",
    "interval-zero-string": "healthInterval: 0.0s",
    "interval-negative": "estimatorInterval: -1",
    "interval-huge-digits": "probeTimeout: " + "9" * 400 + "s",
    "interval-many-hours": "gracefulEvictionTimeout: 999999999h",
    "interval-nested": "healthInterval: " + "[" * 200 + "]" * 200,
    "toleration-seconds-huge": "defaultUnreachableTolerationSeconds: 99999999999999999999",
    "toleration-seconds-int64": "defaultNotReadyTolerationSeconds: 9223372036854775807",
    "toleration-seconds-float": "defaultNotReadyTolerationSeconds: 1.5",
    "purge-mode-never": "purgeMode: Never",
    "purge-mode-long": "purgeMode: " + "G" * 100_000,
    "threshold-long-string": "failureThreshold: " + "9" * 100_000 + "x",
    "interval-long-string": "healthInterval: " + "9" * 100_000 + "x",
    "failover-a-list": None,
}


@pytest.mark.parametrize("case", sorted(FLEET_VALUES))
def test_hostile_fleet_failover_is_rejected(tmp_path: Path, case: str) -> None:
    value = FLEET_VALUES[case]
    fleet = FLEET + f"    {value}\n" if value is not None else FLEET.replace("failover:\n", "failover: [1, 2]\n")
    root = write_repo(tmp_path, {"fleet.yaml": fleet, "clusters/m1.yaml": CLUSTER})
    code, out, err = run_cli(["validate", str(root)])
    assert_rejected(code, out, err, "fleet.yaml")
    assert re.search(r"fleet\.yaml:[56]:\d+: ", out + err), err[-2000:]
    assert len(out + err) < 2000  # a long value is cut short in the message


POLICY_VALUES = {
    "purge-mode-never": "cluster: {purgeMode: Never}",
    "purge-mode-a-number": "cluster: {purgeMode: 1}",
    "cluster-a-string": "cluster: everything",
    "cluster-unknown-field": "cluster: {purgeModes: Directly}",
}


@pytest.mark.parametrize("case", sorted(POLICY_VALUES))
def test_hostile_policy_failover_is_rejected(tmp_path: Path, case: str) -> None:
    files = {"fleet.yaml": FLEET.replace("  failover:\n", "  failover: {}\n"), "clusters/m1.yaml": CLUSTER,
             "policies/p.yaml": POLICY + f"    {POLICY_VALUES[case]}\n"}
    code, out, err = run_cli(["validate", str(write_repo(tmp_path, files))])
    assert_rejected(code, out, err, "policies/p.yaml")
