"""Which files of a fleet repo are read: suffixes, dot-folders, fleet.yaml, excludes."""

from __future__ import annotations

import pytest

from gitfleet.load.discover import is_excluded, select_files

PATHS = [
    "fleet.yaml", "clusters/a.yaml", "clusters/b.yml", "templates/web.yaml.j2", "templates/x.yml.j2",
    "templates/readme.md", "templates/notes.txt.j2", ".github/workflows/ci.yaml", "a/.hidden/x.yaml",
    ".dotfile.yaml", "docs/example.yaml", "docs/deep/er/x.yaml", "nested/fleet.yaml",
]


def test_select_files_by_suffix_skipping_dot_folders_and_fleet_yaml() -> None:
    assert select_files(PATHS) == [
        "clusters/a.yaml", "clusters/b.yml", "docs/deep/er/x.yaml", "docs/example.yaml",
        "nested/fleet.yaml", "templates/web.yaml.j2", "templates/x.yml.j2",
    ]


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("docs/**", "docs/example.yaml", True),
        ("docs/**", "docs/deep/er/x.yaml", True),
        ("docs/**", "docsx/a.yaml", False),
        ("docs", "docs/deep/er/x.yaml", True),  # a folder name excludes what is below it
        ("**/test-*.yaml", "a/b/test-1.yaml", True),
        ("**/test-*.yaml", "test-1.yaml", True),
        ("**/test-*.yaml", "a/b/prod-1.yaml", False),
        ("*.yaml", "top.yaml", True),
        ("*.yaml", "a/nested.yaml", False),  # * stays within one segment
        ("clusters/?.yaml", "clusters/a.yaml", True),
        ("clusters/?.yaml", "clusters/ab.yaml", False),
        ("clusters/[ab].yaml", "clusters/b.yaml", True),
        ("clusters/[!ab].yaml", "clusters/b.yaml", False),
        ("/templates/old/**", "templates/old/x.yaml.j2", True),
        ("templates/**/*.j2", "templates/a/b/c.yaml.j2", True),
        ("templates/**/*.j2", "templates/c.yaml.j2", True),
        ("", "anything.yaml", False),
    ],
)
def test_exclude_globs(pattern: str, path: str, excluded: bool) -> None:
    assert is_excluded(path, [pattern]) is excluded


def test_select_files_applies_excludes() -> None:
    assert select_files(PATHS, ["docs/**", "**/*.yml.j2"]) == [
        "clusters/a.yaml", "clusters/b.yml", "nested/fleet.yaml", "templates/web.yaml.j2",
    ]
