"""State size benchmark: how much the re-scheduling memory (``state/``) adds to the
status tree (issue 10: at most 10%).

    python bench/state_size.py [--clusters 200] [--templates 50] [--out FILE]

Generates the synthetic fleet of ``bench/render.py``, plans it, and builds the memory a
render would record: one ResourceState per placement, with its targets and replicas,
the placement that scheduled it as canonical JSON, the observed affinity term when the
policy has ordered affinities, and the time of the schedule. Eviction tasks and
rebalancers are rare and left out. Prints one JSON object: the bytes of the status tree
(placements.yaml and clusters/) and of state/, as file contents and with Git's tree
entries, the ratio, and the budget with pass/fail.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO_ROOT, budget

sys.path.insert(0, str(REPO_ROOT))
from gitfleet.git.worktree import read_directory
from gitfleet.load.loader import load_fleet
from gitfleet.model.plan import Plan
from gitfleet.model.resource import Fleet
from gitfleet.model.state import FleetState, PreviousTarget, ResourceState
from gitfleet.plan.build import build_plan
from gitfleet.status.layout import plan_to_tree
from gitfleet.status.secrets import mask_plan
from gitfleet.status.state import state_files

NOW = "2026-12-04T10:02:11Z"
BUDGET = 0.10


def recorded_state(fleet: Fleet, plan: Plan) -> FleetState:
    """What a render of ``plan`` records: one ResourceState per placed resource."""
    policies = {f"{p.kind}/{p.namespace}/{p.name}" if p.namespace else f"{p.kind}/{p.name}": p
                for p in fleet.propagation_policies}
    resources: dict[str, ResourceState] = {}
    for placement in plan.placements:
        policy = policies.get(placement.policy or "")
        if policy is None:
            continue
        applied = json.dumps(dataclasses.asdict(policy.placement), sort_keys=True, separators=(",", ":"))
        terms = policy.placement.cluster_affinities
        resources[placement.resource] = ResourceState(
            resource=placement.resource,
            clusters=tuple(PreviousTarget(t.name, t.replicas or 0) for t in placement.clusters),
            applied_placement=applied,
            observed_affinity=terms[0].affinity_name if terms else None,
            last_scheduled=NOW,
        )
    return FleetState(resources=resources)


def tree_bytes(files: Mapping[str, bytes]) -> tuple[int, int]:
    """(content bytes, content + Git tree entries): an entry is ``<mode> <name>\\0`` and a
    20-byte id, one per file and one per folder."""
    content = sum(len(b) for b in files.values())
    folders = {path.rsplit("/", i)[0] for path in files for i in range(1, path.count("/") + 1)}
    entries = sum(len(p.rsplit("/", 1)[-1]) + 28 for p in (*files, *folders))
    return content, content + entries


def measure(clusters: int, templates: int) -> dict[str, Any]:
    from render import generate_fleet

    with tempfile.TemporaryDirectory() as work:
        root = Path(work) / "fleet"
        generate_fleet(root, clusters, templates)
        fleet = load_fleet(read_directory(root))
    plan = build_plan(fleet)
    status = plan_to_tree(mask_plan(plan))
    state = state_files(recorded_state(fleet, plan))
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
