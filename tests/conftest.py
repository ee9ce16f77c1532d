"""Fixtures shared by every tier: the real member clusters (one set per test session,
started on first use) come from gitfleet's own pytest plugin, as users' tests get them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["gitfleet.testing.pytest_plugin"]

# The binaries stay where scripts/install-test-clusters.sh cached them, even though
# each test gets a cache folder of its own below.
_BINARY = Path(os.environ.get("GITFLEET_CACHE") or Path.home() / ".cache" / "gitfleet") / "bin" / "kube-apiserver"
if "GITFLEET_KUBE_APISERVER" not in os.environ and _BINARY.exists():
    os.environ["GITFLEET_KUBE_APISERVER"] = str(_BINARY)


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gitfleet-cache")


@pytest.fixture(autouse=True)
def _private_cache(_session_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Render records and mirrors go to the test session's folder, never the user's."""
    monkeypatch.setenv("GITFLEET_CACHE", str(_session_cache))
