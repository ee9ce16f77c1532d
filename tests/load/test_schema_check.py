"""The compiled "certainly valid" check (``gitfleet.load.schema_check``) never passes a
document that jsonschema would fault, and passes the valid ones (else it saves nothing)."""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from gitfleet.load import schema
from gitfleet.load.schema_check import TYPES

CLUSTER = {
    "apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
    "metadata": {"name": "c1", "labels": {"env": "prod"}},
    "spec": {"syncMode": "Pull", "provider": "aws", "region": "eu", "zones": ["eu-a", "eu-b"],
             "taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
             "resourceModels": [{"grade": 0, "ranges": [{"name": "cpu", "min": 0, "max": "4"}]}]},
    "status": {"resourceSummary": {"allocatable": {"cpu": "64", "pods": 110}, "allocated": {"memory": "1Gi"}},
               "apiEnablements": [{"groupVersion": "apps/v1", "resources": [{"name": "deployments",
                                                                             "kind": "Deployment"}]}]},
}
PROPAGATION = {
    "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
    "metadata": {"name": "pp", "namespace": "shop"},
    "spec": {
        "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment",
                               "labelSelector": {"matchLabels": {"app": "web"}}}],
        "priority": 3, "conflictResolution": "Overwrite",
        "placement": {
            "clusterAffinity": {"labelSelector": {"matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod"]}]}},
            "clusterTolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
            "spreadConstraints": [{"spreadByField": "region", "minGroups": 1, "maxGroups": 2}],
            "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                  "weightPreference": {"staticWeightList": [
                                      {"targetCluster": {"clusterNames": ["c1"]}, "weight": 2}]}},
        },
    },
}
OVERRIDE = {
    "apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
    "metadata": {"name": "ov", "namespace": "shop"},
    "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
             "overrideRules": [{"targetCluster": {"fieldSelector": {"matchExpressions": [
                 {"key": "provider", "operator": "In", "values": ["aws"]}]}},
                 "overriders": {"imageOverrider": [{"component": "Registry", "operator": "replace",
                                                    "value": "mirror.example"}],
                                "plaintext": [{"operator": "add", "path": "/metadata/labels/x", "value": "y"}]}}]},
}
FLEET = {
    "apiVersion": "gitfleet.io/v1alpha1", "kind": "Fleet", "metadata": {"name": "f"},
    "spec": {"values": {"a": 1}, "apply": {"prune": True, "drift": "correct", "maxPruneFraction": 0.3,
                                           "ignore": [{"kind": "Deployment", "path": "/spec/replicas"}]}},
}
SAMPLES = [("cluster.json", CLUSTER), ("propagationpolicy.json", PROPAGATION),
           ("overridepolicy.json", OVERRIDE), (schema.FLEET_SCHEMA, FLEET)]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 2**31) | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "x", "NoSchedule", "Pull", "Divided", "/p", "64", "add", "In"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "key", "value", "weight", "extra", "effect", "spec", "x"]), inner, max_size=3),
    max_leaves=6,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out += _paths(value, (*prefix, index))
    return out


def _errors(name: str, doc: Any) -> list[Any]:
    return list(schema.validator(name).iter_errors(doc))


@pytest.mark.parametrize(("name", "doc"), SAMPLES)
def test_valid_samples_take_the_fast_path(name: str, doc: dict[str, Any]) -> None:
    assert not _errors(name, doc)
    assert schema.valid_check(name)(doc)


@pytest.mark.parametrize("value", [0, 1, -1, 2**40, 1.0, 1.5, True, False, None, "", "1", [], {}, Fraction(1, 2)])
def test_types_are_jsonschemas(value: Any) -> None:
    checker = Draft202012Validator.TYPE_CHECKER
    assert {name: check(value) for name, check in TYPES.items()} == {
        name: checker.is_type(value, name) for name in TYPES}


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, len(SAMPLES) - 1), at=st.integers(0, 10**6), value=JSON,
       action=st.sampled_from(["replace", "add", "delete"]))
def test_a_document_the_check_passes_has_no_violation(which: int, at: int, value: Any, action: str) -> None:
    name, sample = SAMPLES[which]
    doc = copy.deepcopy(sample)
    paths = _paths(doc)
    path = paths[at % len(paths)]
    if path:
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        if action == "replace":
            parent[path[-1]] = value
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]]["extra"] = value
        elif isinstance(parent[path[-1]], list):
            parent[path[-1]].append(value)
    if schema.valid_check(name)(doc):
        assert not _errors(name, doc)
