"""Errors of the Git adapter. Messages never hold a credential: URLs are shown with
their user-info part redacted."""

from __future__ import annotations

from gitfleet.errors import GitfleetError


class GitSourceError(GitfleetError):
    """The fleet repo could not be opened, fetched or read at a revision."""


class StatusBranchError(GitfleetError):
    """The status branch could not be read or written."""


class PushRejected(StatusBranchError):
    """The remote kept refusing the status commit (another writer kept winning) after
    the bounded number of fetch-rebuild-retry rounds. The remote branch is unharmed."""
