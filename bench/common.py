"""Measuring helpers shared by the benchmark scripts: run a child process and get its
own wall time and peak RSS, take medians, compare figures with budgets.

Peak memory is read with ``os.wait4`` on each child, so one measurement is never
mixed up with another child's (``getrusage(RUSAGE_CHILDREN)`` only grows)."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ChildRun:
    """One finished child process."""

    seconds: float
    max_rss_mib: float
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0  # user + system time of the child (less sensitive to a busy machine)


def run_child(
    argv: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> ChildRun:
    """Run ``argv`` to completion; wall time and the child's own peak RSS."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp"), f"bench-child-{os.getpid()}.out")
    err_path = out_path.with_suffix(".err")
    with open(out_path, "w+b") as out, open(err_path, "w+b") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env) if env else None,
                                stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    out_path.unlink(missing_ok=True)
    err_path.unlink(missing_ok=True)
    # Linux reports ru_maxrss in KiB.
    return ChildRun(seconds, usage.ru_maxrss / 1024, proc.returncode, stdout, stderr,
                    usage.ru_utime + usage.ru_stime)


def python_env() -> dict[str, str]:
    """The environment for child Pythons: the checkout importable without installing."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    return env


def median(values: Sequence[float]) -> float:
    return round(statistics.median(values), 3)


def budget(value: float, limit: float, *, at_least: bool = False) -> dict[str, object]:
    """A figure next to its budget, with whether it passes."""
    ok = value >= limit if at_least else value < limit
    return {"value": value, "budget": (">= " if at_least else "< ") + f"{limit:g}", "pass": ok}


# Issue 10: scheduling with memory (the state the status branch records) costs at most
# 10% over scheduling without it (``--fresh``, what every render did before).
MEMORY_SLACK = 1.10
# The baseline schedules as --fresh with a fixed clock: with the wall clock, every
# --fresh render stamps each resource's state with a new time, so a re-render can never
# be incremental (it falls back to a full render) and the baseline would be slower than
# the renders before issue 10 were. With --now fixed, --fresh renders like them.
FRESH_NOW = "2026-12-04T10:02:11Z"
FRESH_ARGS = ("--fresh", "--now", FRESH_NOW)
STATE_DIR = "state"
MODES = ("memory", "fresh")


def orders(repeat: int) -> list[tuple[str, ...]]:
    """For each run, which of memory and fresh goes first: they alternate, so neither
    always gets the warmer (or busier) slot."""
    return [MODES if i % 2 == 0 else MODES[::-1] for i in range(repeat)]


def memory_vs_fresh(memory: Sequence[float], fresh: Sequence[float]) -> dict[str, Any]:
    """One figure measured both ways in the same run: medians, the ratio memory/fresh,
    and every run (memory and fresh runs alternate, so a busy neighbour hits both)."""
    m, f = median(memory), median(fresh)
    return {"memory": m, "fresh": f, "ratio": round(m / f, 3) if f else float("nan"),
            "runs_memory": [round(x, 3) for x in memory], "runs_fresh": [round(x, 3) for x in fresh]}


def memory_budget(comparison: Mapping[str, Any]) -> dict[str, object]:
    """The "memory within 10%" budget of one :func:`memory_vs_fresh` figure."""
    return budget(comparison["ratio"], MEMORY_SLACK)


def tree_bytes(files: Mapping[str, bytes]) -> tuple[int, int]:
    """(content bytes, content + Git tree entries) of a tree given as path -> content: an
    entry is ``<mode> <name>\\0`` and a 20-byte id, one per file and one per folder."""
    content = sum(len(b) for b in files.values())
    folders = {path.rsplit("/", i)[0] for path in files for i in range(1, path.count("/") + 1)}
    entries = sum(len(p.rsplit("/", 1)[-1]) + 28 for p in (*files, *folders))
    return content, content + entries


def status_tree_size(repo_path: Path, ref: str, budget_fraction: float = 0.10) -> dict[str, Any]:
    """What ``state/`` adds to the status tree recorded at ``ref``, read from Git: bytes of
    file contents, and of contents plus Git's tree objects (what a clone stores before
    compression), for ``state/`` and for the rest of the tree (placements.yaml,
    clusters/); the budget is on state over the rest (issue 10: at most 10% more)."""
    import pygit2

    repo = pygit2.Repository(str(repo_path))
    root = repo.revparse_single(ref).peel(pygit2.Tree)
    # [files, content bytes, content + tree object bytes] for state/ and the rest.
    sizes = {STATE_DIR: [0, 0, 0], "rest": [0, 0, 0]}

    def walk(tree: Any, side: list[int]) -> None:
        side[2] += len(repo.odb.read(tree.id)[1])
        for entry in tree:
            obj = repo[entry.id]
            if isinstance(obj, pygit2.Tree):
                walk(obj, side)
            else:
                side[0] += 1
                side[1] += obj.size
                side[2] += obj.size

    rest = sizes["rest"]
    rest[2] += len(repo.odb.read(root.id)[1])  # the root tree, state's entry included
    for entry in root:
        obj = repo[entry.id]
        side = sizes[STATE_DIR] if entry.name == STATE_DIR else rest
        if isinstance(obj, pygit2.Tree):
            walk(obj, side)
        else:
            side[0] += 1
            side[1] += obj.size
            side[2] += obj.size
    state, other = sizes[STATE_DIR], rest
    added = round(state[2] / other[2], 4) if other[2] else float("nan")
    return {
        "ref": ref,
        "state": {"files": state[0], "bytes": state[1], "withTreeObjects": state[2]},
        "rest": {"files": other[0], "bytes": other[1], "withTreeObjects": other[2]},
        "stateOverRest": {"bytes": round(state[1] / other[1], 4) if other[1] else float("nan"),
                          "withTreeObjects": added},
        "stateShareOfTree": round(state[2] / (state[2] + other[2]), 4),
        "budget": budget(added, budget_fraction),
    }
