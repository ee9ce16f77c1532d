"""Git adapter (the only package that imports pygit2): reading the fleet repo from a
working tree or any revision, mirroring remotes, and the status branch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitfleet._exports import export

if TYPE_CHECKING:
    from gitfleet.git.errors import GitSourceError, PushRejected, StatusBranchError
    from gitfleet.git.source import GitSource, open_source
    from gitfleet.git.statusbranch import StatusCommit, read_status_commit, record_status

__all__ = [
    "GitSource", "GitSourceError", "PushRejected", "StatusBranchError", "StatusCommit", "open_source",
    "read_status_commit", "record_status",
]
_HOMES = {
    "GitSourceError": "errors", "PushRejected": "errors", "StatusBranchError": "errors",
    "GitSource": "source", "open_source": "source", "StatusCommit": "statusbranch",
    "read_status_commit": "statusbranch", "record_status": "statusbranch",
}


def __getattr__(name: str) -> Any:
    return export(__name__, _HOMES, name)
