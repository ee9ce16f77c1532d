"""The pull-request comment format of ``gitfleet diff``: a hidden marker (so a CI job
can find and update its one comment), a summary table first, then one collapsible
section per cluster. GitHub refuses comments over 65,536 characters, so the output is
cut to stay under :data:`DEFAULT_LIMIT`, with a note saying what was left out.

Everything that comes from the repo or the command line (resource keys, cluster names,
messages, labels, revision names) is untrusted: a name must not print a bold "LGTM",
open an HTML comment that hides the deletions, ping a team or break the table. Keys
go into code spans whose fence is longer than any backtick run inside; other text is
escaped as Markdown (``_text``) or as HTML inside ``<summary>`` (``_html``); line
breaks and invisible or bidirectional control characters are shown, never obeyed.
"""

from __future__ import annotations

import html
import re

from gitfleet.diff.model import ClusterDiff, PlanDiff
from gitfleet.diff.text import prune_guard_text, summary_line

MARKER = "<!-- gitfleet-diff -->"
DEFAULT_LIMIT = 60_000
# Room kept for the truncation note, so adding it never breaks the limit.
_NOTE_ROOM = 400


# Line breaks would end a list item or a table row; the others are invisible or
# reorder text (U+202E shows "exe.txt" as "txt.exe"): all are shown as code points.
_UNSEEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
_MARKDOWN_PUNCT = re.compile(r"([\\`*_\[\]<>|#~&!])")


def _shown(text: str) -> str:
    return _UNSEEN.sub(lambda m: "␤" if m.group() in "\r\n" else f"\\u{ord(m.group()):04x}", text)


def _text(text: str) -> str:
    """Untrusted text as literal Markdown: no emphasis, link, heading, quote, table
    cell break, HTML or comment, and no @mention."""
    escaped = _MARKDOWN_PUNCT.sub(r"\\\1", _shown(text)).replace("@", "@\u2060")
    # A space next to a ** would keep it from closing the bold it is in.
    stripped = escaped.strip(" ")
    if stripped == escaped:
        return escaped
    lead = len(escaped) - len(escaped.lstrip(" "))
    trail = len(escaped) - len(escaped.rstrip(" "))
    return "&#32;" * lead + stripped + "&#32;" * trail


def _code(text: str, table: bool = False) -> str:
    """Untrusted text as a code span: literal whatever it holds. In a table a ``|``
    still splits the cell (GFM), so it is escaped there too."""
    text = _shown(text)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    if text.startswith(("`", " ")) or text.endswith(("`", " ")):
        text = f" {text} "
    if table:
        text = text.replace("|", "\\|")
    return f"{ticks}{text}{ticks}"


def _html(text: str) -> str:
    """Untrusted text inside an HTML element (``<summary>``)."""
    return html.escape(_shown(text), quote=True).replace("@", "@\u2060")


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
            notes.append(_text(c.state))
        rows.append(f"| {_text(c.cluster)} | {len(c.removed)} | {len(c.added)} | {len(c.changed)} |"
                    f" {c.base_count} → {c.head_count} | {'; '.join(notes)} |")
    t = diff.totals
    rows.append(f"| **total** | **{t.removed}** | **{t.added}** | **{t.changed}** | | |")
    return "\n".join(rows) + "\n"


def _header(diff: PlanDiff) -> str:
    parts = [MARKER, f"### gitfleet diff\n\n{_text(summary_line(diff))}\n"]
    guarded = [c for c in diff.clusters if c.prune_guard]
    if guarded:
        lines = ["> [!WARNING]"] + [f"> **{_text(prune_guard_text(c, diff.max_prune_fraction))}**  " for c in guarded]
        parts.append("\n".join(lines) + "\n")
    if diff.clusters:
        parts.append(_table(diff))
    return "\n".join(parts)


def _placements(diff: PlanDiff, budget: int) -> str:
    if not diff.placements:
        return ""
    out = "\n**Placements**\n\n"
    for i, p in enumerate(diff.placements):
        line = f"- {_code(p.resource)}: {_text(p.text)}\n"
        if len(out) + len(line) > budget:
            return out + f"- … and {len(diff.placements) - i} more placement change(s)\n"
        out += line
    return out


def _warnings(diff: PlanDiff) -> str:
    if not diff.new_warnings:
        return ""
    return "\n**New warnings**\n\n" + "".join(f"- {_text(w)}\n" for w in diff.new_warnings)


def _section(c: ClusterDiff, with_diffs: bool) -> str:
    summary = f"<b>{_html(c.cluster)}</b>: −{len(c.removed)} +{len(c.added)} ~{len(c.changed)}"
    if c.prune_guard:
        summary += " ⚠️ prune guard"
    out = [f"\n<details><summary>{summary}</summary>\n"]
    if c.failures:
        out.append("**Cannot render**\n" + "".join(f"- {_text(f)}\n" for f in c.failures))
    if c.removed:
        lines = []
        for change in c.removed:
            line = f"- {_code(change.key)}"
            if change.goes_with:
                line += " — deletes with it: " + ", ".join(_code(k) for k in change.goes_with)
            lines.append(line + "\n")
        out.append("**Removed**\n\n" + "".join(lines))
    for title, changes in (("Added", c.added), ("Changed", c.changed)):
        if not changes:
            continue
        if with_diffs:
            out.append(f"**{title}**\n\n" + _fence("".join(ch.diff for ch in changes)))
        else:
            out.append(f"**{title}** (diff left out for length)\n\n" + "".join(f"- {_code(ch.key)}\n" for ch in changes))
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
