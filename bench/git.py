"""Git benchmark (issue 3): recording renders on the status branch and diffing two
commits, on the synthetic fleet of ``bench/render.py`` inside a real Git repository.

    python bench/git.py [--clusters 200] [--templates 50] [--repeat 3] [--out FILE]

Every figure is the wall time of a fresh ``python -m gitfleet ...`` process (the CLI
path a user or CI job runs), median over ``--repeat`` runs; one JSON object is printed:

- ``cold_render_commit_s``: ``render REPO --rev C1 --commit`` with no status branch and
  an empty render cache (``GITFLEET_CACHE`` points at a fresh folder each run): read,
  load, plan, dump and hash every manifest, write every blob, commit;
- ``rerender_commit_cli_s``: then ``render REPO --rev C2 --commit``, where C2 changes one
  template (an image tag) of C1: the incremental path (plans the changed template and
  the dependencies it carries, reuses every other blob of the previous status commit).
  ``rerender_modes`` says per run whether it was incremental; a full render (e.g. the
  gitfleet sources changed under the run) is reported, not hidden;
- ``rerender_breakdown_s``: where the re-render's time goes, from an instrumented child
  doing the same step: interpreter start, imports (the CLI parser imports every verb),
  ``prepare_commit`` (read + incremental plan) and ``finish_commit`` (commit + cache);
- ``startup_s``: ``python -c pass``, importing the whole CLI, and importing only what
  ``render --commit`` needs, so the import share of the budget is visible;
- ``diff_s``: ``diff REPO --base C2 --head C3 --format json`` where C3 changes one
  OverridePolicy, next to ``render_s`` (``render --rev C3 -o DIR``, a cold render) and
  ``render_json_s``;
- ``budgets``: re-render + commit under 1.5 s and at least 10x faster than the cold run;
  diff under 2x one cold render.

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
import shutil
import sys
import tempfile
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
build_parser()  # what `python -m gitfleet` does before dispatching: imports every verb
t1 = time.perf_counter()
from gitfleet.cli.cmd_commit import finish_commit, prepare_commit
prepared = prepare_commit(sys.argv[1], sys.argv[2], None)
t2 = time.perf_counter()
sha = finish_commit(prepared, False)
t3 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "prepare_s": t2 - t1, "finish_s": t3 - t2,
                  "incremental": prepared.incremental, "reason": prepared.reason,
                  "replanned": len(prepared.replanned), "committed": sha is not None}))
"""

_RENDER_COMMIT_IMPORTS = (
    "import gitfleet.cli.cmd_render, gitfleet.cli.cmd_commit, gitfleet.plan.incremental, "
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
    startup: dict[str, list[float]] = {"python": [], "cli_all_verbs": [], "render_commit_modules": []}
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
        startup["cli_all_verbs"].append(
            runner.python("-c", "from gitfleet.cli.main import build_parser; build_parser()").seconds)
        startup["render_commit_modules"].append(runner.python("-c", _RENDER_COMMIT_IMPORTS).seconds)

        if not args.skip_diff:
            renders.append(runner.gitfleet("render", str(fleet), "--rev", c3, "-o", str(work / "out")).seconds)
            renders_json.append(runner.gitfleet("render", str(fleet), "--rev", c3, "--format", "json").seconds)
            diffs.append(runner.gitfleet("diff", str(fleet), "--base", c2, "--head", c3, "--format", "json").seconds)

    # The incremental commit must hold what a full render commits, blob for blob.
    runner.empty_cache()
    _delete_branch(repo, "bench/full")
    runner.gitfleet("render", str(fleet), "--rev", c2, "--commit", "--branch", "bench/full")
    identical = _render_part(repo, STATUS_BRANCH) == _render_part(repo, "bench/full")
    files = sum(1 for _ in _walk(repo, repo.revparse_single(STATUS_BRANCH).peel(pygit2.Tree)))

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
    budgets: dict[str, Any] = {
        "rerender_commit_cli_s": budget(recommit_s, BUDGET_RECOMMIT_S),
        "rerender_commit_speedup": budget(speedup, BUDGET_RECOMMIT_SPEEDUP, at_least=True),
    }
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
    return 0 if ok and result["rerender_identical_to_full_render"] else 1


if __name__ == "__main__":
    sys.exit(main())
