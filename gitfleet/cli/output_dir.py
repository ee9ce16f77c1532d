"""``render --output-dir DIR``: writing the status-branch layout into a folder.

The file names come from the fleet repo, which is untrusted. The loader refuses names
the API server would refuse and :func:`gitfleet.status.layout.manifest_path` refuses
any component that would leave its folder; this module checks again where the bytes
hit the disk (every path must stay inside DIR once resolved, no file is written
through a symlink), and refuses a DIR that is not a folder gitfleet may replace with
a message instead of a traceback.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from gitfleet.cli import exitcodes
from gitfleet.cli.common import CommandError
from gitfleet.status.layout import check_relative_path

RENDER_MARKER = "placements.yaml"
# Linux's limits, used where the file system does not say (pathconf unsupported).
DEFAULT_NAME_MAX = 255
DEFAULT_PATH_MAX = 4096
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _limit(folder: Path, name: str, default: int) -> int:
    try:
        return os.pathconf(folder, name)
    except (OSError, ValueError):
        return default


def _check_target(target: Path) -> None:
    """DIR must be a folder or not exist yet, and not be a symlink; every existing
    ancestor must be a folder."""
    if target.is_symlink():
        raise CommandError(f"{target} is a symbolic link; give the folder itself as --output-dir")
    if target.exists() and not target.is_dir():
        raise CommandError(f"{target} exists and is not a folder; --output-dir needs a folder")
    for parent in target.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise CommandError(f"{parent} is not a folder, so {target} cannot be created below it")
            break
        if parent.is_symlink():  # a dangling link on the way: creating DIR would follow it
            raise CommandError(f"{parent} is a broken symbolic link, so {target} cannot be created below it")
    if target.is_dir() and any(target.iterdir()) and not (target / RENDER_MARKER).is_file():
        raise CommandError(
            f"{target} exists, is not empty and is not a gitfleet render (no {RENDER_MARKER});"
            " refusing to replace it"
        )


def _check_names(files: Mapping[str, bytes], staging: Path) -> None:
    """Every path is safe (no ``..``, no empty or control-character component) and fits
    the file system's name and path length limits, before anything is written."""
    name_max = _limit(staging, "PC_NAME_MAX", DEFAULT_NAME_MAX)
    path_max = _limit(staging, "PC_PATH_MAX", DEFAULT_PATH_MAX)
    base = len(os.fsencode(staging)) + 1
    for rel in sorted(files):
        check_relative_path(rel)
        for part in rel.split("/"):
            if len(os.fsencode(part)) > name_max:
                raise CommandError(
                    f"cannot write {rel[:120]!r}: the name {part[:80]!r}... is {len(os.fsencode(part))} bytes,"
                    f" more than this file system allows ({name_max}); shorten the resource's name or"
                    " use render --commit (Git trees have no such limit)", exitcodes.INVALID)
        if base + len(os.fsencode(rel)) >= path_max:
            raise CommandError(f"cannot write {rel[:120]!r}: the path is longer than this file system allows"
                               f" ({path_max} bytes)", exitcodes.INVALID)


def _write_files(files: Mapping[str, bytes], staging: Path) -> None:
    root = os.path.realpath(staging)
    made: set[Path] = set()
    for rel, data in files.items():
        path = staging / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        # Defence in depth: the components were checked, and this folder is new and
        # only gitfleet writes into it; the resolved path must still be inside.
        if os.path.commonpath([root, os.path.realpath(path.parent)]) != root:
            raise CommandError(f"refusing to write {rel!r}: it resolves outside {staging}", exitcodes.INVALID)
        fd = os.open(path, _WRITE_FLAGS, 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(data)


def write_tree(files: Mapping[str, bytes], target: Path) -> None:
    """Replace ``target`` with exactly ``files``, atomically enough that a crash leaves
    either the old render or the new one, and never deletes a folder gitfleet did not
    write. Raises :class:`CommandError` (no traceback) for a DIR that cannot be one."""
    _check_target(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise CommandError(f"cannot create {target}: {exc.strerror}") from None
    try:
        _check_names(files, staging)
        _write_files(files, staging)
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old)
        else:
            staging.rename(target)
    except OSError as exc:
        code = exitcodes.INVALID if exc.errno == errno.ENAMETOOLONG else exitcodes.USAGE
        where = f" ({exc.filename})" if exc.filename else ""
        raise CommandError(f"cannot write {target}: {exc.strerror}{where}", code) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging)
