"""Packing the loose objects of a repository gitfleet owns (a remote's mirror in the
cache folder).

Every status commit adds loose objects: the changed manifests and every tree above
them (a one-template change on the 200-cluster bench fleet adds ~100 new ones, clusters
with the same content sharing theirs), each its own file of at least one disk block. git packs them with ``git gc --auto``; libgit2 never does, so a
reconciler running for months would fill its cache volume with millions of small files
and slow every lookup. Past git's own threshold, this moves them into one pack.

Only repositories nobody else writes to are touched: a user's own repository is left to
git. Packing is crash-safe: the loose copies are deleted only after libgit2 wrote the
pack and its index, and an object is readable from one or the other throughout.
"""

from __future__ import annotations

import logging
import os
import string
from pathlib import Path

import pygit2

log = logging.getLogger(__name__)

LOOSE_OBJECTS_AUTO = 6700  # git's gc.auto default
_HEX = frozenset(string.hexdigits.lower())
_SAMPLE_FOLDER = "17"  # git estimates from one of the 256 fan-out folders, this one


def _is_hex(name: str) -> bool:
    return set(name) <= _HEX


def estimate_loose_objects(repo: pygit2.Repository) -> int:
    """Roughly how many loose objects ``repo`` holds, counted the way ``git gc --auto``
    does: the files of one fan-out folder, times 256."""
    try:
        with os.scandir(Path(repo.path) / "objects" / _SAMPLE_FOLDER) as entries:
            return 256 * sum(1 for e in entries if len(e.name) == 38 and _is_hex(e.name))
    except FileNotFoundError:
        return 0


def loose_objects(repo: pygit2.Repository) -> list[tuple[pygit2.Oid, Path]]:
    """Every loose object of ``repo`` and its file."""
    found = []
    root = Path(repo.path) / "objects"
    with os.scandir(root) as folders:
        for folder in folders:
            if len(folder.name) != 2 or not _is_hex(folder.name) or not folder.is_dir():
                continue
            with os.scandir(folder.path) as files:
                for entry in files:
                    if len(entry.name) == 38 and _is_hex(entry.name):
                        found.append((pygit2.Oid(hex=folder.name + entry.name), Path(entry.path)))
    return found


def pack_loose_objects(repo: pygit2.Repository) -> int:
    """Move every loose object of ``repo`` into one new pack; how many were moved."""
    loose = loose_objects(repo)
    if not loose:
        return 0
    builder = pygit2.PackBuilder(repo)
    for oid, _ in loose:
        builder.add(oid)
    builder.write()  # objects/pack/pack-<hash>.pack and .idx, complete when it returns
    folders = set()
    for _, path in loose:
        path.unlink(missing_ok=True)
        folders.add(path.parent)
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty: a loose object written meanwhile stays for next time
            pass
    log.info("packed %d loose objects of %s", len(loose), repo.path)
    return len(loose)


def pack_if_needed(repo: pygit2.Repository, limit: int | None = None) -> int:
    """:func:`pack_loose_objects` once the estimate passes ``limit`` (default
    :data:`LOOSE_OBJECTS_AUTO`); else 0."""
    if estimate_loose_objects(repo) <= (LOOSE_OBJECTS_AUTO if limit is None else limit):
        return 0
    return pack_loose_objects(repo)
