"""Real Git repositories for the tests, made with pygit2 (no `git` process)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pygit2

SIG = pygit2.Signature("tester", "tester@example.com", 1_700_000_000, 0)


def init(path: Path) -> pygit2.Repository:
    return pygit2.init_repository(str(path), initial_head="main")


def write(root: Path, files: Mapping[str, bytes | str | None]) -> None:
    """Write (or, for None, delete) files below ``root``."""
    for rel, content in files.items():
        path = root / rel
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def commit(repo: pygit2.Repository, files: Mapping[str, bytes | str | None], message: str = "change") -> str:
    """Write ``files`` into the work tree and commit everything on the current branch."""
    write(Path(repo.workdir), files)
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    parents = [] if repo.head_is_unborn else [repo.head.target]
    return str(repo.create_commit("HEAD", SIG, SIG, message, tree, parents))


def make_bare_remote(repo: pygit2.Repository, bare_path: Path, refs: tuple[str, ...] = ("refs/heads/main",)) -> None:
    """A bare repository at ``bare_path`` holding ``refs`` of ``repo``, set as its origin."""
    pygit2.init_repository(str(bare_path), bare=True, initial_head="main")
    if "origin" not in repo.remotes.names():
        repo.remotes.create("origin", str(bare_path))
    repo.remotes["origin"].push([f"{r}:{r}" for r in refs])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def git_daemon(base: Path, lifetime: int = 300) -> Iterator[str]:
    """``git daemon`` serving every repository below ``base`` (fetch and push) on a free
    loopback port; yields the ``git://`` URL prefix. ``timeout`` kills it after
    ``lifetime`` seconds even if the test process dies."""
    port = free_port()
    proc = subprocess.Popen(
        ["timeout", str(lifetime), "git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
         "--listen=127.0.0.1", f"--port={port}", f"--base-path={base}", "--timeout=60", str(base)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("git daemon did not start") from None
                time.sleep(0.05)
        yield f"git://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def fsck(path: Path) -> None:
    """`git fsck --strict` must find nothing wrong."""
    subprocess.run(["git", "-C", str(path), "fsck", "--strict", "--no-dangling"], check=True,
                   capture_output=True, timeout=60)
