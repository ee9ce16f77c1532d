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
from pathlib import Path
from typing import Any

import pygit2
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO_ROOT, budget, median, python_env, run_child
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
prepared = render_for_status(read_repo(sys.argv[1], sys.argv[2]), None, DiskMemory())
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


_LOGFMT_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')
RECONCILER_INTERVAL_S = 0.5
RECONCILER_TIMEOUT_S = 300.0


class ReconcilerChild:
    """``gitfleet run`` in a child process, its ``event=cycle`` log lines collected as
    they come."""

    def __init__(self, runner: Runner, config: Path) -> None:
        self.cycles: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._tail: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "gitfleet", "run", "--config", str(config)],
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


def measure_reconciler(fleet: Path, work: Path, runner: Runner, repeat: int) -> dict[str, Any]:
    """``gitfleet run`` following a copy of the fleet whose clusters are all Pull-mode
    (their agents apply what the status branch holds; applying is bench/apply.py's
    subject): its first cycle renders in full, then each commit changing one template's
    image is re-rendered from the plan in memory and committed. ``cycle_s`` is the
    cycle's own figure from its log line (resolve, render, record);
    ``commit_to_status_s`` is from the commit to the log line, so it includes up to one
    polling interval."""
    copy = work / "fleet-pull"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(fleet, copy, ignore=shutil.ignore_patterns(".git"))
    for path in (copy / "clusters").glob("*.yaml"):
        path.write_text(path.read_text().replace("syncMode: Push", "syncMode: Pull"))
    repo = pygit2.init_repository(str(copy), initial_head="main")
    first = _commit_all(repo, "fleet, every cluster in Pull mode")
    config = work / "run.yaml"
    config.write_text(yaml.safe_dump({"repo": str(copy), "interval": RECONCILER_INTERVAL_S,
                                      "listen": "127.0.0.1:0"}))
    template = min((copy / "templates").glob("*-deployment.yaml"))
    child = ReconcilerChild(runner, config)
    try:
        cold = child.wait_for(first)
        steps = []
        for i in range(repeat):
            _bump_image(template, f"3.0.{i}")
            sha = _commit_all(repo, f"bump {template.name}")
            committed = time.perf_counter()
            cycle = child.wait_for(sha)
            tip = repo.revparse_single(STATUS_BRANCH).peel(pygit2.Commit)
            if f"Gitfleet-Source: {sha}" not in tip.message:
                raise RuntimeError(f"the status branch does not record {sha[:12]} after its cycle")
            steps.append({**cycle, "commit_to_status_s": cycle["arrived"] - committed})
    finally:
        child.stop()
    phases = sorted({k[:-2] for s in steps for k in s if k.endswith("_s") and k != "commit_to_status_s"})
    return {
        "fleet": "the bench fleet with every cluster in Pull mode",
        "interval_s": RECONCILER_INTERVAL_S,
        "cold_cycle_s": float(cold["seconds"]),
        "cold_render": cold.get("render"),
        "rerender_commit_s": median([float(s["seconds"]) for s in steps]),
        "renders": [s.get("render") for s in steps],
        "phases_s": {p: median([float(s.get(f"{p}_s", 0)) for s in steps]) for p in phases},
        "commit_to_status_s": median([s["commit_to_status_s"] for s in steps]),
        "runs_s": [round(float(s["seconds"]), 3) for s in steps],
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

    cold, recommit, modes, breakdowns = [], [], [], []
    renders, renders_json, diffs = [], [], []
    startup: dict[str, list[float]] = {"python": [], "pygit2_and_yaml": [], "cli_all_verbs": [],
                                       "render_commit_modules": []}
    for _ in range(args.repeat):
        _delete_branch(repo, STATUS_BRANCH)
        runner.empty_cache()
        cold.append(runner.gitfleet("-v", "render", str(fleet), "--rev", c1, "--commit").seconds)
        run = runner.gitfleet("-v", "render", str(fleet), "--rev", c2, "--commit")
        recommit.append(run.seconds)
        modes.append("incremental" if INCREMENTAL_LINE in run.stderr else "full")

        # The same step again, instrumented, from the same start: the status branch back
        # at C1's render (whose record is still cached).
        ref = repo.references.get(f"refs/heads/{STATUS_BRANCH}")
        ref.set_target(repo.revparse_single(STATUS_BRANCH).peel(pygit2.Commit).parents[0].id)
        t0 = runner.python("-c", "pass").seconds
        run = runner.python("-c", _BREAKDOWN_WORKER, str(fleet), c2)
        info = json.loads(run.stdout.strip().splitlines()[-1])
        info["interpreter_s"] = t0
        info["total_s"] = run.seconds
        breakdowns.append(info)

        startup["python"].append(t0)
        startup["pygit2_and_yaml"].append(runner.python("-c", "import pygit2, yaml").seconds)
        startup["cli_all_verbs"].append(
            runner.python("-c", "from gitfleet.cli.main import build_parser; build_parser()").seconds)
        startup["render_commit_modules"].append(runner.python("-c", _RENDER_COMMIT_IMPORTS).seconds)

        if not args.skip_diff:
            renders.append(runner.gitfleet("render", str(fleet), "--rev", c3, "--output-dir", str(work / "out")).seconds)
            renders_json.append(runner.gitfleet("render", str(fleet), "--rev", c3, "--format", "json").seconds)
            diffs.append(runner.gitfleet("diff", str(fleet), "--base", c2, "--head", c3, "--format", "json").seconds)

    # The incremental commit must hold what a full render commits, blob for blob.
    runner.empty_cache()
    _delete_branch(repo, "bench/full")
    runner.gitfleet("render", str(fleet), "--rev", c2, "--commit", "--branch", "bench/full")
    identical = _render_part(repo, STATUS_BRANCH) == _render_part(repo, "bench/full")
    files = sum(1 for _ in _walk(repo, repo.revparse_single(STATUS_BRANCH).peel(pygit2.Tree)))

    reconciler = None if args.skip_reconciler else measure_reconciler(fleet, work, runner, args.repeat)

    cold_s, recommit_s = median(cold), median(recommit)
    speedup = round(cold_s / recommit_s, 2)
    mid = sorted(breakdowns, key=lambda b: b["total_s"])[len(breakdowns) // 2]
    result: dict[str, Any] = {
        "fleet": {"clusters": args.clusters, "templates": args.templates, "policies": args.policies,
                  "overrides": args.overrides, "status_files": files},
        "changed_template": template,
        "changed_override": override,
        "bytecode_cache": not args.no_bytecode_cache,
        "breakdown_reason_if_full": mid["reason"] if not mid["incremental"] else None,
        "cold_render_commit_s": cold_s,
        "rerender_commit_cli_s": recommit_s,
        "rerender_modes": modes,
        "rerender_identical_to_full_render": identical,
        "cold_over_rerender_cli": speedup,
        "rerender_breakdown_s": {
            "interpreter": round(mid["interpreter_s"], 3),
            "imports_and_parser": round(mid["imports_s"], 3),
            "prepare_read_and_plan": round(mid["prepare_s"], 3),
            "finish_commit_and_cache": round(mid["finish_s"], 3),
            "total_wall": round(mid["total_s"], 3),
            "incremental": mid["incremental"],
            "templates_replanned": mid["replanned"],
        },
        "startup_s": {k: median(v) for k, v in startup.items()},
        "runs": {"cold_s": [round(x, 3) for x in cold], "rerender_s": [round(x, 3) for x in recommit]},
        "repeat": args.repeat,
        "loadavg": {"before": [round(x, 2) for x in load_before],
                    "after": [round(x, 2) for x in os.getloadavg()]},
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
    if diffs:
        render_s, diff_s = median(renders), median(diffs)
        result.update({
            "render_s": render_s,
            "render_json_s": median(renders_json),
            "diff_s": diff_s,
            "diff_over_render": round(diff_s / render_s, 2),
        })
        budgets["diff_over_render"] = budget(round(diff_s / render_s, 2), BUDGET_DIFF_OVER_RENDER)
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
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = measure(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="gitfleet-bench-git-") as tmp:
            result = measure(args, Path(tmp))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    ok = all(b["pass"] for b in result["budgets"].values())
    if result.get("reconciler") and any(r != "incremental" for r in result["reconciler"]["renders"]):
        ok = False  # a re-render that was full is no figure of the incremental path
    return 0 if ok and result["rerender_identical_to_full_render"] else 1


if __name__ == "__main__":
    sys.exit(main())
