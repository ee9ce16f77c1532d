"""The cluster tier: real kube-apiserver and etcd processes on loopback, started once
per session by the fixture of :mod:`gitfleet.testing.pytest_plugin`; the ``kube`` and
``ns`` fixtures are in ``tests/conftest.py``, shared with the reconciler tests."""
