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

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ChildRun:
    """One finished child process."""

    seconds: float
    max_rss_mib: float
    returncode: int
    stdout: str
    stderr: str


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
    return ChildRun(seconds, usage.ru_maxrss / 1024, proc.returncode, stdout, stderr)


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
