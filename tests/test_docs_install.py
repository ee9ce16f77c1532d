"""No document tells users to install `gitfleet` from the public package index: that
name there is an unrelated project. Install instructions name a Git URL or a wheel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted(
    p for pattern in ("*.md", "docs/**/*.md", "deploy/**/*", "sample-repo/**/*.md", "sample-repo/.github/**/*.y*ml")
    for p in ROOT.glob(pattern) if p.is_file()
)
# `pip install [options] gitfleet` or `"gitfleet"`/`gitfleet==1.0`, but not `gitfleet @ git+...`.
BARE = re.compile(r"pip3? install(?:\s+-{1,2}[\w-]+)*\s+[\"']?gitfleet(?![\w-]*\s*@)(?:[=<>~!]=?[\w.]*)?[\"']?(?=\s|$|`)")


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("pip install gitfleet", True),
        ("python -m pip install --quiet gitfleet\n", True),
        ("`pip install gitfleet`.", True),
        ("pip install 'gitfleet==0.1.0'", True),
        ('pip install "gitfleet @ git+https://<your git host>/<org>/gitfleet@<tag>"', False),
        ("pip install dist/gitfleet-0.1.0-py3-none-any.whl", False),
        ("pip install -e .", False),
        ('pip install --quiet "$GITFLEET_PACKAGE"', False),
    ],
    ids=["bare", "quiet", "in-code-span", "pinned-from-index", "git-url", "wheel", "editable", "variable"],
)
def test_the_rule(text: str, bare: bool) -> None:
    assert bool(BARE.search(text)) is bare


@pytest.mark.parametrize("path", DOCS, ids=[p.relative_to(ROOT).as_posix() for p in DOCS])
def test_no_document_installs_gitfleet_from_the_index(path: Path) -> None:
    assert not BARE.findall(path.read_text(errors="replace"))
