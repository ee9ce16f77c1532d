"""sample-repo/ rendered, compared with the checked-in output byte for byte.

The expected files were checked by hand against the arithmetic in
sample-repo/README.md. Regenerate after an intended change with
``GITFLEET_UPDATE_GOLDEN=1 pytest tests/golden`` and review the diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitfleet.cli.main import main
from tests.golden_files import check_golden

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample-repo"
HERE = Path(__file__).parent

CASES = [
    ("sample-repo.render.json", ["render", str(SAMPLE), "--format", "json"]),
    ("sample-repo.render.yaml", ["render", str(SAMPLE)]),
    ("sample-repo.explain-api.txt", ["explain", str(SAMPLE), "apps/v1/Deployment/shop/api"]),
    ("sample-repo.explain-web.txt", ["explain", str(SAMPLE), "apps/v1/Deployment/shop/web"]),
    ("sample-repo.validate.txt", ["validate", str(SAMPLE)]),
    # One output convention: -o FORMAT in every verb (--format above is its synonym).
    ("sample-repo.render.json", ["render", str(SAMPLE), "-o", "json"]),
    ("sample-repo.explain-web.json", ["explain", str(SAMPLE), "apps/v1/Deployment/shop/web", "-o", "json"]),
    ("sample-repo.validate.json", ["validate", str(SAMPLE), "--output", "json"]),
]


@pytest.mark.parametrize(("golden", "argv"), CASES, ids=[f"{c[0]}:{' '.join(c[1][2:])}" for c in CASES])
def test_sample_repo_output_matches_golden(
    golden: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    check_golden(HERE / golden, capsys.readouterr().out)


def test_render_output_dir_matches_yaml_stream(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-o DIR holds the same manifests as the stdout stream, one file each."""
    assert main(["render", str(SAMPLE), "--output-dir", str(tmp_path / "out")]) == 0
    files = [p for p in (tmp_path / "out" / "clusters").rglob("*.yaml")]
    stream = (HERE / "sample-repo.render.yaml").read_text()
    assert len(files) == stream.count("\n# resource: ")
