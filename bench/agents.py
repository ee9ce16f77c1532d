"""Benchmark of Pull-mode reports (issue 12, "Performance"). Not a test: prints one JSON
document.

    python bench/agents.py [--agents 50,100,200] [--members 1000] [--repeat 3] [--out FILE]

A fleet repo in a bare repository behind a real ``git daemon`` on loopback. Measured:

- **agents publishing at once** (``publish``): for each N of ``--agents``, N simulated
  agents (threads), each with its own mirror clone made by
  :func:`gitfleet.git.source.open_source` in a cache folder of its own, wait on one
  barrier and then publish a report at once with
  :func:`gitfleet.git.statusbranch.publish_report` (a parentless commit force-pushed to
  ``<status branch>-agents/<member>``: one ref per agent, nobody else writes it). Then
  every branch is read on the bare repository: a report lands when its branch holds the
  commit its agent made. Figures per round: ``landed`` (of N), ``failed`` (the pushes
  that raised), ``all_landed_s`` (barrier to the last push returning),
  ``per_push_s`` percentiles; the median over ``--repeat`` rounds per N, and the growth
  from the smallest N to the largest. The git daemon runs with ``--max-connections=0``:
  its default (32) drops connections beyond the 32nd, which measures the daemon, not the
  protocol (``--max-connections`` to try another limit);
- **the reconciler reading ``--members`` reports** (``reconciler``): a fleet of that many
  Pull members (one Namespace and one ConfigMap each) rendered with ``gitfleet render
  --commit`` (a real status branch), its report branches created on the bare repository
  (a report of the Push members' format each, ~0.5 KiB), and the reconciler's mirror
  cloned. Then, as a health round of ``gitfleet run`` does it
  (``gitfleet.reconcile.cycle._agent_reports``, ``_record_observation``):
  ``fetch_branches`` + ``report_tips`` + ``report_files`` for every member +
  ``report_problem`` for every report, and one ``record_observation`` with every report
  and every member's health, pushed. Three rounds: ``first`` (every report new),
  ``heartbeat`` (every agent published again, same content: every tip moved, nothing to
  record), ``changed`` (every report says something new: a 1,000-file status commit).
  Each round is repeated ``--repeat`` times (the report branches moved again before each),
  medians printed.

The machine is shared (2 cores): ``loadavg`` is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO_ROOT, median, python_env
from gitfleet.git.source import GitSource, open_source
from gitfleet.git.statusbranch import publish_report, report_files, report_tips
from gitfleet.model.health import ClusterHealth
from gitfleet.service.agent import AGENTS_SUFFIX, report_branch
from gitfleet.service.recording import read_status, record_observation
from gitfleet.service.source import read_revision
from gitfleet.status.layout import status_path
from gitfleet.status.observed import report_problem

BRANCH = "gitfleet/status"
PREFIX = BRANCH + AGENTS_SUFFIX
SIG = pygit2.Signature("bench", "bench@example.com", 1_700_000_000, 0)


# -- a remote on loopback ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def git_daemon(base: Path, max_connections: int, lifetime: int = 7200) -> Iterator[str]:
    """``git daemon`` serving ``base`` on loopback (fetch and push); ``timeout`` ends it
    after ``lifetime`` seconds even if this script dies; stopped by its pid."""
    port = free_port()
    proc = subprocess.Popen(
        ["timeout", str(lifetime), "git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
         "--listen=127.0.0.1", f"--port={port}", f"--base-path={base}", "--timeout=120",
         f"--max-connections={max_connections}", str(base)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("git daemon did not start") from None
                time.sleep(0.05)
        yield f"git://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- the fleet -----------------------------------------------------------------------


def member_name(i: int) -> str:
    return f"edge-{i:04d}"


def fleet_files(members: int) -> dict[str, str]:
    files = {
        "fleet.yaml": f"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {{name: edge}}\n"
                      f"spec: {{statusBranch: {BRANCH}}}\n",
        "templates/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: edge}\n",
        "templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: site, namespace: edge}\n"
                                 "data: {greeting: hello}\n",
        "policies/everywhere.yaml": "apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterPropagationPolicy\n"
                                    "metadata: {name: everywhere}\nspec:\n  resourceSelectors:\n"
                                    "    - {apiVersion: v1, kind: Namespace, name: edge}\n"
                                    "    - {apiVersion: v1, kind: ConfigMap, name: site, namespace: edge}\n",
    }
    for i in range(members):
        files[f"clusters/{member_name(i)}.yaml"] = (
            f"apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {{name: {member_name(i)}}}\n"
            f"spec: {{syncMode: Pull, provider: edge, region: r{i % 7}}}\n")
    return files


def make_fleet(work: Path, served: Path, members: int) -> str:
    """A work repository with the fleet committed and its status branch rendered
    (``gitfleet render --commit`` as a child process), both pushed to ``served/fleet.git``.
    Returns the source commit."""
    root = work / "fleet"
    repo = pygit2.init_repository(str(root), initial_head="main")
    for path, text in fleet_files(members).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    repo.index.add_all()
    repo.index.write()
    sha = repo.create_commit("HEAD", SIG, SIG, "the fleet", repo.index.write_tree(), [])
    env = {**python_env(), "GITFLEET_CACHE": str(work / "render-cache")}
    done = subprocess.run([sys.executable, "-m", "gitfleet", "render", str(root), "--commit"], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"render --commit failed: {done.stderr[-2000:]}")
    pygit2.init_repository(str(served / "fleet.git"), bare=True, initial_head="main")
    repo.remotes.create("origin", str(served / "fleet.git"))
    repo.remotes["origin"].push(["+refs/heads/main:refs/heads/main", f"+refs/heads/{BRANCH}:refs/heads/{BRANCH}"])
    return str(sha)


def report_yaml(member: str, source: str, serial: int) -> bytes:
    """A report in the Push members' format (what ``gitfleet agent`` publishes)."""
    return (f"cluster: {member}\nrevision: {source}\nstate: Applied\nobjects: {{desired: 2, applied: 2,"
            f" unchanged: {serial}, failed: 0}}\ndrift: []\nfailures: []\ninventory:\n"
            f"- v1/ConfigMap/edge/site\n- v1/Namespace/_/edge\nreadiness: {{ready: 2, notReady: 0}}\n"
            f"finishedAt: '2026-01-01T00:{serial // 60 % 60:02d}:{serial % 60:02d}Z'\n").encode()


# -- agents publishing at once -------------------------------------------------------


def publish_round(url: str, work: Path, agents: int, serial: int, sources: list[GitSource]) -> dict[str, Any]:
    """``agents`` threads publish at once; every branch is then checked on the remote."""
    while len(sources) < agents:  # the agents' own mirror clones (not timed: made once)
        sources.append(open_source(url, cache_dir=work / "agents" / f"a{len(sources):04d}"))
    barrier = threading.Barrier(agents + 1)
    made: dict[int, str] = {}
    errors: dict[int, str] = {}
    seconds: dict[int, float] = {}

    def agent(i: int) -> None:
        member = member_name(i)
        files = {status_path(member): report_yaml(member, "0" * 40, serial)}
        barrier.wait()
        start = time.perf_counter()
        try:
            made[i] = publish_report(sources[i], report_branch(BRANCH, member), files)
        except Exception as err:  # noqa: BLE001 - a failed push is a figure
            errors[i] = f"{type(err).__name__}: {err}"[:300]
        seconds[i] = time.perf_counter() - start

    threads = [threading.Thread(target=agent, args=(i,), daemon=True) for i in range(agents)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    bare = pygit2.Repository(str(work / "served" / "fleet.git"))
    landed = 0
    for i, sha in made.items():
        ref = bare.references.get(f"refs/heads/{report_branch(BRANCH, member_name(i))}")
        if ref is not None and str(ref.target) == sha:
            landed += 1
    pushes = sorted(seconds.values())
    return {"agents": agents, "landed": landed, "failed": len(errors), "all_landed_s": round(elapsed, 3),
            "per_push_s": {"p50": median(pushes), "p90": round(pushes[int(0.9 * (len(pushes) - 1))], 3),
                           "max": round(pushes[-1], 3)},
            "errors": sorted(set(errors.values()))[:3]}


# -- the reconciler reading reports --------------------------------------------------


def write_reports(bare_path: Path, members: int, source: str, serial: int) -> None:
    """Every member's report branch on the remote moved to a new parentless commit, as
    ``members`` agents publishing would leave it (written directly: this part measures
    the reader)."""
    bare = pygit2.Repository(str(bare_path))
    for i in range(members):
        member = member_name(i)
        blob = bare.create_blob(report_yaml(member, source, serial))
        inner = bare.TreeBuilder()
        inner.insert(f"{member}.yaml", blob, pygit2.enums.FileMode.BLOB)
        outer = bare.TreeBuilder()
        outer.insert("status", inner.write(), pygit2.enums.FileMode.TREE)
        sig = pygit2.Signature("agent", "agent@example.com", 1_700_000_000 + serial, 0)
        commit = bare.create_commit(None, sig, sig, f"gitfleet: report {serial}\n", outer.write(), [])
        bare.references.create(f"refs/heads/{report_branch(BRANCH, member)}", commit, force=True)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def health_round(source: GitSource, members: int) -> dict[str, Any]:
    """What one health round of ``gitfleet run`` does with the Pull members' reports."""
    names = [member_name(i) for i in range(members)]
    _, fetch_s = timed(lambda: source.fetch_branches(PREFIX))
    tips, tips_s = timed(lambda: report_tips(source, PREFIX))

    def read_all() -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for name in names:
            tip = tips.get(report_branch(BRANCH, name))
            if tip is None:
                continue
            raw = report_files(source, tip, name).get(status_path(name))
            if raw is not None and report_problem(name, raw) is None:
                out[status_path(name)] = raw
        return out

    reports, files_s = timed(read_all)
    revision = read_revision(source, "HEAD")
    previous, read_status_s = timed(lambda: read_status(source, BRANCH))
    observed = {name: ClusterHealth(name) for name in names}
    (sha, _), record_s = timed(lambda: record_observation(revision, BRANCH, observed, previous, push=True,
                                                          reports=reports))
    return {"reports": len(reports), "fetch_branches_s": round(fetch_s, 3), "report_tips_s": round(tips_s, 3),
            "report_files_s": round(files_s, 3), "read_status_s": round(read_status_s, 3),
            "record_observation_s": round(record_s, 3), "committed": sha is not None,
            "total_s": round(fetch_s + tips_s + files_s + read_status_s + record_s, 3)}


def reconciler(work: Path, url: str, members: int, source_sha: str, repeat: int) -> dict[str, Any]:
    bare_path = work / "served" / "fleet.git"
    source, clone_s = timed(lambda: open_source(url, cache_dir=work / "reconciler"))
    rounds: dict[str, list[dict[str, Any]]] = {"first": [], "heartbeat": [], "changed": []}
    serial = 1000
    for _ in range(repeat):
        # first: every report branch new to the reconciler (its mirror knows none yet)
        mirror = str(source.repo.path)  # type: ignore[union-attr]
        drop = subprocess.run(["git", "-C", mirror, "for-each-ref", "--format=delete %(refname)", f"refs/heads/{PREFIX}/"],
                              check=True, capture_output=True, text=True).stdout
        subprocess.run(["git", "-C", mirror, "update-ref", "--stdin"], input=drop, text=True, check=True,
                       capture_output=True)
        serial += 1
        write_reports(bare_path, members, source_sha, serial)
        rounds["first"].append(health_round(source, members))
        # heartbeat: every agent published again with the same content
        _touch_commits(bare_path, members, serial)
        rounds["heartbeat"].append(health_round(source, members))
        # changed: every report says something new
        serial += 1
        write_reports(bare_path, members, source_sha, serial)
        rounds["changed"].append(health_round(source, members))
    out: dict[str, Any] = {"members": members, "mirror_clone_s": round(clone_s, 3), "runs": rounds}
    out["median"] = {name: {key: median([r[key] for r in runs]) for key in runs[0]
                            if key.endswith("_s")} for name, runs in rounds.items()}
    return out


def _touch_commits(bare_path: Path, members: int, serial: int) -> None:
    """New report commits with the same files (a heartbeat): same tree, later time."""
    bare = pygit2.Repository(str(bare_path))
    for i in range(members):
        ref = bare.references[f"refs/heads/{report_branch(BRANCH, member_name(i))}"]
        commit = bare[ref.target]
        assert isinstance(commit, pygit2.Commit)
        sig = pygit2.Signature("agent", "agent@example.com", 1_700_100_000 + serial, 0)
        new = bare.create_commit(None, sig, sig, f"gitfleet: heartbeat {serial}\n", commit.tree_id, [])
        ref.set_target(new)


# -- main ----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", default="50,100,200", help="comma-separated numbers of agents (50,100,200)")
    parser.add_argument("--members", type=int, default=1000, help="Pull members the reconciler reads (1000)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-connections", type=int, default=0, help="git daemon --max-connections (0: no limit)")
    parser.add_argument("--skip-publish", action="store_true")
    parser.add_argument("--skip-reconciler", action="store_true")
    parser.add_argument("--tmp", help="where the work folder goes (e.g. /dev/shm)")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    counts = sorted(int(n) for n in args.agents.split(","))
    result: dict[str, Any] = {"loadavg_before": os.getloadavg(), "cpus": os.cpu_count()}
    work = Path(tempfile.mkdtemp(prefix="bench-agents-", dir=args.tmp))
    try:
        served = work / "served"
        served.mkdir()
        members = max(args.members, counts[-1] if counts else 0)
        source_sha, render_s = timed(lambda: make_fleet(work, served, members))
        result["render_commit_s"] = round(render_s, 3)
        with git_daemon(served, args.max_connections) as base:
            url = f"{base}/fleet.git"
            if not args.skip_publish:
                sources: list[GitSource] = []
                rounds = {n: [publish_round(url, work, n, r, sources) for r in range(args.repeat)] for n in counts}
                summary = {str(n): {"landed_min": min(r["landed"] for r in runs),
                                    "all_landed_s": median([r["all_landed_s"] for r in runs]),
                                    "per_push_p50_s": median([r["per_push_s"]["p50"] for r in runs])}
                           for n, runs in rounds.items()}
                growth = (summary[str(counts[-1])]["all_landed_s"] / summary[str(counts[0])]["all_landed_s"]
                          if len(counts) > 1 and summary[str(counts[0])]["all_landed_s"] else None)
                result["publish"] = {"git_daemon_max_connections": args.max_connections,
                                     "rounds": {str(n): r for n, r in rounds.items()}, "median": summary,
                                     "every_report_landed": all(r["landed"] == r["agents"] for runs in rounds.values()
                                                                for r in runs),
                                     f"growth_{counts[-1]}_over_{counts[0]}": round(growth, 2) if growth else None,
                                     f"agents_ratio_{counts[-1]}_over_{counts[0]}": counts[-1] / counts[0]}
            if not args.skip_reconciler:
                result["reconciler"] = reconciler(work, url, args.members, source_sha, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["loadavg_after"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    ok = result.get("publish", {}).get("every_report_landed", True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
