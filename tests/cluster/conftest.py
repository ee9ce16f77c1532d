"""The cluster tier: real kube-apiserver and etcd processes on loopback, started once
per session by :mod:`gitfleet.testing.pytest_plugin`."""

pytest_plugins = ["gitfleet.testing.pytest_plugin"]
