"""pytest plugin: a session-scoped ``member_clusters`` fixture with real member
clusters (see :mod:`gitfleet.testing.clusters`), for gitfleet's own cluster tier and
for users' CI. Enable it with ``pytest_plugins = ["gitfleet.testing.pytest_plugin"]`` in a
root conftest, ``-p gitfleet.testing.pytest_plugin``, or by importing the fixture into a
conftest.

The tier is not optional: when etcd or kube-apiserver is missing, every test that
needs the fixture fails with a message saying how to install them. A developer can
opt out with ``GITFLEET_SKIP_CLUSTER_TESTS=1`` (honoured only outside CI, where
``CI`` is set), which skips those tests instead.

``GITFLEET_MEMBER_CLUSTERS`` sets how many members start (default 2).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from gitfleet.testing.binaries import BinariesMissing, find_binaries
from gitfleet.testing.clusters import LocalClusters

OPT_OUT_ENV = "GITFLEET_SKIP_CLUSTER_TESTS"
COUNT_ENV = "GITFLEET_MEMBER_CLUSTERS"


def opted_out(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """The developer's opt-out, which CI never honours."""
    return environ.get(OPT_OUT_ENV, "") not in ("", "0") and not environ.get("CI")


@pytest.fixture(scope="session")
def member_clusters() -> Iterator[LocalClusters]:
    """Members ``member1``..``memberN`` sharing one etcd; ``.kubeconfig`` has one
    context per member. Shared by the whole session: tests must use their own
    namespaces or names, and restart a member they stop."""
    if opted_out():
        pytest.skip(f"cluster tier skipped on request ({OPT_OUT_ENV} is set)")
    try:
        binaries = find_binaries()
    except BinariesMissing as err:
        pytest.fail(f"{err}; to skip this tier on a developer machine set {OPT_OUT_ENV}=1", pytrace=False)
    count = int(os.environ.get(COUNT_ENV) or 2)
    clusters = LocalClusters([f"member{i}" for i in range(1, count + 1)], binaries=binaries)
    clusters.start()
    try:
        yield clusters
    finally:
        clusters.stop()
