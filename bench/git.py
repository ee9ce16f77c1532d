"""Git benchmark (issue 3): recording renders on the status branch and diffing two
commits, on the synthetic fleet of ``bench/render.py`` inside a real Git repository.

    python bench/git.py [--clusters 200] [--templates 50] [--repeat 3] [--out FILE]

Every CLI figure is the wall time of a fresh ``python -m gitfleet ...`` process (the path
a user or CI job runs), median over ``--repeat`` runs; one JSON object is printed:

- ``cold_render_commit_s``: ``render REPO --rev C1 --commit`` with no status branch and
  an empty render cache (``GITFLEET_CACHE`` points at a fresh folder each run): read,
  load, plan, dump and hash every manifest, write every blob, commit;
- ``rerender_commit_cli_s``: then ``render REPO --rev C2 --commit``, where C2 changes one
  template (an image tag) of C1: the incremental path (plans the changed template and
  the dependencies it carries, reuses every other blob of the previous status commit).
  ``rerender_modes`` says per run whether it was incremental; a full render (e.g. the
  gitfleet sources changed under the run) is reported, not hidden;
- ``reconciler``: the same step where gitfleet runs for good, ``gitfleet run`` (a child
  process following a Pull-mode copy of the fleet; see :func:`measure_reconciler`):
  ``rerender_commit_s`` is the median cycle after a commit changing one template
  (resolve, re-render from the plan kept in memory, commit only the changed files),
  with the cold first cycle and the time from commit to status branch for context;
- ``rerender_breakdown_s``: where the re-render's time goes, from an instrumented child
  doing the same step: interpreter start, imports (the CLI parser for the render verb),
  ``render_for_status`` (read + incremental plan) and ``record_render`` (commit + cache);
- ``startup_s``: ``python -c pass``, ``import pygit2, yaml`` (the least any process that
  reads Git and YAML pays), importing the whole CLI, and importing only what
  ``render --commit`` needs, so the import share of the budget is visible;
- ``diff_s``: ``diff REPO --base C2 --head C3 --format json`` where C3 changes one
  OverridePolicy, next to ``render_s`` (``render --rev C3 --output-dir DIR``, a cold render) and
  ``render_json_s``;
- ``budgets``: re-render + commit under 1.5 s (CLI and reconciler), at least 10x faster
  than the cold ``render --commit`` (the reconciler's re-render: a fresh CLI process
  spends ~0.2 s on Python and pygit2/PyYAML imports before any work, see
  ``startup_s``, so through the CLI the ratio is reported, ``cold_over_rerender_cli``,
  but the floor of a new process bounds it); diff under 2x one cold render.

Children run a copy of gitfleet's sources taken at the start (this checkout is edited
by several people at once, and any edit to gitfleet's code rightly forces a full
render). They get a bytecode cache in the work folder (``PYTHONPYCACHEPREFIX``, filled
before timing), as an installed gitfleet has; ``--no-bytecode-cache`` keeps the calling
environment instead (with ``PYTHONDONTWRITEBYTECODE=1`` every process compiles gitfleet
from source, ~0.3 s more per run). The machine is shared: ``loadavg`` is printed.

Exit code 0 when every budget passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    FRESH_ARGS,
    FRESH_NOW,
    MODES,
    REPO_ROOT,
    budget,
    median,
    memory_budget,
    memory_vs_fresh,
    orders,
    python_env,
    run_child,
    status_tree_size,
)
from render import generate_fleet

BUDGET_RECOMMIT_S = 1.5
BUDGET_RECOMMIT_SPEEDUP = 10.0
BUDGET_DIFF_OVER_RENDER = 2.0
SIG = pygit2.Signature("bench", "bench@example.com")
STATUS_BRANCH = "gitfleet/status"
INCREMENTAL_LINE = "incremental render: planned"

# The re-render step, instrumented: where a CLI run's time goes.
_BREAKDOWN_WORKER = r"""
import json, sys, time
t0 = time.perf_counter()
from gitfleet.cli.main import build_parser
build_parser(["render"])  # what `python -m gitfleet render` does before dispatching
t1 = time.perf_counter()
from gitfleet.service.memory import DiskMemory
from gitfleet.service.planning import render_for_status
from gitfleet.service.recording import record_render
from gitfleet.service.source import read_repo
fresh = sys.argv[3] == "fresh"
prepared = render_for_status(read_repo(sys.argv[1], sys.argv[2]), None, DiskMemory(), fresh=fresh,
                             now=sys.argv[4] if fresh else None)
t2 = time.perf_counter()
sha = record_render(prepared, False, DiskMemory())
t3 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "prepare_s": t2 - t1, "finish_s": t3 - t2,
                  "incremental": prepared.incremental, "reason": prepared.reason,
                  "replanned": len(prepared.replanned), "committed": sha is not None}))
"""

_RENDER_COMMIT_IMPORTS = (
    "import gitfleet.cli.cmd_render, gitfleet.service.planning, gitfleet.service.recording, "
    "gitfleet.git.statusbranch"
)


def _commit_all(repo: pygit2.Repository, message: str) -> str:
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    parents = [] if repo.head_is_unborn else [repo.head.target]
    return str(repo.create_commit("HEAD", SIG, SIG, message, tree, parents))


def _change_one_template(fleet: Path) -> str:
    """Bump the image tag of the first Deployment template; its path."""
    path = min((fleet / "templates").glob("*-deployment.yaml"))
    doc = yaml.safe_load(path.read_text())
    container = doc["spec"]["template"]["spec"]["containers"][0]
    container["image"] = container["image"].rsplit(":", 1)[0] + ":2.0.0"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path.relative_to(fleet).as_posix()


def _change_one_override(fleet: Path) -> str:
    """Change the registry one rule of the first OverridePolicy substitutes."""
    path = fleet / "policies" / "overrides.yaml"
    docs = list(yaml.safe_load_all(path.read_text()))
    first = docs[0]
    first["spec"]["overrideRules"][0]["overriders"]["imageOverrider"][0]["value"] = "mirror.changed.bench.example"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return f"{path.relative_to(fleet).as_posix()} ({first['metadata']['name']})"


class Runner:
    """Child Pythons with one environment: a snapshot of gitfleet's sources taken when the
    run starts (other people's edits to the checkout mid-run would change gitfleet's
    fingerprint and turn a re-render into a full one), a render cache, and (unless told
    otherwise) a warm bytecode cache in the work folder."""

    def __init__(self, work: Path, bytecode_cache: bool) -> None:
        self.src = work / "src"
        shutil.rmtree(self.src, ignore_errors=True)
        shutil.copytree(REPO_ROOT / "gitfleet", self.src / "gitfleet",
                        ignore=shutil.ignore_patterns("__pycache__"))
        self.env = python_env()
        self.env["PYTHONPATH"] = str(self.src)
        self.cache = work / "gitfleet-cache"
        self.env["GITFLEET_CACHE"] = str(self.cache)
        if bytecode_cache:
            self.env.pop("PYTHONDONTWRITEBYTECODE", None)
            self.env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
            self.python("-m", "compileall", "-q", str(self.src / "gitfleet"))

    def python(self, *args: str) -> Any:
        run = run_child([sys.executable, *args], cwd=self.src, env=self.env)
        if run.returncode != 0:
            raise RuntimeError(f"python {' '.join(args)} failed ({run.returncode}):\n{run.stderr[-3000:]}")
        return run

    def gitfleet(self, *args: str) -> Any:
        return self.python("-m", "gitfleet", *args)

    def empty_cache(self) -> None:
        shutil.rmtree(self.cache, ignore_errors=True)


# `gitfleet run` has no --fresh: its baseline runs the CLI with every read of the status
# branch's memory made as --fresh --now FRESH_NOW makes it (no state, a fixed clock: see
# common.FRESH_ARGS), the rest untouched.
_FRESH_RUN = rf"""
import sys
import gitfleet.service.recall as recall
FRESH_NOW = {FRESH_NOW!r}
_read = recall.read_memory
def _fresh(source, branch, *, fresh=False, now=None):
    return _read(source, branch, fresh=True, now=now or FRESH_NOW)
recall.read_memory = _fresh
from gitfleet.cli.main import main
raise SystemExit(main())
"""

_LOGFMT_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')
RECONCILER_INTERVAL_S = 0.5
RECONCILER_TIMEOUT_S = 300.0


class ReconcilerChild:
    """``gitfleet run`` in a child process, its ``event=cycle`` log lines collected as
    they come."""

    def __init__(self, runner: Runner, config: Path, fresh: bool = False) -> None:
        self.cycles: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._tail: list[str] = []
        start = ["-c", _FRESH_RUN] if fresh else ["-m", "gitfleet"]
        self.proc = subprocess.Popen([sys.executable, *start, "run", "--config", str(config)],
                                     cwd=runner.src, env=runner.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            fields = {k: json.loads(v) if v.startswith('"') else v for k, v in _LOGFMT_FIELD.findall(line)}
            with self._lock:
                self._tail = (self._tail + [line])[-20:]
                if fields.get("event") == "cycle":
                    self.cycles.append({**fields, "arrived": time.perf_counter()})

    def wait_for(self, revision: str) -> dict[str, Any]:
        """The first cycle that handled ``revision`` (a full SHA)."""
        deadline = time.monotonic() + RECONCILER_TIMEOUT_S
        while time.monotonic() < deadline:
            with self._lock:
                for cycle in self.cycles:
                    if cycle.get("revision") == revision[:12] and cycle.get("outcome") != "unchanged":
                        return cycle
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        with self._lock:
            tail = "".join(self._tail)
        raise RuntimeError(f"gitfleet run did not handle {revision[:12]} (exit {self.proc.poll()}):\n{tail}")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _bump_image(path: Path, tag: str) -> None:
    doc = yaml.safe_load(path.read_text())
    container = doc["spec"]["template"]["spec"]["containers"][0]
    container["image"] = container["image"].rsplit(":", 1)[0] + f":{tag}"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


@dataclass
class _Followed:
    """One Pull-mode copy of the fleet and the ``gitfleet run`` child following it."""

    repo: pygit2.Repository
    template: Path
    child: ReconcilerChild | None = None
    cold: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)


def _pull_copy(fleet: Path, work: Path, mode: str) -> tuple[pygit2.Repository, Path, Path, str]:
    """A copy of ``fleet`` with every cluster in Pull mode, in Git: its repository, the
    template to bump, the ``gitfleet run`` config and the first commit."""
    copy = work / f"fleet-pull-{mode}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(fleet, copy, ignore=shutil.ignore_patterns(".git"))
    for path in (copy / "clusters").glob("*.yaml"):
        path.write_text(path.read_text().replace("syncMode: Push", "syncMode: Pull"))
    repo = pygit2.init_repository(str(copy), initial_head="main")
    first = _commit_all(repo, "fleet, every cluster in Pull mode")
    config = work / f"run-{mode}.yaml"
    config.write_text(yaml.safe_dump({"repo": str(copy), "interval": RECONCILER_INTERVAL_S,
                                      "listen": "127.0.0.1:0"}))
    return repo, min((copy / "templates").glob("*-deployment.yaml")), config, first


def _summary(cold: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    phases = sorted({k[:-2] for s in steps for k in s if k.endswith("_s") and k != "commit_to_status_s"})
    return {
        "cold_cycle_s": float(cold["seconds"]),
        "cold_render": cold.get("render"),
        "rerender_commit_s": median([float(s["seconds"]) for s in steps]),
        "renders": [s.get("render") for s in steps],
        "phases_s": {p: median([float(s.get(f"{p}_s", 0)) for s in steps]) for p in phases},
        "commit_to_status_s": median([s["commit_to_status_s"] for s in steps]),
        "runs_s": [round(float(s["seconds"]), 3) for s in steps],
    }


def measure_reconciler(fleet: Path, work: Path, runner: Runner, repeat: int) -> dict[str, Any]:
    """``gitfleet run`` following a copy of the fleet whose clusters are all Pull-mode
    (their agents apply what the status branch holds; applying is bench/apply.py's
    subject): its first cycle renders in full, then each commit changing one template's
    image is re-rendered from the plan in memory and committed. ``cycle_s`` is the
    cycle's own figure from its log line (resolve, render, record);
    ``commit_to_status_s`` is from the commit to the log line, so it includes up to one
    polling interval.

    Two children run side by side, one scheduling with the memory the status branch
    records (the figures at the top level) and one as ``--fresh`` (``fresh``), each on
    its own copy; their cold cycles run one after the other, and each round of commits
    alternates which child goes first, the other one idling (polling) meanwhile."""
    followed: dict[str, _Followed] = {}
    try:
        for mode in MODES:
            repo, template, config, first = _pull_copy(fleet, work, mode)
            followed[mode] = _Followed(repo, template, ReconcilerChild(runner, config, mode == "fresh"))
            followed[mode].cold = followed[mode].child.wait_for(first)  # type: ignore[union-attr]
        for i, order in enumerate(orders(repeat)):
            for mode in order:
                f = followed[mode]
                assert f.child is not None
                _bump_image(f.template, f"3.0.{i}")
                sha = _commit_all(f.repo, f"bump {f.template.name}")
                committed = time.perf_counter()
                cycle = f.child.wait_for(sha)
                tip = f.repo.revparse_single(STATUS_BRANCH).peel(pygit2.Commit)
                if f"Gitfleet-Source: {sha}" not in tip.message:
                    raise RuntimeError(f"the status branch does not record {sha[:12]} after its cycle ({mode})")
                f.steps.append({**cycle, "commit_to_status_s": cycle["arrived"] - committed})
    finally:
        for f in followed.values():
            if f.child is not None:
                f.child.stop()
    memory, fresh = (_summary(followed[m].cold, followed[m].steps) for m in MODES)
    return {
        "fleet": "the bench fleet with every cluster in Pull mode",
        "interval_s": RECONCILER_INTERVAL_S,
        **memory,
        "fresh": fresh,
        "memory_vs_fresh": {
            "rerender_commit_s": memory_vs_fresh([float(s["seconds"]) for s in followed["memory"].steps],
                                                 [float(s["seconds"]) for s in followed["fresh"].steps]),
            "cold_cycle_s": memory_vs_fresh([memory["cold_cycle_s"]], [fresh["cold_cycle_s"]]),
        },
    }


def _delete_branch(repo: pygit2.Repository, branch: str) -> None:
    ref = repo.references.get(f"refs/heads/{branch}")
    if ref is not None:
        ref.delete()


def _walk(repo: pygit2.Repository, tree: pygit2.Tree) -> Any:
    for entry in tree:
        if entry.type_str == "tree":
            yield from _walk(repo, repo[entry.id])
        else:
            yield entry


def _render_part(repo: pygit2.Repository, ref: str) -> tuple[str, str]:
    tree = repo.revparse_single(ref).peel(pygit2.Tree)
    return str(tree["placements.yaml"].id), str(tree["clusters"].id)


@dataclass
class _Figures:
    """The CLI figures of one way of scheduling (with memory, or ``--fresh``), per run."""

    cold: list[float] = field(default_factory=list)
    recommit: list[float] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    breakdowns: list[dict[str, Any]] = field(default_factory=list)
    renders: list[float] = field(default_factory=list)
    renders_json: list[float] = field(default_factory=list)
    diffs: list[float] = field(default_factory=list)
    rerendered: tuple[str, str] | None = None  # the last re-render's placements and clusters


def _one_pass(args: argparse.Namespace, runner: Runner, repo: pygit2.Repository, fleet: Path, work: Path,
              commits: tuple[str, str, str], mode: str, interpreter_s: float, out: _Figures) -> None:
    """One run of every CLI figure, scheduling with the memory the status branch records
    (``memory``: a re-render runs with the state the previous render recorded) or
    without (``fresh``: ``--fresh``, every render before issue 10)."""
    c1, c2, c3 = commits
    flag = list(FRESH_ARGS) if mode == "fresh" else []
    _delete_branch(repo, STATUS_BRANCH)
    runner.empty_cache()
    out.cold.append(runner.gitfleet("-v", "render", str(fleet), "--rev", c1, "--commit", *flag).seconds)
    run = runner.gitfleet("-v", "render", str(fleet), "--rev", c2, "--commit", *flag)
    out.recommit.append(run.seconds)
    out.modes.append("incremental" if INCREMENTAL_LINE in run.stderr else "full")
    out.rerendered = _render_part(repo, STATUS_BRANCH)

    # The same step again, instrumented, from the same start: the status branch back
    # at C1's render (whose record is still cached).
    ref = repo.references.get(f"refs/heads/{STATUS_BRANCH}")
    ref.set_target(repo.revparse_single(STATUS_BRANCH).peel(pygit2.Commit).parents[0].id)
    run = runner.python("-c", _BREAKDOWN_WORKER, str(fleet), c2, mode, FRESH_NOW)
    info = json.loads(run.stdout.strip().splitlines()[-1])
    info["interpreter_s"] = interpreter_s
    info["total_s"] = run.seconds
    out.breakdowns.append(info)

    if not args.skip_diff:
        out.renders.append(runner.gitfleet("render", str(fleet), "--rev", c3, "--output-dir", str(work / "out"),
                                           *flag).seconds)
        out.renders_json.append(runner.gitfleet("render", str(fleet), "--rev", c3, "--format", "json",
                                                *flag).seconds)
        out.diffs.append(runner.gitfleet("diff", str(fleet), "--base", c2, "--head", c3, "--format", "json",
                                         *flag).seconds)


def _breakdown(figures: _Figures) -> dict[str, Any]:
    mid = sorted(figures.breakdowns, key=lambda b: b["total_s"])[len(figures.breakdowns) // 2]
    return {
        "interpreter": round(mid["interpreter_s"], 3),
        "imports_and_parser": round(mid["imports_s"], 3),
        "prepare_read_and_plan": round(mid["prepare_s"], 3),
        "finish_commit_and_cache": round(mid["finish_s"], 3),
        "total_wall": round(mid["total_s"], 3),
        "incremental": mid["incremental"],
        "templates_replanned": mid["replanned"],
        "reason_if_full": mid["reason"] if not mid["incremental"] else None,
    }


def _cli_figures(args: argparse.Namespace, figures: _Figures) -> dict[str, Any]:
    out: dict[str, Any] = {
        "cold_render_commit_s": median(figures.cold),
        "rerender_commit_cli_s": median(figures.recommit),
        "rerender_modes": figures.modes,
    }
    if not args.skip_diff:
        out.update({"render_s": median(figures.renders), "render_json_s": median(figures.renders_json),
                    "diff_s": median(figures.diffs)})
    return out


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    fleet = work / "fleet"
    generate_fleet(fleet, args.clusters, args.templates, args.policies, args.overrides)
    repo = pygit2.init_repository(str(fleet), initial_head="main")
    c1 = _commit_all(repo, "fleet")
    template = _change_one_template(fleet)
    c2 = _commit_all(repo, "change one template")
    override = _change_one_override(fleet)
    c3 = _commit_all(repo, "change one override policy")
    runner = Runner(work, not args.no_bytecode_cache)
    load_before = os.getloadavg()

    figures = {mode: _Figures() for mode in MODES}
    startup: dict[str, list[float]] = {"python": [], "pygit2_and_yaml": [], "cli_all_verbs": [],
                                       "render_commit_modules": []}
    for order in orders(args.repeat):
        t0 = runner.python("-c", "pass").seconds
        for mode in order:
            _one_pass(args, runner, repo, fleet, work, (c1, c2, c3), mode, t0, figures[mode])
        startup["python"].append(t0)
        startup["pygit2_and_yaml"].append(runner.python("-c", "import pygit2, yaml").seconds)
        startup["cli_all_verbs"].append(
            runner.python("-c", "from gitfleet.cli.main import build_parser; build_parser()").seconds)
        startup["render_commit_modules"].append(runner.python("-c", _RENDER_COMMIT_IMPORTS).seconds)

    # The incremental commit must hold what a full render commits, blob for blob (with
    # memory and without: this fleet has nothing that reschedules).
    runner.empty_cache()
    _delete_branch(repo, "bench/full")
    runner.gitfleet("render", str(fleet), "--rev", c2, "--commit", "--branch", "bench/full")
    full = _render_part(repo, "bench/full")
    identical = {mode: figures[mode].rerendered == full for mode in MODES}
    files = sum(1 for _ in _walk(repo, repo.revparse_single("bench/full").peel(pygit2.Tree)))

    reconciler = None if args.skip_reconciler else measure_reconciler(fleet, work, runner, args.repeat)

    memory, fresh = figures["memory"], figures["fresh"]
    cold_s, recommit_s = median(memory.cold), median(memory.recommit)
    speedup = round(cold_s / recommit_s, 2)
    result: dict[str, Any] = {
        "fleet": {"clusters": args.clusters, "templates": args.templates, "policies": args.policies,
                  "overrides": args.overrides, "status_files": files},
        "changed_template": template,
        "changed_override": override,
        "bytecode_cache": not args.no_bytecode_cache,
        **_cli_figures(args, memory),
        "rerender_identical_to_full_render": identical["memory"],
        "cold_over_rerender_cli": speedup,
        "rerender_breakdown_s": _breakdown(memory),
        "fresh": {**_cli_figures(args, fresh), "rerender_identical_to_full_render": identical["fresh"],
                  "rerender_breakdown_s": _breakdown(fresh)},
        "memory_vs_fresh": {
            "cold_render_commit_s": memory_vs_fresh(memory.cold, fresh.cold),
            "rerender_commit_cli_s": memory_vs_fresh(memory.recommit, fresh.recommit),
            "rerender_prepare_read_and_plan_s": memory_vs_fresh([b["prepare_s"] for b in memory.breakdowns],
                                                                [b["prepare_s"] for b in fresh.breakdowns]),
        },
        "status_tree_size": status_tree_size(fleet, "bench/full"),
        "startup_s": {k: median(v) for k, v in startup.items()},
        "runs": {"cold_s": [round(x, 3) for x in memory.cold], "rerender_s": [round(x, 3) for x in memory.recommit],
                 "order": [list(o) for o in orders(args.repeat)]},
        "repeat": args.repeat,
        "fresh_args": list(FRESH_ARGS),
    }
    budgets: dict[str, Any] = {"rerender_commit_cli_s": budget(recommit_s, BUDGET_RECOMMIT_S)}
    if reconciler is not None:
        warm_s = reconciler["rerender_commit_s"]
        reconciler["cold_cli_over_rerender"] = round(cold_s / warm_s, 2)
        reconciler["cold_cycle_over_rerender"] = round(reconciler["cold_cycle_s"] / warm_s, 2)
        result["reconciler"] = reconciler
        budgets["rerender_commit_reconciler_s"] = budget(warm_s, BUDGET_RECOMMIT_S)
        budgets["rerender_commit_speedup"] = budget(reconciler["cold_cli_over_rerender"], BUDGET_RECOMMIT_SPEEDUP,
                                                    at_least=True)
        result["memory_vs_fresh"]["reconciler_rerender_commit_s"] = \
            reconciler["memory_vs_fresh"]["rerender_commit_s"]
    if not args.skip_diff:
        render_s, diff_s = median(memory.renders), median(memory.diffs)
        result["diff_over_render"] = round(diff_s / render_s, 2)
        budgets["diff_over_render"] = budget(round(diff_s / render_s, 2), BUDGET_DIFF_OVER_RENDER)
        for key, attr in (("render_s", "renders"), ("render_json_s", "renders_json"), ("diff_s", "diffs")):
            result["memory_vs_fresh"][key] = memory_vs_fresh(getattr(memory, attr), getattr(fresh, attr))
    for key, compared in result["memory_vs_fresh"].items():
        if key != "rerender_prepare_read_and_plan_s":  # a part of rerender_commit_cli_s
            budgets[f"memory_within_10pct:{key}"] = memory_budget(compared)
    budgets["state_within_10pct_of_status_tree"] = result["status_tree_size"]["budget"]
    result["loadavg"] = {"before": [round(x, 2) for x in load_before],
                         "after": [round(x, 2) for x in os.getloadavg()]}
    result["budgets"] = budgets
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--templates", type=int, default=50)
    parser.add_argument("--policies", type=int, default=10)
    parser.add_argument("--overrides", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians are printed")
    parser.add_argument("--skip-diff", action="store_true", help="only the render --commit figures")
    parser.add_argument("--skip-reconciler", action="store_true", help="leave out the gitfleet run figures")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="run children in the calling environment (see the module docstring)")
    parser.add_argument("--out", type=Path, help="also write the JSON object to this file")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--tmp", type=Path,
                        help="make the work folder here (its filesystem dominates render --output-dir, e.g. /dev/shm)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = measure(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="gitfleet-bench-git-", dir=args.tmp) as tmp:
            result = measure(args, Path(tmp))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    ok = all(b["pass"] for b in result["budgets"].values())
    reconciler = result.get("reconciler")
    if reconciler and any(r != "incremental" for r in (*reconciler["renders"], *reconciler["fresh"]["renders"])):
        ok = False  # a re-render that was full is no figure of the incremental path
    identical = result["rerender_identical_to_full_render"] and result["fresh"]["rerender_identical_to_full_render"]
    return 0 if ok and identical else 1


if __name__ == "__main__":
    sys.exit(main())
