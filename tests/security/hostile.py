"""Helpers for the hostile-input tables: a fleet repo written from a dict, the CLI run
as a user runs it (a separate process, so a traceback is seen as a user sees it), and
the assertions every rejected input shares."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

CLI_TIMEOUT = 120
TRACEBACK = "Traceback (most recent call last)"


def write_repo(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (``{posix path: text or bytes}``) below ``root``; returns ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def run_cli(argv: list[str], cwd: Path | None = None, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """``gitfleet *argv`` in a fresh interpreter: (exit code, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "gitfleet", *argv], check=False, cwd=cwd, capture_output=True, text=True,
        timeout=CLI_TIMEOUT, env={**os.environ, **(env or {})}, errors="replace",
    )
    return proc.returncode, proc.stdout, proc.stderr


def assert_no_traceback(out: str, err: str) -> None:
    assert TRACEBACK not in out and TRACEBACK not in err, err[-3000:]


def assert_rejected(code: int, out: str, err: str, path_fragment: str) -> None:
    """Exit 1, a ``path:line:col`` message naming a file that contains ``path_fragment``,
    and no traceback."""
    assert_no_traceback(out, err)
    assert code == 1, f"exit {code}\n{out[-2000:]}\n{err[-2000:]}"
    located = re.compile(rf"^\S*{re.escape(path_fragment)}\S*:\d+:\d+: ", re.MULTILINE)
    assert located.search(out + err), f"no path:line:col naming {path_fragment!r} in:\n{err[-3000:]}"


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry below ``root``: a file's bytes, a link's target, a folder as ``/``.
    Compared before and after a run, it shows whatever the run wrote, anywhere."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                out[rel] = "/"
            else:
                out[rel] = path.read_bytes()
    return out
