"""Hostile input to ``gitfleet agent``: the member name becomes a branch and a path, the
interval a sleep, and the config file comes from whoever deploys the agent. Each is
refused with exit 1 (2 for the command line's usage), a message naming where, and no
traceback; nothing is fetched or applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.hostile import assert_no_traceback, run_cli


@pytest.mark.parametrize(("argv", "config", "needle"), [
    (["--cluster", "../etc"], None, "at /cluster"),
    (["--cluster", "a/b"], None, "at /cluster"),
    (["--cluster", "edge\nevent=forged"], None, "at /cluster"),
    (["--cluster", "x" * 300], None, "at /cluster"),
    (["--cluster", "edge", "--interval", "1e400"], None, "at /interval"),
    (["--cluster", "edge", "--interval", "-5"], None, "at /interval"),
    ([], "repo: REPO\ncluster: ../../x\n", "agent.yaml:2:1: at /cluster"),
    ([], "repo: REPO\ncluster: edge\ninterval: 99999999999999999999999\n", "agent.yaml:3:11"),
    ([], "repo: REPO\ncluster: edge\nlisten: 'a:b:c'\n", "at /listen"),
    ([], "- not\n- a mapping\n", "agent.yaml:1:1"),
])
def test_hostile_agent_input_is_refused(tmp_path: Path, argv: list[str], config: str | None, needle: str) -> None:
    args = ["agent", "--repo", str(tmp_path), "--once", *argv]
    if config is not None:
        path = tmp_path / "agent.yaml"
        path.write_text(config.replace("REPO", str(tmp_path)))
        args = ["agent", "--config", str(path), "--once"]
    code, out, err = run_cli(args)
    assert code == 1, (code, out, err)
    assert needle in err, err
    assert_no_traceback(out, err)
    assert not any(line.startswith("event=forged") for line in err.splitlines())  # a newline forges no log line


def test_a_member_without_a_context_is_an_error_that_says_so(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    code, out, err = run_cli(["agent", "--cluster", "edge", "--repo", str(tmp_path), "--kubeconfig",
                              str(kubeconfig), "--once"])
    assert code == 3 and "internal error" not in out + err, (out, err)
    assert_no_traceback(out, err)
