"""The three diff formats, checked against golden files.

Set GITFLEET_UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate change,
then review them with ``git diff``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from status.plans import configmap, plan

from diff.cases import CASES
from gitfleet.diff import diff_plans, format_json, format_markdown, format_text
from gitfleet.diff.markdown import MARKER
from tests import golden_files

GOLDEN = Path(__file__).parent / "golden"
FORMATS = {"txt": lambda d: format_text(d), "md": format_markdown, "json": format_json}


def check_golden(name: str, text: str) -> None:
    golden_files.check_golden(GOLDEN / name, text)


@pytest.mark.parametrize("ext", sorted(FORMATS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, ext: str) -> None:
    base, head = CASES[case]
    d = diff_plans(base, head, 0.3, base_label="main", head_label="pr")
    check_golden(f"{case}.{ext}", FORMATS[ext](d))


def test_text_colour_only_when_asked() -> None:
    d = diff_plans(*CASES["replicas"], 0.3)
    assert "\033[" not in format_text(d)
    coloured = format_text(d, color=True)
    assert "\033[32m+  replicas: 6\033[0m" in coloured and "\033[31m-  replicas: 4\033[0m" in coloured


def test_json_is_parseable_and_versioned() -> None:
    out = json.loads(format_json(diff_plans(*CASES["placement-move"], 0.3)))
    assert out["version"] == 1 and out["hasChanges"] is True
    assert out["totals"] == {"removed": 1, "added": 1, "changed": 0, "clusters": 2}


@pytest.mark.parametrize("limit", [2_000, 8_000, 60_000], ids=["2k", "8k", "60k"])
def test_markdown_truncated_under_limit(limit: int) -> None:
    big = {f"m{i:03}": [configmap(f"c{j}", data="x" * 200) for j in range(20)] for i in range(40)}
    d = diff_plans(plan({}), plan(big), 0.3)
    out = format_markdown(d, limit=limit)
    assert len(out) <= limit
    assert out.startswith(MARKER)
    assert "| **total** | **0** | **800** | **0** |" in out
    assert "Truncated to stay under" in out


def test_markdown_not_truncated_when_small() -> None:
    out = format_markdown(diff_plans(*CASES["replicas"], 0.3))
    assert "Truncated" not in out and "<details>" in out
