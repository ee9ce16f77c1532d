"""One command-line convention in every verb: the same failure gets the same exit code
and wording everywhere, flag combinations that cannot work are usage errors, ``-o`` and
``--format`` are one option, and ``-v`` works on either side of the verb."""

from __future__ import annotations

from pathlib import Path

import pytest
from fleets import CLUSTERS, GOOD
from git.repos import commit, init

from gitfleet.cli.main import main

KEY = "apps/v1/Deployment/shop/web"
VERBS_WITH_REPO = {
    "validate": [], "render": [], "explain": [KEY], "diff": ["--base", "HEAD"], "apply": [], "drift": [],
    "status": [],
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = init(tmp_path / "fleet")
    commit(r, {**CLUSTERS, **GOOD}, "fleet")
    return tmp_path / "fleet"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("verb", sorted(VERBS_WITH_REPO))
def test_a_missing_repo_folder(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, verb, "/nonexistent/fleet", *VERBS_WITH_REPO[verb])
    assert code == 2
    assert f"gitfleet {verb}: fleet repo '/nonexistent/fleet' does not exist" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("verb", "args"), [
    ("validate", ["--rev", "nosuch"]), ("render", ["--rev", "nosuch"]), ("explain", [KEY, "--rev", "nosuch"]),
    ("diff", ["--base", "nosuch"]), ("diff", ["--base", "HEAD", "--head", "nosuch"]),
    ("apply", ["--rev", "nosuch"]), ("drift", ["--rev", "nosuch"]),
])
def test_an_unknown_revision(repo: Path, verb: str, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, verb, str(repo), *args)
    assert code == 2
    assert f"gitfleet {verb}: revision 'nosuch' not found in {repo}" in err


@pytest.mark.parametrize(("verb", "args"), [
    ("render", []), ("explain", [KEY]), ("apply", []), ("drift", []), ("diff", ["--live"]),
])
def test_an_unknown_cluster(repo: Path, verb: str, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, verb, str(repo), *args, "--cluster", "nope")
    assert code == 2
    assert f"gitfleet {verb}: unknown cluster(s): nope; the inventory has a, b" in err


@pytest.mark.parametrize(("verb", "args"), [("apply", []), ("drift", []), ("diff", ["--live"])])
def test_an_explicit_kubeconfig_that_does_not_exist(repo: Path, verb: str, args: list[str],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, verb, str(repo), *args, "--kubeconfig", "/nonexistent/kubeconfig")
    assert code == 2
    assert f"gitfleet {verb}: kubeconfig /nonexistent/kubeconfig: no such file" in err


@pytest.mark.parametrize(("argv", "words"), [
    (["diff", "--live", "-o", "markdown"], "--live prints text or json, not markdown"),
    (["diff", "--live", "--base", "HEAD"], "--live compares the head with the live clusters: drop --base"),
    (["diff"], "--base REV is required"),
    (["diff", "--base", "HEAD", "--cluster", "a"], "go with --live"),
    (["diff", "--base", "HEAD", "--branch", "x"], "--branch goes with --live"),
    (["render", "--push"], "--push needs --commit"),
    (["render", "--branch", "x"], "--branch needs --commit"),
    (["render", "--commit", "-o", "json"], "drop -o"),
    (["render", "--commit", "--cluster", "a"], "always records every cluster"),
    (["apply", "--dry-run", "--push"], "--push needs a recorded run"),
    (["apply", "--no-status", "--branch", "x"], "--no-status records nothing"),
])
def test_flags_that_cannot_work_together(repo: Path, argv: list[str], words: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, argv[0], str(repo), *argv[1:])
    assert code == 2 and out == ""
    assert words in err and f"(see 'gitfleet {argv[0]} --help')" in err


def test_render_o_with_a_folder_points_at_output_dir(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["render", str(repo), "-o", str(tmp_path / "out")])
    assert exit_.value.code == 2
    assert not (tmp_path / "out").exists()


def test_render_o_with_a_folder_says_so(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["render", str(repo), "-o", "out"])
    err = capsys.readouterr().err
    assert "use --output-dir out" in err and err.startswith("usage: gitfleet render")


@pytest.mark.parametrize(("verb", "args", "fmt"), [
    ("render", [], "json"), ("explain", [KEY], "json"), ("validate", [], "json"),
    ("diff", ["--base", "HEAD"], "markdown"), ("status", [], "yaml"),
])
def test_o_and_format_are_one_option(repo: Path, verb: str, args: list[str], fmt: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    outputs = {run(capsys, verb, str(repo), *args, flag, fmt)[1] for flag in ("-o", "--output", "--format")}
    assert len(outputs) == 1 and outputs != {""}


def test_verbose_after_the_verb(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = run(capsys, "-v", "render", str(repo))
    after = run(capsys, "render", str(repo), "-v")
    assert before[0] == after[0] == 0 and before[1] == after[1]


def test_an_unknown_option_shows_the_verbs_usage(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["explain", str(repo), KEY, "--bogus"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.startswith("usage: gitfleet explain") and "unrecognized arguments: --bogus" in err


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_an_invalid_repo_is_reported_in_the_format_asked(tmp_path: Path, fmt: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    r = init(tmp_path / "fleet")
    commit(r, {**CLUSTERS, **GOOD}, "fleet")
    commit(r, {"templates/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: [x]}\n"}, "broken")
    code, out, err = run(capsys, "diff", str(tmp_path / "fleet"), "--base", "HEAD~1", "--head", "HEAD",
                         "-o", fmt)
    assert code == 1
    # Machine and pull-request formats keep the repository's paths; the terminal's start at REPO.
    assert ('"path": "templates/web.yaml"' if fmt == "json" else "templates/web.yaml:3:") in out
    assert f"{tmp_path / 'fleet'}/templates/web.yaml:3:" in err


@pytest.mark.parametrize("now", ["yesterday", "2026-12-04T10:00:00", "2026-13-40T99:00:00Z"])
def test_a_bad_clock_is_a_usage_error(repo: Path, now: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "render", str(repo), "--now", now)
    assert code == 2 and out == "" and f"--now {now!r}" in err and "Traceback" not in err
