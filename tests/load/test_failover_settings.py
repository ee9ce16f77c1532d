"""fleet.yaml ``spec.failover`` (issue 11): every setting with its default (the
Karmada flag it mirrors), each value read as written, durations in seconds or with a
unit, and every invalid value an error at ``fleet.yaml:line:col``."""

from __future__ import annotations

import pytest

from gitfleet.load import load_fleet, validate_files
from gitfleet.model.failover import FailoverSettings
from gitfleet.model.health import HealthSettings
from gitfleet.model.policy import Toleration
from load.repos import inventory

HEAD = "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: demo}\nspec:\n  failover:\n"


def _files(body: str) -> dict[str, bytes]:
    return {"fleet.yaml": (HEAD + body).encode(), **inventory("m1")}


def _settings(body: str) -> FailoverSettings:
    return load_fleet(_files(body)).settings.failover


def test_defaults_are_karmadas() -> None:
    expected = FailoverSettings(
        no_execute_eviction=True, failure_threshold=3, success_threshold=1, max_unhealthy_fraction=0.55,
        health_interval=10.0, estimator_interval=60.0, probe_timeout=5.0,
        default_not_ready_toleration_seconds=300, default_unreachable_toleration_seconds=300,
        graceful_eviction_timeout=600.0, purge_mode="Gracefully",
    )
    assert FailoverSettings() == expected
    assert _settings("    {}\n") == expected
    assert load_fleet(inventory("m1")).settings.failover == expected  # no fleet.yaml at all
    head_only = {"fleet.yaml": b"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\n", **inventory("m1")}
    assert load_fleet(head_only).settings.failover == expected


@pytest.mark.parametrize(("line", "field", "value"), [
    ("noExecuteEviction: false", "no_execute_eviction", False),
    ("failureThreshold: 5", "failure_threshold", 5),
    ("failureThreshold: 1", "failure_threshold", 1),
    ("successThreshold: 2", "success_threshold", 2),
    ("maxUnhealthyFraction: 0.5", "max_unhealthy_fraction", 0.5),
    ("maxUnhealthyFraction: 0", "max_unhealthy_fraction", 0.0),
    ("maxUnhealthyFraction: 1", "max_unhealthy_fraction", 1.0),
    ("healthInterval: 3", "health_interval", 3.0),
    ("healthInterval: 2.5", "health_interval", 2.5),
    ("healthInterval: 30s", "health_interval", 30.0),
    ("healthInterval: 1.5m", "health_interval", 90.0),
    ("estimatorInterval: 5m", "estimator_interval", 300.0),
    ("probeTimeout: 500", "probe_timeout", 500.0),
    ("probeTimeout: 0.5s", "probe_timeout", 0.5),
    ("defaultNotReadyTolerationSeconds: 0", "default_not_ready_toleration_seconds", 0),
    ("defaultNotReadyTolerationSeconds: 60", "default_not_ready_toleration_seconds", 60),
    ("defaultUnreachableTolerationSeconds: 120", "default_unreachable_toleration_seconds", 120),
    ("gracefulEvictionTimeout: 1h", "graceful_eviction_timeout", 3600.0),
    ("gracefulEvictionTimeout: 720h", "graceful_eviction_timeout", 2592000.0),  # the maximum, 30 days
    ("gracefulEvictionTimeout: 45", "graceful_eviction_timeout", 45.0),
    ("purgeMode: Directly", "purge_mode", "Directly"),
    ("purgeMode: Gracefully", "purge_mode", "Gracefully"),
])
def test_each_setting_is_read(line: str, field: str, value: object) -> None:
    settings = _settings(f"    {line}\n")
    assert getattr(settings, field) == value
    # every other field keeps its default
    defaults = FailoverSettings()
    others = {k: v for k, v in vars(settings).items() if k != field}
    assert others == {k: v for k, v in vars(defaults).items() if k != field}


def test_no_execute_eviction_is_still_an_attribute_of_the_fleet_settings() -> None:
    fleet = load_fleet(_files("    noExecuteEviction: false\n"))
    assert fleet.settings.no_execute_eviction is False


def test_health_settings_carry_thresholds_guard_and_switch() -> None:
    settings = _settings("    failureThreshold: 4\n    successThreshold: 2\n    maxUnhealthyFraction: 0.4\n"
                         "    noExecuteEviction: false\n")
    assert settings.health_settings() == HealthSettings(4, 2, 0.4, False)
    assert FailoverSettings().health_settings() == HealthSettings()


def test_default_tolerations_follow_the_settings() -> None:
    settings = _settings("    defaultNotReadyTolerationSeconds: 30\n    defaultUnreachableTolerationSeconds: 90\n")
    assert settings.default_tolerations() == (
        Toleration("cluster.karmada.io/not-ready", "Exists", "", "NoExecute", 30),
        Toleration("cluster.karmada.io/unreachable", "Exists", "", "NoExecute", 90),
    )


DURATION = "is not valid: Seconds as a number, or a string"
BOUNDS = "must be more than 0 and at most 30 days (2592000 s)"


@pytest.mark.parametrize(("line", "message"), [
    ("failureThreshold: 0", "spec.failover.failureThreshold: 0 is less than the minimum of 1"),
    ("failureThreshold: 2.5", "spec.failover.failureThreshold: must be of type integer"),
    ("failureThreshold: '3'", "spec.failover.failureThreshold: must be of type integer, not string"),
    ("failureThreshold: 1001", "spec.failover.failureThreshold: 1001 is greater than the maximum of 1000"),
    ("successThreshold: -1", "spec.failover.successThreshold: -1 is less than the minimum of 1"),
    ("successThreshold: yes", "spec.failover.successThreshold: must be of type integer, not boolean"),
    ("maxUnhealthyFraction: 1.5", "spec.failover.maxUnhealthyFraction: 1.5 is greater than the maximum of 1"),
    ("maxUnhealthyFraction: -0.1", "spec.failover.maxUnhealthyFraction: -0.1 is less than the minimum of 0"),
    ("maxUnhealthyFraction: half", "spec.failover.maxUnhealthyFraction: must be of type number"),
    ("healthInterval: 0", f"spec.failover.healthInterval: 0 {DURATION}"),
    ("healthInterval: -5", f"spec.failover.healthInterval: -5 {DURATION}"),
    ("healthInterval: 0s", f"spec.failover.healthInterval: duration '0s' {BOUNDS}"),
    ("healthInterval: 10d", f"spec.failover.healthInterval: '10d' {DURATION}"),
    ("healthInterval: 10 s", f"spec.failover.healthInterval: '10 s' {DURATION}"),
    ("estimatorInterval: 2592001", f"spec.failover.estimatorInterval: 2592001 {DURATION}"),
    ("estimatorInterval: 721h", f"spec.failover.estimatorInterval: duration '721h' {BOUNDS}"),
    ("probeTimeout: true", f"spec.failover.probeTimeout: True {DURATION}"),
    ("probeTimeout: [5]", f"spec.failover.probeTimeout: [5] {DURATION}"),
    ("gracefulEvictionTimeout: 0m", f"spec.failover.gracefulEvictionTimeout: duration '0m' {BOUNDS}"),
    ("defaultNotReadyTolerationSeconds: -1",
     "spec.failover.defaultNotReadyTolerationSeconds: -1 is less than the minimum of 0"),
    ("defaultUnreachableTolerationSeconds: 2147483648",
     "spec.failover.defaultUnreachableTolerationSeconds: 2147483648 is greater than the maximum of 2147483647"),
    ("defaultUnreachableTolerationSeconds: 1m", ("spec.failover.defaultUnreachableTolerationSeconds: must be of "
     "type integer, not string")),
    ("purgeMode: Never", "spec.failover.purgeMode: 'Never' is not one of 'Gracefully', 'Directly'"),
    ("purgeMode: gracefully", "spec.failover.purgeMode: 'gracefully' is not one of 'Gracefully', 'Directly'"),
    ("probeTimeOut: 5s", "probeTimeOut"),
])
def test_an_invalid_value_is_an_error_at_its_place(line: str, message: str) -> None:
    body = "    noExecuteEviction: true\n" + f"    {line}\n"
    errors = [p for p in validate_files(_files(body)) if p.severity == "error"]
    assert [(p.path, p.line, p.col) for p in errors] == [("fleet.yaml", 7, 5)]
    assert message in errors[0].message


POLICY = ("apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p}\nspec:\n"
          "  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n")
APP = "    application: {decisionConditions: {tolerationSeconds: 60}}\n"
STATE = "      statePreservation: {rules: [{aliasLabelName: a, jsonPath: '{.x}'}]}\n"


@pytest.mark.parametrize(("failover", "purge_mode", "warned"), [
    ("", None, []),
    ("  failover: {}\n", None, []),
    ("  failover:\n    cluster: {}\n", None, []),
    ("  failover:\n    cluster: {purgeMode: Directly}\n", "Directly", []),
    ("  failover:\n    cluster: {purgeMode: Gracefully}\n", "Gracefully", []),
    ("  failover:\n    cluster:\n      purgeMode: Directly\n" + STATE, "Directly",
     ["spec.failover.cluster.statePreservation"]),
    ("  propagateDeps: true\n  failover:\n" + APP, None, ["spec.failover.application"]),
], ids=["absent", "empty", "cluster-empty", "directly", "gracefully", "state-preservation", "application"])
def test_policy_purge_mode_is_read_and_the_rest_is_reported(
    failover: str, purge_mode: str | None, warned: list[str]
) -> None:
    files = {**inventory("m1"), "p.yaml": (POLICY + failover).encode()}
    (policy,) = load_fleet(files).propagation_policies
    assert policy.purge_mode == purge_mode
    warnings = [p.message for p in validate_files(files) if p.severity == "warning"]
    assert [w for w in warned if any(w in m for m in warnings)] == warned
    assert len(warnings) == len(warned)
