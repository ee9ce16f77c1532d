"""The terminal format of ``gitfleet diff``: deletions first and loud, a unified diff
per changed object, ANSI colour only when asked (the CLI asks on a terminal)."""

from __future__ import annotations

from gitfleet.diff.model import ClusterDiff, PlanDiff

_RED, _GREEN, _YELLOW, _CYAN, _BOLD, _RESET = "\033[31m", "\033[32m", "\033[33m", "\033[36m", "\033[1m", "\033[0m"


def summary_line(diff: PlanDiff) -> str:
    t = diff.totals
    if not diff.has_changes:
        return f"no differences between {diff.base_label} and {diff.head_label}"
    return (f"{diff.base_label} → {diff.head_label}: {t.removed} removed, {t.added} added, {t.changed} changed"
            f" on {t.clusters} cluster(s); {len(diff.placements)} placement change(s)")


def prune_guard_text(c: ClusterDiff, max_fraction: float) -> str:
    return (f"prune guard: deletes {len(c.removed)} of {c.base_count} objects ({c.prune_fraction:.0%}),"
            f" more than maxPruneFraction {max_fraction:.0%}; apply would stop before deleting on {c.cluster}")


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text

    def diff_line(self, line: str) -> str:
        if line.startswith(("+++", "---")):
            return self(_BOLD, line)
        if line.startswith("+"):
            return self(_GREEN, line)
        if line.startswith("-"):
            return self(_RED, line)
        if line.startswith("@@"):
            return self(_CYAN, line)
        return line


def _cluster(c: ClusterDiff, diff: PlanDiff, paint: _Paint) -> list[str]:
    title = (f"cluster {c.cluster}: {len(c.removed)} removed, {len(c.added)} added, {len(c.changed)} changed"
             f" ({c.base_count} → {c.head_count} objects)")
    if c.state:
        title += f" [{c.state}]"
    lines = [paint(_BOLD, title)]
    if c.prune_guard:
        lines.append("  " + paint(_RED + _BOLD, f"! prune guard: {c.prune_fraction:.0%} of the objects deleted"
                                                f" (maxPruneFraction {diff.max_prune_fraction:.0%})"))
    for failure in c.failures:
        lines.append("  " + paint(_RED, f"! cannot render {failure}"))
    for change in c.removed:
        lines.append("  " + paint(_RED, f"- {change.key}"))
        if change.goes_with:
            lines.append(paint(_RED, f"      deletes with it: {', '.join(change.goes_with)}"))
    for change in c.added + c.changed:
        mark, code = ("+", _GREEN) if change.action == "added" else ("~", _YELLOW)
        lines.append("  " + paint(code, f"{mark} {change.key}"))
        lines.extend("      " + paint.diff_line(line) for line in change.diff.splitlines())
    return lines


def format_text(diff: PlanDiff, color: bool = False) -> str:
    paint = _Paint(color)
    lines = [paint(_BOLD, summary_line(diff))]
    guarded = [c for c in diff.clusters if c.prune_guard]
    for c in guarded:
        lines.append(paint(_RED + _BOLD, "! " + prune_guard_text(c, diff.max_prune_fraction)))
    if diff.placements:
        lines += ["", paint(_BOLD, "placements:")]
        lines += [f"  {p.resource}: {p.text}" for p in diff.placements]
    if diff.new_warnings:
        lines += ["", paint(_BOLD, "new warnings:")]
        lines += [f"  {paint(_YELLOW, w)}" for w in diff.new_warnings]
    for c in diff.clusters:
        lines.append("")
        lines += _cluster(c, diff, paint)
    return "\n".join(lines) + "\n"
