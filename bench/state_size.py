"""State size benchmark: how much the re-scheduling memory (``state/``) adds to the
status tree (issue 10: at most 10%).

    python bench/state_size.py [--clusters 200] [--templates 50] [--out FILE]

Generates the synthetic fleet of ``bench/render.py``, plans it with memory as a first
render does (``build_plan`` with an empty recorded state at a fixed clock), and splits
the status tree that render records into ``state/`` and the rest (placements.yaml and
clusters/). Prints one JSON object: the bytes of each, as file contents and with Git's
tree entries, the ratio, and the budget with pass/fail. ``bench/render.py`` and
``bench/git.py`` report the same split read from the status commit a real ``render
--commit`` made (``status_tree_size``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO_ROOT, budget, tree_bytes

sys.path.insert(0, str(REPO_ROOT))
from gitfleet.git.worktree import read_directory
from gitfleet.load.loader import load_fleet
from gitfleet.model.state import EMPTY_STATE, PlanMemory
from gitfleet.plan.build import build_plan
from gitfleet.status.layout import plan_to_tree
from gitfleet.status.secrets import mask_plan
from gitfleet.status.state import is_state_path

NOW = "2026-12-04T10:02:11Z"
BUDGET = 0.10


def measure(clusters: int, templates: int) -> dict[str, Any]:
    from render import generate_fleet

    with tempfile.TemporaryDirectory() as work:
        root = Path(work) / "fleet"
        generate_fleet(root, clusters, templates)
        fleet = load_fleet(read_directory(root))
    plan = build_plan(fleet, PlanMemory(EMPTY_STATE, NOW))
    tree = plan_to_tree(mask_plan(plan))
    status = {p: b for p, b in tree.items() if not is_state_path(p)}
    state = {p: b for p, b in tree.items() if is_state_path(p)}
    status_content, status_git = tree_bytes(status)
    state_content, state_git = tree_bytes(state)
    ratio = state_git / status_git
    return {
        "clusters": clusters,
        "templates": templates,
        "manifests": sum(len(m) for m in plan.manifests.values()),
        "resources": len(plan.placements),
        "statusTree": {"files": len(status), "bytes": status_content, "withTreeEntries": status_git},
        "state": {"files": len(state), "bytes": state_content, "withTreeEntries": state_git},
        "stateOverStatus": {"bytes": round(state_content / status_content, 4), **budget(round(ratio, 4), BUDGET)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--templates", type=int, default=50)
    parser.add_argument("--out", type=Path, help="also write the JSON object to this file")
    args = parser.parse_args(argv)
    result = measure(args.clusters, args.templates)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if result["stateOverStatus"]["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
