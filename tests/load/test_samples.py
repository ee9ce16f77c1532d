"""Karmada's published examples (/work/shared/karmada-samples, see SOURCES.md there)
are accepted unchanged, except the one Karmada HEAD itself rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitfleet.load import load_fleet, validate_files
from load.repos import inventory

SAMPLES = Path("/work/shared/karmada-samples")
INVALID = "docs-pp-application-failover-state-preservation.yaml"
ALL = sorted(p.name for p in SAMPLES.glob("*.yaml"))
VALID = [n for n in ALL if n != INVALID]

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="karmada samples not present")


def read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_the_sample_set_is_the_documented_one() -> None:
    listed = [line.split("|")[1].strip() for line in (SAMPLES / "SOURCES.md").read_text().splitlines()
              if line.startswith("| ") and line.split("|")[1].strip().endswith(".yaml")]
    assert sorted(listed) == ALL


@pytest.mark.parametrize("name", ALL)
def test_every_sample_validates_without_crashing(name: str) -> None:
    problems = validate_files({name: read(name)})
    assert all(p.path == name and p.line >= 1 and p.col >= 1 for p in problems)


@pytest.mark.parametrize("name", VALID)
def test_valid_samples_have_at_most_warnings(name: str) -> None:
    assert [str(p) for p in validate_files({name: read(name)}) if p.severity == "error"] == []


@pytest.mark.parametrize("name", VALID)
def test_valid_samples_load_with_an_inventory_of_the_clusters_they_name(name: str) -> None:
    names = ["member1", "member2", "member3", "cluster1", "cluster2", "cluster3", "dc-1-cluster-1",
             "dc-1-cluster-2", "idc-gpu-cluster1", "cloud-gpu-cluster1", "cloud-gpu-cluster2"]
    fleet = load_fleet({**inventory(*names), name: read(name)})
    # Only fields gitfleet does not implement may draw a warning, never a name.
    assert all("is not in the inventory" not in w for w in fleet.warnings)


def test_invalid_sample_fails_for_the_reasons_karmada_gives() -> None:
    errors = [p for p in validate_files({INVALID: read(INVALID)}) if p.severity == "error"]
    assert [(p.line, p.col) for p in errors] == [(11, 5), (14, 7)]
    assert "propagateDeps must be true" in errors[0].message
    assert "purgeMode: 'Immediately' is not one of 'Directly', 'Gracefully', 'Never'" in errors[1].message


def test_cluster_sample_migrates_zone_and_defaults_push() -> None:
    fleet = load_fleet({"c.yaml": read("example-cr_cluster.yaml")})
    (cluster,) = fleet.clusters
    assert (cluster.name, cluster.zones, cluster.sync_mode, cluster.provider) == (
        "cluster-foo", ("az-1",), "Push", "huaweicloud")
    assert cluster.secret_ref == {"namespace": "karmada-cluster", "name": "secret-foo"}
    assert [t.key for t in fleet.templates] == ["v1/Secret/karmada-cluster/secret-foo"]


def test_namespace_less_sample_policy_lands_in_default() -> None:
    fleet = load_fleet({"p.yaml": read("nginx-sample-propagationpolicy.yaml")})
    (policy,) = fleet.propagation_policies
    assert policy.ref == "PropagationPolicy/default/nginx-propagation"
    weights = policy.placement.replica_scheduling.static_weights
    assert [(w.target.cluster_names, w.weight) for w in weights] == [(("member1",), 1), (("member2",), 1)]


def test_toleration_sample_is_equal_with_empty_key() -> None:
    fleet = load_fleet({"p.yaml": read("example-propagationpolicy_taintToleration.yaml")})
    policy = fleet.propagation_policies[0]
    (tol, *defaults) = policy.placement.tolerations
    assert tuple(defaults) == policy.default_tolerations  # the webhook's, appended
    assert (tol.key, tol.operator, tol.value, tol.effect) == ("", "Equal", "", "NoSchedule")


def test_cluster_taint_policy_is_ignored_with_a_warning() -> None:
    problems = validate_files({"t.yaml": read("docs-clustertaintpolicy.yaml")})
    assert [(p.severity, "ClusterTaintPolicy" in p.message) for p in problems] == [("warning", True)]
