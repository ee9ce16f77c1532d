"""The pull-request comment format of ``gitfleet diff``: a hidden marker (so a CI job
can find and update its one comment), a summary table first, then one collapsible
section per cluster. GitHub refuses comments over 65,536 characters, so the output is
cut to stay under :data:`DEFAULT_LIMIT`, with a note saying what was left out."""

from __future__ import annotations

import re

from gitfleet.diff.model import ClusterDiff, PlanDiff
from gitfleet.diff.text import prune_guard_text, summary_line

MARKER = "<!-- gitfleet-diff -->"
DEFAULT_LIMIT = 60_000
# Room kept for the truncation note, so adding it never breaks the limit.
_NOTE_ROOM = 400


def _fence(body: str, lang: str = "diff") -> str:
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{body}{'' if body.endswith(chr(10)) else chr(10)}{ticks}\n"


def _table(diff: PlanDiff) -> str:
    rows = ["| cluster | removed | added | changed | objects | |", "|---|--:|--:|--:|--:|---|"]
    for c in diff.clusters:
        notes = []
        if c.prune_guard:
            notes.append(f"⚠️ prune guard ({c.prune_fraction:.0%})")
        if c.failures:
            notes.append(f"❌ {len(c.failures)} failure(s)")
        if c.state:
            notes.append(c.state)
        rows.append(f"| {c.cluster} | {len(c.removed)} | {len(c.added)} | {len(c.changed)} |"
                    f" {c.base_count} → {c.head_count} | {'; '.join(notes)} |")
    t = diff.totals
    rows.append(f"| **total** | **{t.removed}** | **{t.added}** | **{t.changed}** | | |")
    return "\n".join(rows) + "\n"


def _header(diff: PlanDiff) -> str:
    parts = [MARKER, f"### gitfleet diff\n\n{summary_line(diff)}\n"]
    guarded = [c for c in diff.clusters if c.prune_guard]
    if guarded:
        lines = ["> [!WARNING]"] + [f"> **{prune_guard_text(c, diff.max_prune_fraction)}**  " for c in guarded]
        parts.append("\n".join(lines) + "\n")
    if diff.clusters:
        parts.append(_table(diff))
    return "\n".join(parts)


def _placements(diff: PlanDiff, budget: int) -> str:
    if not diff.placements:
        return ""
    out = "\n**Placements**\n\n"
    for i, p in enumerate(diff.placements):
        line = f"- `{p.resource}`: {p.text}\n"
        if len(out) + len(line) > budget:
            return out + f"- … and {len(diff.placements) - i} more placement change(s)\n"
        out += line
    return out


def _warnings(diff: PlanDiff) -> str:
    if not diff.new_warnings:
        return ""
    return "\n**New warnings**\n\n" + "".join(f"- {w}\n" for w in diff.new_warnings)


def _section(c: ClusterDiff, with_diffs: bool) -> str:
    summary = f"<b>{c.cluster}</b>: −{len(c.removed)} +{len(c.added)} ~{len(c.changed)}"
    if c.prune_guard:
        summary += " ⚠️ prune guard"
    out = [f"\n<details><summary>{summary}</summary>\n"]
    if c.failures:
        out.append("**Cannot render**\n" + "".join(f"- {f}\n" for f in c.failures))
    if c.removed:
        lines = []
        for change in c.removed:
            line = f"- `{change.key}`"
            if change.goes_with:
                line += " — deletes with it: " + ", ".join(f"`{k}`" for k in change.goes_with)
            lines.append(line + "\n")
        out.append("**Removed**\n\n" + "".join(lines))
    for title, changes in (("Added", c.added), ("Changed", c.changed)):
        if not changes:
            continue
        if with_diffs:
            out.append(f"**{title}**\n\n" + _fence("".join(ch.diff for ch in changes)))
        else:
            out.append(f"**{title}** (diff left out for length)\n\n" + "".join(f"- `{ch.key}`\n" for ch in changes))
    out.append("</details>\n")
    return "\n".join(out)


def format_markdown(diff: PlanDiff, limit: int = DEFAULT_LIMIT) -> str:
    """The comment body; never longer than ``limit`` characters."""
    out = _header(diff)
    if not diff.has_changes:
        return out
    room = limit - _NOTE_ROOM
    out += _placements(diff, max(0, (room - len(out)) // 2))
    warnings = _warnings(diff)
    if len(out) + len(warnings) <= room:
        out += warnings
    shortened = left_out = 0
    for c in diff.clusters:
        section = _section(c, with_diffs=True)
        if len(out) + len(section) > room:
            section = _section(c, with_diffs=False)
            shortened += 1
        if len(out) + len(section) > room:
            left_out += 1
            shortened -= 1
            continue
        out += section
    if shortened or left_out:
        notes = []
        if shortened:
            notes.append(f"the diffs of {shortened} cluster(s) were left out")
        if left_out:
            notes.append(f"{left_out} cluster section(s) were left out")
        out += (f"\n> Truncated to stay under {limit:,} characters: {' and '.join(notes)}."
                " Run `gitfleet diff` locally, or use `--format json`, for everything.\n")
    return out[:limit]
