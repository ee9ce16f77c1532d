"""Pull-request diff benchmark (issue 8): ``gitfleet diff`` on a large fleet, against a
cold ``render --commit`` of the same fleet measured in the same run.

    python bench/diff.py [--clusters 1000] [--templates 100] [--repeat 3] [--out FILE]

On the synthetic fleet of ``bench/render.py`` in a real Git repository, with C1 the
fleet, C2 one template changed (an image tag) and C3 one OverridePolicy changed, each
figure is the median wall time of a fresh ``python -m gitfleet ...`` process:

- ``cold_render_commit_s`` (the baseline): ``render --rev C1 --commit``, no status
  branch and an empty render cache;
- ``diff_template_s``: ``diff --base C1 --head C2 -o json``: a one-template pull request
  (the head is planned from the base, only what changed is compared);
- ``diff_template_recorded_s``: the same after ``render --rev C1 --commit`` recorded the
  base on the status branch (what CI sees on a fleet the reconciler keeps);
- ``diff_policy_s``: ``diff --base C2 --head C3 -o json``: a global change (the head is
  planned in full), for context.

Budgets (issue 8): a one-template diff <= 0.6 x the cold render, and <= 5 s when the
status branch records the base. Prints one JSON object; exit 1 when a budget fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import budget, median
from git import STATUS_BRANCH, Runner, _change_one_override, _change_one_template, _commit_all, _delete_branch
from render import generate_fleet

BUDGET_DIFF_OVER_RENDER = 0.6
BUDGET_DIFF_RECORDED_S = 5.0


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    fleet = work / "fleet"
    generate_fleet(fleet, args.clusters, args.templates, args.policies, args.overrides)
    repo = pygit2.init_repository(str(fleet), initial_head="main")
    c1 = _commit_all(repo, "fleet")
    _change_one_template(fleet)
    c2 = _commit_all(repo, "change one template")
    _change_one_override(fleet)
    c3 = _commit_all(repo, "change one override policy")
    runner = Runner(work, bytecode_cache=True)
    load_before = os.getloadavg()
    cold, template, recorded, policy = [], [], [], []
    for _ in range(args.repeat):
        _delete_branch(repo, STATUS_BRANCH)
        runner.empty_cache()
        template.append(runner.gitfleet("diff", str(fleet), "--base", c1, "--head", c2, "-o", "json").seconds)
        policy.append(runner.gitfleet("diff", str(fleet), "--base", c2, "--head", c3, "-o", "json").seconds)
        cold.append(runner.gitfleet("render", str(fleet), "--rev", c1, "--commit").seconds)
        recorded.append(runner.gitfleet("diff", str(fleet), "--base", c1, "--head", c2, "-o", "json").seconds)
    figures: dict[str, Any] = {
        "clusters": args.clusters, "templates": args.templates, "repeat": args.repeat,
        "cold_render_commit_s": round(median(cold), 3),
        "diff_template_s": round(median(template), 3),
        "diff_template_recorded_s": round(median(recorded), 3),
        "diff_policy_s": round(median(policy), 3),
        "runs": {"cold": cold, "template": template, "recorded": recorded, "policy": policy},
        "loadavg": [load_before, os.getloadavg()],
    }
    figures["diff_template_over_cold_render"] = round(median(template) / median(cold), 3)
    figures["budgets"] = {
        "diff_template_over_cold_render": budget(figures["diff_template_over_cold_render"],
                                                 BUDGET_DIFF_OVER_RENDER),
        "diff_template_recorded_s": budget(figures["diff_template_recorded_s"], BUDGET_DIFF_RECORDED_S),
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--templates", type=int, default=100)
    parser.add_argument("--policies", type=int, default=10)
    parser.add_argument("--overrides", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gitfleet-bench-diff-") as tmp:
        figures = measure(args, Path(tmp))
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if all(b["pass"] for b in figures["budgets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
