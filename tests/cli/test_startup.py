"""A fresh ``gitfleet`` process imports only what its verb needs: one verb module, and
jsonschema/Jinja2 only once a schema is checked or a ``.j2`` file rendered. Help and
usage errors still know every verb.

The import checks run real processes (``python -c`` / ``python -m gitfleet``): in this
process every module is long imported."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import pygit2
import pytest
from fleets import GOOD
from hypothesis import given
from hypothesis import strategies as st

import gitfleet
from gitfleet.cli.main import COMMANDS, build_parser, verb_module

MakeRepo = Callable[[dict[str, str]], Path]
ROOT = Path(gitfleet.__file__).resolve().parents[1]
VERBS = tuple(name.removeprefix("cmd_") for name in COMMANDS)
# Run gitfleet's entry point as `python -m gitfleet` does, then list what got imported.
PROBE = textwrap.dedent("""
    import json, os, sys
    from gitfleet.cli.main import main
    try:
        code = main()
    except SystemExit as exc:
        code = exc.code
    with open(os.environ["STARTUP_PROBE_OUT"], "w") as out:
        json.dump({"code": code, "modules": sorted(sys.modules)}, out)
""")
HEAVY = ("jsonschema", "referencing", "jinja2", "kubernetes", "apscheduler")
FLEET_YAML = """
    apiVersion: gitfleet.io/v1alpha1
    kind: Fleet
    metadata: {name: startup}
    spec:
      values: {domain: example.com}
"""
J2 = {
    "templates/cm.yaml.j2": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cm, namespace: shop}
        data: {host: "{{ cluster.name }}.{{ values.domain }}"}
    """,
}
PLAIN_ONLY = {
    "templates/cm.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cm, namespace: shop}
        data: {k: v}
    """,
}


def child_env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "COLUMNS": "100", **extra}


def probe(argv: Sequence[str], tmp_path: Path, **env: str) -> tuple[int, set[str], str]:
    """Exit code, imported module names and stderr of ``gitfleet *argv`` in a fresh process."""
    out_file = tmp_path / "probe.json"
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=child_env(STARTUP_PROBE_OUT=str(out_file), **env), check=False)
    assert out_file.exists(), done.stderr
    result = json.loads(out_file.read_text())
    return result["code"], set(result["modules"]), done.stderr


def top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def gitfleet_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gitfleet", *argv], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=child_env(), check=False)


# -- choosing the verb module --------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["render", "repo", "--format", "json"], "cmd_render"),
        (["validate"], "cmd_validate"),
        (["render", "--help"], "cmd_render"),
        (["-v", "validate", "."], "cmd_validate"),
        (["-vv", "render"], "cmd_render"),
        (["-v", "-v", "status"], "cmd_status"),
        (["--verbose", "diff"], "cmd_diff"),
        (["--verb", "explain"], "cmd_explain"),
        ([], None),
        (["--help"], None),
        (["-h", "render"], None),
        (["-vh", "render"], None),
        (["--version", "render"], None),
        (["--ver", "render"], None),
        (["--", "render"], None),
        (["-", "render"], None),
        (["bogus"], None),
        (["cmd_render"], None),
        (["Render"], None),
    ],
    ids=["verb", "verb-alone", "verb-help", "verbose-first", "vv", "v-twice", "verbose-long",
         "verbose-prefix", "nothing", "help", "help-first", "vh-cluster", "version-first",
         "ambiguous-prefix", "double-dash", "stdin-dash", "unknown", "module-name", "case"],
)
def test_verb_module(argv: list[str], expected: str | None) -> None:
    assert verb_module(argv) == expected


@pytest.mark.parametrize("name", COMMANDS, ids=VERBS)
def test_each_command_module_adds_the_verb_named_after_it(name: str) -> None:
    """What verb_module relies on to map a verb to its module without importing all."""
    module = importlib.import_module(f"gitfleet.cli.{name}")
    subparsers = argparse.ArgumentParser().add_subparsers()
    module.add_parser(subparsers)
    assert list(subparsers.choices) == [name.removeprefix("cmd_")]


def parse_outcome(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[Any, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            result: Any = vars(parser.parse_args(argv))
            # Each parser has its own handler closures: compare which function they are.
            if callable(result.get("func")):
                result["func"] = (result["func"].__module__, result["func"].__qualname__)
        except SystemExit as exc:
            result = ("exit", exc.code)
    return result, out.getvalue(), err.getvalue()


TOKENS = st.sampled_from([
    *VERBS, "bogus", "-v", "-vv", "--verbose", "--verb", "--ver", "--version", "-h", "--help", "-vh",
    "--", "-", ".", "--format", "json", "--rev", "HEAD", "--cluster", "a", "-q", "--commit", "--bogus",
])


@given(st.lists(TOKENS, max_size=5))
def test_one_verb_parser_parses_as_the_full_parser(argv: list[str]) -> None:
    """Whatever the command line, registering only the verb it names changes nothing:
    same namespace, or same exit code and the same help or error text."""
    with mock.patch.dict(os.environ, {"COLUMNS": "100"}):  # argparse wraps help to the terminal
        assert parse_outcome(build_parser(argv), argv) == parse_outcome(build_parser(), argv)


# -- help and usage errors still list every verb --------------------------------


def test_help_lists_every_verb_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    done = gitfleet_cli("--help")
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("COLUMNS", "100")
    assert done.stdout == build_parser().format_help()
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("    ")
              and line.split()[0] in VERBS]
    assert listed == list(VERBS)


@pytest.mark.parametrize("argv", [["bogus"], ["-v", "bogus"], ["cmd_render"]], ids=["bare", "verbose", "module"])
def test_an_unknown_verb_lists_every_choice(argv: list[str]) -> None:
    done = gitfleet_cli(*argv)
    assert done.returncode == 2
    assert f"invalid choice: {argv[-1]!r}" in done.stderr
    choices = done.stderr.split("choose from", 1)[1]
    assert [verb for verb in VERBS if repr(verb) in choices] == list(VERBS)


# -- what a fresh process imports ------------------------------------------------


OTHER_VERBS = {f"gitfleet.cli.{name}" for name in COMMANDS}


@pytest.mark.parametrize(
    ("verb", "files", "absent", "present"),
    [
        # Valid documents pass the compiled schema check (gitfleet.load.schema_check):
        # jsonschema is imported only for a document that may have errors.
        ("render", {"fleet.yaml": FLEET_YAML, **GOOD},
         {"jinja2", "difflib", "kubernetes", "apscheduler", "gitfleet.kube", "jsonschema"}, set()),
        ("render", {"fleet.yaml": FLEET_YAML, **GOOD, **J2}, {"kubernetes", "apscheduler", "jsonschema"},
         {"jinja2"}),
        ("validate", {"fleet.yaml": FLEET_YAML, **GOOD}, {"jinja2", "kubernetes", "apscheduler", "jsonschema"},
         set()),
        ("explain", {"fleet.yaml": FLEET_YAML, **GOOD}, {"jinja2", "kubernetes", "pygit2", "jsonschema"}, set()),
    ],
    ids=["render-plain", "render-j2", "validate-plain", "explain-plain"],
)
def test_a_verb_imports_only_what_it_uses(make_repo: MakeRepo, tmp_path: Path, verb: str, files: dict[str, str],
                                          absent: set[str], present: set[str]) -> None:
    """Clusters, policies and fleet.yaml are schema-checked on every load, by a compiled
    check that needs jsonschema only for a document that may be invalid; Jinja2 only with a
    .j2 file; no other verb's module."""
    repo = make_repo(files)
    argv = [verb, str(repo)] + (["apps/v1/Deployment/shop/web"] if verb == "explain" else [])
    code, modules, stderr = probe(argv, tmp_path)
    assert code == 0, stderr
    loaded = modules | top_level(modules)
    assert loaded & absent == set()
    assert present <= loaded
    assert modules & OTHER_VERBS == {f"gitfleet.cli.cmd_{verb}"}


def test_a_folder_without_a_fleet_repo_stops_before_any_schema(make_repo: MakeRepo, tmp_path: Path) -> None:
    code, modules, stderr = probe(["validate", str(make_repo(PLAIN_ONLY))], tmp_path)
    assert code == 1 and "no fleet repo in" in stderr
    assert (modules | top_level(modules)) & {"jsonschema", "referencing", "jinja2"} == set()


@pytest.mark.parametrize(
    ("verb", "absent"),
    [
        # gitfleet.apply.statusfile needs gitfleet.load.yamlio only, not the loader.
        ("status", {"gitfleet.load.loader", "gitfleet.plan.build"}),
        ("clusters", {"gitfleet.load.loader", "gitfleet.plan.build"}),
        ("run", {"gitfleet.load.loader", "gitfleet.plan.build"}),
    ],
    ids=["status", "clusters", "run"],
)
def test_verbs_that_plan_nothing_start_without_the_planner(tmp_path: Path, verb: str, absent: set[str]) -> None:
    code, modules, stderr = probe([verb, "--help"], tmp_path)
    assert code == 0, stderr
    assert modules & absent == set()
    assert modules & OTHER_VERBS == {f"gitfleet.cli.cmd_{verb}"}
    assert top_level(modules) & set(HEAVY) == set()


def test_help_and_unknown_verbs_import_every_verb(tmp_path: Path) -> None:
    for argv in (["--help"], ["bogus"]):
        _, modules, _ = probe(argv, tmp_path)
        assert OTHER_VERBS <= modules


# -- render --commit -------------------------------------------------------------


def git_commit(repo: pygit2.Repository, message: str) -> None:
    repo.index.add_all()
    repo.index.write()
    sig = pygit2.Signature("test", "test@example.com")
    parents = [] if repo.head_is_unborn else [repo.head.target]
    repo.create_commit("HEAD", sig, sig, message, repo.index.write_tree(), parents)


@pytest.mark.git
def test_an_incremental_render_commit_checks_no_schema_and_renders_no_template(
        make_repo: MakeRepo, tmp_path: Path) -> None:
    """The re-render of a changed plain template loads that file only: fleet.yaml, the
    inventory, the policies and the .j2 file are not loaded again."""
    root = make_repo({"fleet.yaml": FLEET_YAML, **GOOD, **J2})
    repo = pygit2.init_repository(str(root))
    git_commit(repo, "fleet")
    cache = str(tmp_path / "cache")
    code, modules, stderr = probe(["-v", "render", str(root), "--commit"], tmp_path, GITFLEET_CACHE=cache)
    assert (code, "full render" in stderr) == (0, True), stderr
    assert "jinja2" in top_level(modules)

    web = root / "templates/web.yaml"
    web.write_text(web.read_text().replace("nginx:1.25", "nginx:1.26"))
    git_commit(repo, "web 1.26")
    code, modules, stderr = probe(["-v", "render", str(root), "--commit"], tmp_path, GITFLEET_CACHE=cache)
    assert (code, "incremental render" in stderr) == (0, True), stderr
    assert top_level(modules) & {*HEAVY, "difflib"} == set()


def fingerprint_probe(package_parent: Path) -> tuple[str, bool]:
    code = ("import sys\nfrom gitfleet.service.memory import tool_fingerprint\n"
            "print(tool_fingerprint(), 'jinja2' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=package_parent, env={**os.environ, "PYTHONPATH": str(package_parent)}, check=True)
    value, jinja = done.stdout.split()
    return value, jinja == "True"


@pytest.mark.parametrize(
    ("change", "changes_fingerprint"),
    [
        (None, False),
        (lambda pkg: (pkg / "model/keys.py").write_text((pkg / "model/keys.py").read_text() + "# edit\n"), True),
        (lambda pkg: (pkg / "load/new_module.py").write_text('"""new."""\n'), True),
        (lambda pkg: (pkg / "model/__pycache__").mkdir(exist_ok=True) or
         (pkg / "model/__pycache__/x.cpython-311.pyc").write_bytes(b"stale"), False),
    ],
    ids=["nothing", "edited-module", "added-module", "bytecode-cache"],
)
def test_tool_fingerprint_follows_gitfleet_code_without_importing_jinja2(
        tmp_path: Path, change: Callable[[Path], object] | None, changes_fingerprint: bool) -> None:
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "gitfleet", copy / "gitfleet", ignore=shutil.ignore_patterns("__pycache__"))
    before, jinja_imported = fingerprint_probe(copy)
    assert not jinja_imported
    if change is not None:
        change(copy / "gitfleet")
    after, _ = fingerprint_probe(copy)
    assert (after != before) == changes_fingerprint


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ('__version__ = "3.1.6"\n', '__version__ = "3.1.6"\n', True),
        ('__version__ = "3.1.6"\n', '__version__ = "3.1.7"\n', False),
        ("x = 1\n", "x = 22\n", False),
    ],
    ids=["same-version", "other-version", "no-version-line-other-size"],
)
def test_tool_fingerprint_follows_the_installed_jinja2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, second: str, same: bool) -> None:
    import importlib.machinery
    import importlib.util

    from gitfleet.service.memory import tool_fingerprint

    init = tmp_path / "jinja2" / "__init__.py"
    init.parent.mkdir()
    real_find_spec = importlib.util.find_spec

    def fake_find_spec(name: str, package: str | None = None) -> importlib.machinery.ModuleSpec | None:
        if name == "jinja2":
            return importlib.machinery.ModuleSpec("jinja2", None, origin=str(init))
        return real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", fake_find_spec)
    init.write_text(first)
    before = tool_fingerprint()
    init.write_text(second)
    assert (tool_fingerprint() == before) == same
