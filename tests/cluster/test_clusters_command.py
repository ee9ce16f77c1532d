"""``gitfleet clusters up``: local members in the foreground, stopped cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitfleet.kube import KubeClient, Unreachable, connect
from gitfleet.model.cluster import Cluster
from gitfleet.testing import LocalClusters

# One xdist worker runs the whole tier, so one set of member clusters serves it.
pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]
ROOT = Path(__file__).resolve().parents[2]


def test_clusters_up_runs_until_sigterm(tmp_path: Path, member_clusters: LocalClusters) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from gitfleet.cli.main import main; sys.exit(main())",
         "clusters", "up", "--name", "solo", "--kubeconfig", str(kubeconfig)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 150
        while not kubeconfig.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kubeconfig.exists(), "no kubeconfig in time" if proc.poll() is None else proc.communicate()[1]
        assert [c["name"] for c in json.loads(kubeconfig.read_text())["contexts"]] == ["solo"]
        client = connect([Cluster("solo")], kubeconfig)["solo"]
        assert isinstance(client, KubeClient)
        assert client.server_version().startswith("v1.20")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
    stderr = proc.stderr.read() if proc.stderr else ""
    assert code == 0, stderr
    assert "stopping" in stderr and not kubeconfig.exists()
    with pytest.raises(Unreachable):
        client.server_version()
