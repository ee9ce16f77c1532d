"""Mapping lines of a rendered Jinja2 template back to the template file.

Jinja2 keeps no source map, so the rendered text is aligned with the template line
by line: unchanged lines map exactly, a line produced by an expression maps to the
template line it came from, and lines from a loop map to the loop's first line.
Good enough to point a YAML error at the right place in the ``.j2`` file.
"""

from __future__ import annotations

import difflib
from functools import cached_property


class LineMap:
    def __init__(self, source: str, rendered: str) -> None:
        self._source = source.splitlines()
        self._rendered = rendered.splitlines()

    @cached_property
    def _table(self) -> list[int]:
        """0-based rendered line -> 0-based source line."""
        if len(self._source) == len(self._rendered):
            return list(range(len(self._rendered)))
        table = [0] * len(self._rendered)
        matcher = difflib.SequenceMatcher(None, self._source, self._rendered, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            for j in range(j1, j2):
                if tag == "equal":
                    table[j] = i1 + (j - j1)
                elif i2 > i1:
                    table[j] = i1 + min(j - j1, i2 - i1 - 1)
                else:  # inserted lines (a loop's output): the line before them
                    table[j] = max(i1 - 1, 0)
        return table

    def source_col(self, rendered_line: int, col: int) -> int:
        """``col`` when the rendered line is the template line unchanged, else 1."""
        idx = rendered_line - 1
        src = self.source_line(rendered_line) - 1
        if 0 <= idx < len(self._rendered) and src < len(self._source) and self._rendered[idx] == self._source[src]:
            return col
        return 1

    def source_line(self, rendered_line: int) -> int:
        """1-based rendered line -> 1-based template line."""
        idx = rendered_line - 1
        if 0 <= idx < len(self._table):
            return self._table[idx] + 1
        return max(len(self._source), 1)
