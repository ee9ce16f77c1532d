"""``gitfleet render --commit``: record a render on the status branch. The render
command calls :func:`commit_render`; this module knows which source commit it was."""

from __future__ import annotations

from gitfleet.cli.common import CommandError
from gitfleet.git.source import open_source
from gitfleet.git.statusbranch import commit_status
from gitfleet.model.plan import Plan
from gitfleet.status.layout import plan_to_tree


def commit_render(repo_path: str, rev: str | None, plan: Plan, branch: str, push: bool) -> str | None:
    """Commit ``plan`` (rendered from ``repo_path`` at ``rev``, or from the working tree
    when ``rev`` is None) to ``branch``; the new commit's SHA, or None when the render is
    unchanged. A working tree with uncommitted edits is recorded against HEAD and marked
    ``Gitfleet-Dirty: true``."""
    source = open_source(repo_path, fetch=False)
    if rev is not None:
        sha, dirty = source.resolve(rev), False
    else:
        head = source.head_sha()
        if head is None:
            raise CommandError(f"{repo_path} has no commit yet: commit the fleet repo before --commit", 1)
        sha, dirty = head, source.is_dirty()
    summary = source.commit(sha).message
    return commit_status(source, branch, plan_to_tree(plan), sha, push=push, summary=summary, dirty=dirty)
