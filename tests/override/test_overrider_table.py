"""The one overrider table (gitfleet.model.overriders) and every stage that reads it:
Karmada's order, the model's fields, the schema, the loader, the admission checks and
the override pipeline."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import gitfleet
from gitfleet.load import load_fleet, validate_files
from gitfleet.model.overriders import API_NAMES, OVERRIDERS
from gitfleet.model.policy import Overriders
from gitfleet.override.apply import STEPS
from gitfleet.override.command_args import apply_args_overriders, apply_command_overriders
from gitfleet.override.field import apply_field_overriders
from gitfleet.override.image import apply_image_overriders
from gitfleet.override.metadata import apply_annotations_overriders, apply_labels_overriders
from gitfleet.override.plaintext import apply_plaintext

# Karmada's applyPolicyOverriders (pkg/util/overridemanager/overridemanager.go), in order,
# with one valid entry of each overrider as a policy writes it.
KARMADA = [
    ("imageOverrider", "image", apply_image_overriders, "{component: Registry, operator: replace, value: r.io}"),
    ("commandOverrider", "command", apply_command_overriders, "{containerName: web, operator: add, value: [x]}"),
    ("argsOverrider", "args", apply_args_overriders, "{containerName: web, operator: add, value: [--y]}"),
    ("labelsOverrider", "labels", apply_labels_overriders, "{operator: add, value: {tier: web}}"),
    ("annotationsOverrider", "annotations", apply_annotations_overriders, "{operator: add, value: {a: b}}"),
    ("fieldOverrider", "field", apply_field_overriders,
     "{fieldPath: /data/c, json: [{subPath: /k, operator: add, value: 1}]}"),
    ("plaintext", "plaintext", apply_plaintext, "{path: /spec/replicas, operator: replace, value: 1}"),
]
IDS = [row[0] for row in KARMADA]

OP = """\
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {{name: o, namespace: shop}}
spec:
  resourceSelectors: [{{apiVersion: apps/v1, kind: Deployment}}]
{rules}"""


def test_the_table_is_karmadas_order() -> None:
    assert [(k.api_name, k.attribute) for k in OVERRIDERS] == [(name, attr) for name, attr, _, _ in KARMADA]
    assert API_NAMES == tuple(IDS)


def test_the_model_has_one_field_per_row_in_the_same_order() -> None:
    assert [f.name for f in dataclasses.fields(Overriders)] == [k.attribute for k in OVERRIDERS]


def test_the_pipeline_runs_each_row_with_its_function() -> None:
    assert STEPS == tuple((name, attr, function) for name, attr, function, _ in KARMADA)


def test_the_schema_knows_exactly_the_table() -> None:
    defs = json.loads((Path(gitfleet.__file__).parent / "schemas" / "defs.json").read_text())
    assert set(defs["$defs"]["overriders"]["properties"]) == set(API_NAMES)


@pytest.mark.parametrize(("api_name", "attribute", "entry"), [(n, a, e) for n, a, _, e in KARMADA], ids=IDS)
def test_the_loader_fills_the_attribute_of_the_row(api_name: str, attribute: str, entry: str) -> None:
    rules = f"  overrideRules:\n    - overriders:\n        {api_name}: [{entry}]\n"
    fleet = load_fleet({"policies/op.yaml": OP.format(rules=rules).encode()})
    (policy,) = fleet.override_policies
    overriders = policy.rules[0].overriders
    filled = {f.name for f in dataclasses.fields(Overriders) if getattr(overriders, f.name)}
    assert filled == {attribute}


@pytest.mark.parametrize(("api_name", "entry"), [(n, e) for n, _, _, e in KARMADA], ids=IDS)
def test_any_overrider_beside_override_rules_is_refused(api_name: str, entry: str) -> None:
    rules = f"  overrideRules: [{{overriders: {{}}}}]\n  overriders:\n    {api_name}: [{entry}]\n"
    problems = validate_files({"policies/op.yaml": OP.format(rules=rules).encode()})
    assert [p.message for p in problems if p.severity == "error"] == [
        "spec.overriders: overrideRules and overriders can't co-exist"]
