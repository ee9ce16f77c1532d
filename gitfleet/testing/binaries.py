"""Finding the etcd and kube-apiserver binaries the local test clusters run.

No registry ships a prebuilt kube-apiserver, so ``scripts/install-test-clusters.sh``
builds one from Debian's source package and caches it; this module looks there, in the
places the environment names, and on ``PATH``, and says what to do when it is missing.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from gitfleet.errors import GitfleetError

INSTALL_HINT = "run scripts/install-test-clusters.sh (installs etcd and builds kube-apiserver once)"


class BinariesMissing(GitfleetError):
    """etcd or kube-apiserver cannot be found."""


@dataclass(frozen=True)
class Binaries:
    etcd: Path
    kube_apiserver: Path


def cache_dir() -> Path:
    """Where the install script caches what it builds (``GITFLEET_CACHE``)."""
    return Path(os.environ.get("GITFLEET_CACHE") or Path.home() / ".cache" / "gitfleet")


def _find(env_var: str, name: str, cached: Path) -> Path | None:
    named = os.environ.get(env_var)
    if named:
        path = Path(named)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    if cached.is_file() and os.access(cached, os.X_OK):
        return cached
    found = shutil.which(name)
    return Path(found) if found else None


def find_binaries() -> Binaries:
    """The binaries to run, from ``GITFLEET_ETCD`` / ``GITFLEET_KUBE_APISERVER``, the
    install script's cache, or ``PATH``. Raises :class:`BinariesMissing` naming each
    one that is missing and how to get it."""
    etcd = _find("GITFLEET_ETCD", "etcd", cache_dir() / "bin" / "etcd")
    apiserver = _find("GITFLEET_KUBE_APISERVER", "kube-apiserver", cache_dir() / "bin" / "kube-apiserver")
    missing = [name for name, path in (("etcd", etcd), ("kube-apiserver", apiserver)) if path is None]
    if missing:
        raise BinariesMissing(
            f"cannot find {' and '.join(missing)} (looked at GITFLEET_ETCD/GITFLEET_KUBE_APISERVER,"
            f" {cache_dir() / 'bin'} and PATH): {INSTALL_HINT}"
        )
    assert etcd is not None and apiserver is not None
    return Binaries(etcd=etcd, kube_apiserver=apiserver)
