"""Telling a Git URL from a folder, without importing pygit2 (commands that read a
folder as it is on disk never load libgit2)."""

from __future__ import annotations

import re

_SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:")


def is_remote_url(spec: str) -> bool:
    """A URL (``https://``, ``git://``, ``ssh://``, ``file://``) or scp-like ``user@host:path``."""
    return "://" in spec or bool(_SCP_LIKE.match(spec))
