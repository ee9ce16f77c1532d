"""Fixtures shared by every tier: the real member clusters (one set per test session,
started on first use) come from gitfleet's own pytest plugin, as users' tests get them."""

pytest_plugins = ["gitfleet.testing.pytest_plugin"]
