"""The JSON Schemas in policies-schema/: well-formed draft 2020-12, found through the
installed package path, and mapped to path:line:col problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from gitfleet.load import schema
from gitfleet.load.report import Reporter
from gitfleet.load.yamlio import parse_documents

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "policies-schema"
FILES = sorted(p.name for p in SCHEMA_DIR.glob("*.json"))


# run-config.json describes `gitfleet run --config`, read by gitfleet.reconcile, not the loader.
OTHER_SCHEMAS = {"run-config.json", "agent-config.json"}


def test_every_schema_file_is_known_to_the_loader() -> None:
    assert set(FILES) - OTHER_SCHEMAS == {"defs.json", schema.FLEET_SCHEMA, *schema.KIND_SCHEMAS.values()}


@pytest.mark.parametrize("name", FILES)
def test_schema_files_are_valid_draft_2020_12(name: str) -> None:
    doc = json.loads((SCHEMA_DIR / name).read_text())
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == schema.SCHEMA_BASE + name


def test_package_schemas_are_the_policies_schema_files() -> None:
    packaged = Path(schema.__file__).resolve().parents[1] / "schemas"
    for name in FILES:
        assert (packaged / name).read_bytes() == (SCHEMA_DIR / name).read_bytes()


@pytest.mark.parametrize("name", [*schema.KIND_SCHEMAS.values(), schema.FLEET_SCHEMA])
def test_every_reference_resolves(name: str) -> None:
    # A full document touching most definitions would be long; an empty object makes the
    # validator resolve the top-level refs, and check_schema above covers the rest.
    list(schema.validator(name).iter_errors({}))


def problems_of(text: str, name: str) -> list[str]:
    doc = parse_documents(text, "x.yaml")[0]
    report = Reporter("x.yaml", doc.locator)
    schema.validate(doc.data, name, report)
    return [str(p) for p in report.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: m, labels: {on: yes}}\n",
         ["x.yaml:3:30: metadata.labels.true: must be of type string, not boolean (True)"]),
        ("apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: m}\nspec: {zones: a}\n",
         ["x.yaml:4:8: spec.zones: must be of type array, not string ('a')"]),
        ("apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\n",
         ["x.yaml:1:1: 'metadata' is required"]),
        ("apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: m}\nextra: 1\n",
         ["x.yaml:4:1: extra: unknown field (known fields here: apiVersion, kind, metadata, spec, status)"]),
        ("apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nspec:\n  apply:\n    maxPruneFraction: 2\n",
         ["x.yaml:5:5: spec.apply.maxPruneFraction: 2 is greater than the maximum of 1"]),
        ("apiVersion: gitfleet.io/v1\nkind: Fleet\n",
         ["x.yaml:1:1: apiVersion: must be 'gitfleet.io/v1alpha1', not 'gitfleet.io/v1'"]),
    ],
    ids=["yaml11-label-value", "type", "required", "unknown-top-level", "maximum", "const"],
)
def test_schema_problems_with_positions(text: str, expected: list[str]) -> None:
    name = schema.FLEET_SCHEMA if "Fleet" in text else "cluster.json"
    assert problems_of(text, name) == expected
