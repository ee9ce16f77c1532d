"""The agent's configuration: a file checked against ``agent-config.json`` at
``path:line:col``, flags over it, and what it must name."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitfleet.reconcile.agent import load_agent_config
from gitfleet.reconcile.config import ConfigFileError


@pytest.mark.parametrize(("text", "flags", "message"), [
    ("repo: git://h/f.git\n", {}, "needs 'cluster'"),
    ("cluster: edge\n", {}, "needs 'repo'"),
    ("repo: git://h/f.git\ncluster: edge\ncolour: red\n", {}, "agent.yaml:1:1: at /: Additional properties"),
    ("repo: git://h/f.git\ncluster: edge\ninterval: soon\n", {}, "agent.yaml:3:1: at /interval"),
    ("repo: git://h/f.git\ncluster: edge\n---\nx: 1\n", {}, "agent.yaml:4:1: the agent config is one YAML document"),
    ("repo: [unclosed\n", {}, "not valid YAML"),
])
def test_bad_configs_say_where(tmp_path: Path, text: str, flags: dict[str, object], message: str) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    with pytest.raises(ConfigFileError) as err:
        load_agent_config(str(path), flags)
    assert message in str(err.value)


def test_flags_override_the_file_and_defaults_fill_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text("repo: git://h/f.git\ncluster: edge\ninterval: 30s\n")
    config = load_agent_config(str(path), {"cluster": "edge-2", "interval": None, "dryRun": True})
    assert (config.settings.cluster, config.settings.repo, config.interval) == ("edge-2", "git://h/f.git", 30.0)
    assert config.settings.dry_run is True and config.settings.kubeconfig is None
    only_flags = load_agent_config(None, {"repo": "git://h/f.git", "cluster": "edge"})
    assert only_flags.interval is None and only_flags.listen.endswith(":8080")
