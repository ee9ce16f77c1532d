"""Write a tree of files as Git objects, starting from a previous tree, so that a small
change to a big fleet costs little: unchanged files are only hashed (never written
again), unchanged folders reuse the previous tree object as it is, and a file may be
given as the id of a blob already in the repository (an incremental render reuses the
previous status commit's blobs without dumping or hashing them again)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Union

import pygit2
from pygit2.enums import FileMode

from gitfleet.status.layout import check_relative_path

# A file's content, or the id of a blob that already holds it.
FileData = bytes | pygit2.Oid
_Node = dict[str, Union[FileData, None, "_Node"]]


def _nest(files: Mapping[str, FileData | None]) -> _Node:
    """Paths as nested folders; ``None`` (a removal, for ``update_tree``) is kept.
    A path with an unsafe component (``..``, empty, a control character) raises
    :class:`~gitfleet.status.layout.UnsafePathError` before anything is written."""
    root: _Node = {}
    for path, data in files.items():
        parts = check_relative_path(path).split("/")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise TypeError(f"{path}: {part} is both a file and a folder")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise TypeError(f"{path} is both a file and a folder")
        node[parts[-1]] = data
    return root


def _write(repo: pygit2.Repository, node: _Node, base: pygit2.Tree | None, written: set[pygit2.Oid]) -> pygit2.Oid:
    previous: dict[str, tuple[pygit2.Oid, int]] = {}
    if base is not None:
        previous = {str(e.name): (e.id, e.filemode) for e in base}
    entries: list[tuple[str, pygit2.Oid, int]] = []
    for name in sorted(node):
        child = node[name]
        old = previous.get(name)
        if isinstance(child, pygit2.Oid):
            entries.append((name, child, FileMode.BLOB))
        elif isinstance(child, bytes):
            oid = pygit2.hash(child)
            if (old is None or old[0] != oid) and oid not in written:
                # A render repeats the same manifest on many clusters: write each blob once
                # (libgit2 would otherwise touch the existing object file every time).
                repo.create_blob(child)
                written.add(oid)
            entries.append((name, oid, FileMode.BLOB))
        elif isinstance(child, dict):
            sub_base = None
            if old is not None and old[1] == FileMode.TREE:
                sub = repo[old[0]]
                assert isinstance(sub, pygit2.Tree)
                sub_base = sub
            entries.append((name, _write(repo, child, sub_base, written), FileMode.TREE))
        else:
            raise TypeError(f"{name}: a removal has no place in a whole tree")
    if base is not None and len(entries) == len(previous) and all(
        previous.get(name) == (oid, mode) for name, oid, mode in entries
    ):
        return base.id
    builder = repo.TreeBuilder()
    for name, oid, mode in entries:
        builder.insert(name, oid, mode)
    return builder.write()


def write_tree(repo: pygit2.Repository, files: Mapping[str, FileData], base: pygit2.Tree | None = None) -> pygit2.Oid:
    """The id of a tree holding exactly ``files`` (``{posix path: bytes or blob id}``),
    reusing ``base``'s blobs and subtrees where they are unchanged. A blob id must name
    a blob of ``repo`` (it is not checked: the caller took it from a tree of ``repo``)."""
    return _write(repo, _nest(files), base, set())


def _update(repo: pygit2.Repository, node: _Node, base: pygit2.Tree | None,
            written: set[pygit2.Oid]) -> pygit2.Oid | None:
    builder = repo.TreeBuilder(base) if base is not None else repo.TreeBuilder()
    for name, child in node.items():
        old = builder.get(name)
        if child is None:
            if old is not None:
                builder.remove(name)
        elif isinstance(child, dict):
            sub_base = None
            if old is not None and old.filemode == FileMode.TREE:
                sub = repo[old.id]
                assert isinstance(sub, pygit2.Tree)
                sub_base = sub
            oid = _update(repo, child, sub_base, written)
            if oid is None:
                if old is not None:
                    builder.remove(name)
            elif old is None or old.id != oid or old.filemode != FileMode.TREE:
                builder.insert(name, oid, FileMode.TREE)
        else:
            assert isinstance(child, (bytes, pygit2.Oid))
            oid = child if isinstance(child, pygit2.Oid) else pygit2.hash(child)
            if isinstance(child, bytes) and (old is None or old.id != oid) and oid not in written:
                repo.create_blob(child)
                written.add(oid)
            if old is None or old.id != oid or old.filemode != FileMode.BLOB:
                builder.insert(name, oid, FileMode.BLOB)
    if len(builder) == 0:
        return None  # Git has no empty folders: the parent drops this one
    return builder.write()


def update_tree(repo: pygit2.Repository, base: pygit2.Tree | None,
                changes: Mapping[str, FileData | None]) -> pygit2.Oid:
    """The id of ``base`` with ``changes`` (``{posix path: bytes, blob id, or None to
    remove}``) applied. Only the folders on the way to a change are written again, so
    the cost follows the size of the change, not of the tree; a folder left empty goes."""
    oid = _update(repo, _nest(changes), base, set())
    return oid if oid is not None else repo.TreeBuilder().write()


def blob_data(repo: pygit2.Repository, oid: pygit2.Oid) -> bytes:
    blob = repo[oid]
    assert isinstance(blob, pygit2.Blob)
    return blob.data


def blob_ids(repo: pygit2.Repository, tree: pygit2.Tree, under: str = "") -> dict[str, pygit2.Oid]:
    """Every blob below ``tree`` as ``{path: blob id}`` (paths prefixed with ``under``),
    without reading any blob."""
    out: dict[str, pygit2.Oid] = {}
    for entry in tree:
        path = f"{under}{entry.name}"
        if entry.filemode == FileMode.TREE:
            sub = repo[entry.id]
            assert isinstance(sub, pygit2.Tree)
            out.update(blob_ids(repo, sub, path + "/"))
        elif entry.filemode in (FileMode.BLOB, FileMode.BLOB_EXECUTABLE):
            out[path] = entry.id
    return out


def read_tree(repo: pygit2.Repository, tree: pygit2.Tree, under: str = "") -> dict[str, bytes]:
    """Every blob below ``tree`` as ``{path: bytes}`` (paths prefixed with ``under``)."""
    return {path: blob_data(repo, oid) for path, oid in blob_ids(repo, tree, under).items()}
