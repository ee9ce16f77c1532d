"""Where renders are remembered, so the next render plans only what changed.

A remembered render (:class:`gitfleet.plan.incremental.RenderRecord`) is keyed by the
rendered part of the status commit it was recorded in. The CLI keeps records on disk,
in a cache folder outside the repository (``$GITFLEET_CACHE/render`` or
``~/.cache/gitfleet/render``), together with a fingerprint of gitfleet itself; ``gitfleet
run`` keeps its last plan in process (:class:`InProcessMemory`). A missing, stale or
damaged record only ever means a full render.

``gitfleet apply`` keeps one more thing beside a record: the whole plan it applied
(:class:`RememberedPlan`), whose manifests a next apply with nothing to do reuses
instead of loading and planning the repository again (the status branch holds only
digests of Secrets, so the plan cannot be read back from it). It holds nothing the
record does not (the record's fleet holds every template as the repository does) and
lives in the same private folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gitfleet import __version__
from gitfleet.plan.incremental import RenderRecord, decode_record, encode_record, seal, unseal

if TYPE_CHECKING:
    from gitfleet.git.source import GitSource
    from gitfleet.model.plan import Plan

log = logging.getLogger(__name__)
RECORDS_KEPT = 4  # per repository: the newest few, so a revert or a second branch still hits
IN_PROCESS = "in-process"  # the tool fingerprint of records that never leave the process
PLAN_FORMAT = 1
_PLAN_MAGIC = b"gitfleet applied plan\n"
_DIGEST_SIZE = 32


@dataclass(frozen=True)
class RememberedPlan:
    """A plan as ``gitfleet apply`` applied it, with what it was planned from: valid for
    a render whose record has the same ``tool`` and ``sources`` and the same memory."""

    tool: str
    sources: Mapping[str, str]  # fleet file -> Git blob id (RenderRecord.sources)
    plan: Plan  # without explanations (applying never reads them) and state (the record holds it)


class RenderMemory(Protocol):
    """Remembers renders by the render key of the status commit that holds them."""

    @property
    def tool(self) -> str: ...

    def recall(self, source: GitSource, key: str) -> tuple[RenderRecord | None, str]:
        """The record for ``key``, or None with the reason."""

    def remember(self, source: GitSource, key: str, record: RenderRecord) -> None: ...


class NoMemory:
    """Remembers nothing: every render is full."""

    tool = IN_PROCESS

    def recall(self, source: GitSource, key: str) -> tuple[RenderRecord | None, str]:
        return None, "renders are not remembered here"

    def remember(self, source: GitSource, key: str, record: RenderRecord) -> None:
        return None


class InProcessMemory:
    """The newest few records, in this process (the reconciler's)."""

    tool = IN_PROCESS

    def __init__(self) -> None:
        self._records: dict[str, RenderRecord] = {}

    def recall(self, source: GitSource, key: str) -> tuple[RenderRecord | None, str]:
        found = self._records.get(key)
        return found, "" if found is not None else "this process has not rendered the status branch tip"

    def remember(self, source: GitSource, key: str, record: RenderRecord) -> None:
        self._records[key] = record
        while len(self._records) > RECORDS_KEPT:
            self._records.pop(next(iter(self._records)))


class DiskMemory:
    """Records in the user's cache folder, valid for this exact gitfleet (fingerprint)."""

    def __init__(self) -> None:
        self._tool: str | None = None

    @property
    def tool(self) -> str:
        if self._tool is None:
            self._tool = tool_fingerprint()
        return self._tool

    def recall(self, source: GitSource, key: str) -> tuple[RenderRecord | None, str]:
        folder = _records_dir(source)
        if folder is None:
            return None, "not a Git repository"
        try:
            data = (folder / f"{key}.record").read_bytes()
        except OSError:
            return None, "no remembered render of the status branch tip"
        record = decode_record(data)
        if record is None:
            return None, "the remembered render is damaged or from another version"
        return record, ""

    def remember(self, source: GitSource, key: str, record: RenderRecord) -> None:
        """Store ``record`` under ``key``, atomically (a reader sees a whole file or none);
        best effort: a cache that cannot be written costs the next render its speed only."""
        self._store(source, f"{key}.record", encode_record(record))

    def recall_plan(self, source: GitSource, key: str) -> RememberedPlan | None:
        """The plan an apply remembered under ``key``; None when there is none, or it is
        damaged or from another version."""
        folder = _records_dir(source)
        if folder is None:
            return None
        try:
            data = (folder / f"{key}.plan").read_bytes()
        except OSError:
            return None
        return decode_plan(data)

    def remember_plan(self, source: GitSource, key: str, plan: RememberedPlan) -> None:
        """Store ``plan`` under ``key`` (as :meth:`remember` stores a record)."""
        self._store(source, f"{key}.plan", encode_plan(plan))

    def _store(self, source: GitSource, name: str, data: bytes) -> None:
        folder = _records_dir(source)
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".record.", dir=folder)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, folder / name)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            suffix = name[name.rindex("."):]
            kept = sorted(folder.glob(f"*{suffix}"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
            for old in kept[RECORDS_KEPT:]:
                old.unlink(missing_ok=True)
        except OSError as exc:
            log.debug("could not remember the render in %s: %s", folder, exc)


def encode_plan(plan: RememberedPlan) -> bytes:
    """A remembered plan as bytes for a cache file."""
    return seal(_PLAN_MAGIC, PLAN_FORMAT, plan)


def decode_plan(data: bytes) -> RememberedPlan | None:
    """The plan in ``data``, or None when it is not one this version wrote whole."""
    plan = unseal(data, _PLAN_MAGIC, PLAN_FORMAT)
    return plan if isinstance(plan, RememberedPlan) else None


def tool_fingerprint() -> str:
    """What a remembered render depends on besides the fleet repo: gitfleet's version
    and code (a checkout changes without a version bump) and the libraries whose output
    lands in the status tree.

    It runs on every ``--commit`` before anything is rendered, so it reads Jinja2's
    version from its source instead of importing it (~40 ms), and walks gitfleet's
    folder with ``os.scandir``, whose entries know their type without a ``stat`` each.
    """
    import importlib.util

    import yaml

    def library_identity(name: str) -> str:
        # The ``__version__ = "..."`` line of the package's __init__, else that file's
        # size and mtime: either changes when another release is installed.
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            return "absent"
        try:
            with open(spec.origin, "rb") as src:
                for line in src:
                    if line.startswith(b"__version__"):
                        return line.partition(b"=")[2].strip().strip(b"\"'").decode("ascii", "replace")
            stat = os.stat(spec.origin)
        except OSError:
            return "unreadable"
        return f"{spec.origin}:{stat.st_size}:{stat.st_mtime_ns}"

    seen: set[tuple[int, int]] = set()

    def walk(folder: str, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], int, int]]:
        # Bytecode caches are left out: they change on every import of changed code.
        # Symlinked folders are followed (a checkout links schemas/ in), once each.
        found: list[tuple[tuple[str, ...], int, int]] = []
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = (*prefix, entry.name)
                if entry.is_dir():
                    where = entry.stat()
                    if entry.name != "__pycache__" and (where.st_dev, where.st_ino) not in seen:
                        seen.add((where.st_dev, where.st_ino))
                        found.extend(walk(entry.path, rel))
                elif entry.is_file():
                    stat = entry.stat()
                    found.append((rel, stat.st_size, stat.st_mtime_ns))
        return found

    h = hashlib.blake2b(digest_size=16)
    h.update(f"{__version__}\0{sys.version}\0{yaml.__version__}\0{library_identity('jinja2')}\0".encode())
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    for rel, size, mtime_ns in sorted(walk(package, ())):
        h.update(f"{'/'.join(rel)}\0{size}\0{mtime_ns}\n".encode())
    return h.hexdigest()


def _records_dir(source: GitSource) -> Path | None:
    from gitfleet.git.source import cache_root

    if source.repo is None:
        return None
    where = os.path.realpath(source.repo.path)
    return cache_root() / "render" / hashlib.sha256(where.encode()).hexdigest()[:16]
