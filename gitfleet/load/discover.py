"""Which files of a fleet repo are read (DESIGN.md §1).

The same rules apply to a folder on disk and to a Git tree, so ``validate`` on a
working copy and ``render --rev`` on a commit see the same input.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from gitfleet.errors import GitfleetError, Problem

FLEET_FILE = "fleet.yaml"
YAML_SUFFIXES = (".yaml", ".yml")
JINJA_SUFFIXES = (".yaml.j2", ".yml.j2")


def is_jinja(path: str) -> bool:
    return path.endswith(JINJA_SUFFIXES)


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a gitignore-like glob: ``*`` and ``?`` stay inside one path segment,
    ``**`` spans segments (``docs/**``, ``**/test-*.yaml``), ``[...]`` is a class."""
    pattern = pattern.strip().lstrip("/")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                out.append(re.escape(ch))
                i += 1
            else:
                body = pattern[i + 1:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
                i = end + 1
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("".join(out) + r"\Z")


def is_excluded(path: str, patterns: Iterable[str]) -> bool:
    """A path is excluded when a pattern matches it or one of its parent folders
    (so ``docs`` excludes everything below ``docs/``, as in ``.gitignore``)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for pattern in patterns:
        if not pattern.strip():
            continue
        regex = glob_regex(pattern)
        if any(regex.match(prefix) for prefix in prefixes):
            return True
    return False


def select_files(paths: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    """The fleet files among ``paths``, sorted: YAML and Jinja2-YAML files outside
    dot-folders (dot-files are skipped too), without ``fleet.yaml`` and the excluded."""
    patterns = tuple(exclude)
    chosen = []
    for path in paths:
        if path == FLEET_FILE or not path.endswith(YAML_SUFFIXES + JINJA_SUFFIXES):
            continue
        if any(part.startswith(".") for part in path.split("/")):
            continue
        if patterns and is_excluded(path, patterns):
            continue
        chosen.append(path)
    return sorted(chosen)


class NoFleetRepoError(GitfleetError):
    """The files read hold no fleet repo: no ``fleet.yaml`` and not one Cluster, policy
    or other Karmada or gitfleet document. Typically gitfleet was run in the wrong
    folder (a project root, where every YAML file of the tree would otherwise be
    reported as a bad resource template, or an empty folder, "valid: 0 files")."""

    def __init__(self, files: int, unreadable: Sequence[Problem] = (), where: str | None = None,
                 nested: Sequence[str] = (), typed: str = ".") -> None:
        self.files, self.unreadable, self.where, self.nested = files, tuple(unreadable), where, tuple(nested)
        place = f"in {where}" if where else "here"
        found = f"{files} YAML file(s) read" if files else "no YAML file"
        if self.nested:
            folders = ", ".join(self.nested[:3]) + (", ..." if len(self.nested) > 3 else "")
            message = (f"no fleet repo {place}: no {FLEET_FILE} here, but there is one in {folders} "
                       f"({found}); pass the fleet repo's folder, e.g. gitfleet validate "
                       f"{posixpath.normpath(posixpath.join(typed, self.nested[0]))}")
        else:
            message = (f"no fleet repo {place}: no {FLEET_FILE} and no Cluster or policy document "
                       f"({found}); pass the fleet repo's folder, e.g. gitfleet validate sample-repo")
        if self.unreadable:
            message += (f"\n{len(self.unreadable)} file(s) could not be read as YAML, such as "
                        f"{self.unreadable[0]}")
        super().__init__(message)

    def at(self, where: str, typed: str = ".") -> NoFleetRepoError:
        """The same error naming the folder ``where`` (which only the caller knows), whose
        hint starts from the path as the user ``typed`` it."""
        return NoFleetRepoError(self.files, self.unreadable, where, self.nested, typed)
