"""Fixtures of the reconciler tests: a fleet repo in Git made with pygit2, and the
real member clusters of :mod:`gitfleet.testing.pytest_plugin`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fleetrepo import FleetRepo


@pytest.fixture
def fleet_repo(tmp_path: Path) -> FleetRepo:
    return FleetRepo(tmp_path / "fleet")
