"""The run config: defaults, durations, relative paths, and every schema error
reported with where it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.kube.settings import ClientSettings
from gitfleet.reconcile.config import ConfigFileError, RunConfig, load_config, parse_config, seconds


@pytest.mark.parametrize(("environ", "listen"), [({}, "127.0.0.1:8080"),
                                                 ({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, "0.0.0.0:8080")],
                         ids=["outside-a-cluster", "in-a-pod"])
def test_default_listen(environ: dict[str, str], listen: str) -> None:
    assert parse_config({"repo": "r"}, environ=environ).listen == listen
    assert parse_config({"repo": "r", "listen": "127.0.0.2:1"}, environ=environ).listen == "127.0.0.2:1"


def test_defaults() -> None:
    config = parse_config({"repo": "https://example.com/fleet.git"}, environ={})
    assert config == RunConfig(repo="https://example.com/fleet.git")
    assert (config.revision, config.interval, config.drift_interval, config.listen) == (
        "HEAD", 60.0, 300.0, "127.0.0.1:8080")
    assert config.listen_address == ("127.0.0.1", 8080)


def test_every_field() -> None:
    config = parse_config({
        "repo": "git@example.com:acme/fleet.git", "revision": "main", "interval": "2m", "driftInterval": 90,
        "kubeconfig": "/etc/kube/config", "managementContext": "mgmt", "clusters": ["b", "a"],
        "statusBranch": "fleet/status", "pushStatus": True, "dryRun": True, "allowMassPrune": True,
        "listen": "[::1]:9090", "client": {"concurrency": 4, "qps": 0, "burst": 8},
    }, environ={})
    assert config == RunConfig(
        repo="git@example.com:acme/fleet.git", revision="main", interval=120.0, drift_interval=90.0,
        kubeconfig="/etc/kube/config", management_context="mgmt", clusters=("a", "b"),
        status_branch="fleet/status", push_status=True, dry_run=True, allow_mass_prune=True,
        listen="[::1]:9090", client=ClientSettings(concurrency=4, qps=0.0, burst=8),
    )
    assert config.listen_address == ("::1", 9090)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, "run.yaml: at /: 'repo' is a required property"),
        ([], "run.yaml: at /: [] is not of type 'object'"),
        ({"repo": ""}, "run.yaml: at /repo: '' should be non-empty"),
        ({"repo": "r", "interval": 0}, "run.yaml: at /interval: 0 is not valid under any of the given schemas"),
        ({"repo": "r", "interval": "5 minutes"},
         "run.yaml: at /interval: '5 minutes' is not valid under any of the given schemas"),
        ({"repo": "r", "pushStatus": "yes please"}, "run.yaml: at /pushStatus: 'yes please' is not of type 'boolean'"),
        ({"repo": "r", "clusters": ["a", "a"]}, "run.yaml: at /clusters: ['a', 'a'] has non-unique elements"),
        ({"repo": "r", "listen": "8080"}, "run.yaml: at /listen: '8080' does not match"),
        ({"repo": "r", "listen": "0.0.0.0:70000"}, "run.yaml: at /listen: port 70000 is above 65535"),
        ({"repo": "r", "client": {"concurrency": 0}}, "run.yaml: at /client/concurrency: 0 is less than the minimum"),
        ({"repo": "r", "intervall": 5},
         "run.yaml: at /: Additional properties are not allowed ('intervall' was unexpected)"),
    ],
    ids=["no-repo", "not-a-mapping", "empty-repo", "zero-interval", "bad-duration", "bool", "duplicate-cluster",
         "listen-no-host", "listen-port", "client-concurrency", "misspelt-key"],
)
def test_schema_errors(data: Any, expected: str) -> None:
    with pytest.raises(ConfigFileError) as err:
        parse_config(data, "run.yaml")
    assert str(err.value).startswith(expected)


def test_every_problem_is_reported_in_order() -> None:
    with pytest.raises(ConfigFileError) as err:
        parse_config({"repo": 3, "dryRun": "no", "interval": -1}, "run.yaml")
    assert [line.split(":")[1].strip() for line in str(err.value).splitlines()] == [
        "at /dryRun", "at /interval", "at /repo"]


@pytest.mark.parametrize(("text", "expected"), [("90s", 90.0), ("5m", 300.0), ("1h", 3600.0), ("0.5m", 30.0)],
                         ids=["seconds", "minutes", "hours", "fraction"])
def test_durations(text: str, expected: float) -> None:
    assert parse_config({"repo": "r", "interval": text}).interval == expected


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["s", "m", "h"]))
def test_duration_units_scale(n: int, unit: str) -> None:
    assert seconds(f"{n}{unit}") == n * seconds(f"1{unit}")


def test_load_config_resolves_paths_next_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "run.yaml"
    path.write_text("repo: ../fleet\nkubeconfig: kube/config\n")
    config = load_config(path)
    assert config.repo == str(tmp_path / "fleet")
    assert config.kubeconfig == str(tmp_path / "conf" / "kube" / "config")
    path.write_text("repo: https://example.com/fleet.git\nkubeconfig: /abs/config\n")
    assert (load_config(path).repo, load_config(path).kubeconfig) == ("https://example.com/fleet.git", "/abs/config")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("repo: [unclosed\n", "run.yaml:2:1: not valid YAML"), (None, "run.yaml: cannot read the run config")],
    ids=["yaml-syntax", "missing-file"],
)
def test_unreadable_files(tmp_path: Path, text: str | None, expected: str) -> None:
    path = tmp_path / "run.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(ConfigFileError) as err:
        load_config(path)
    assert str(err.value).startswith(str(tmp_path / expected))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("repo: r\ninterval: 0\n", "run.yaml:2:1: at /interval: 0 is not valid under any of the given schemas"),
        ("repo: r\nclient:\n  concurrency: 0\n", "run.yaml:3:3: at /client/concurrency: 0 is less than the minimum"),
        ("repo: r\nlisten: 0.0.0.0:70000\n", "run.yaml:2:1: at /listen: port 70000 is above 65535"),
        ("repo: r\nrepo: s\n", "run.yaml:2:1: not valid YAML: duplicate key 'repo'"),
        ("repo: r\n---\nrepo: s\n", "run.yaml:3:1: the run config is one YAML document, found 2"),
    ],
    ids=["interval", "nested", "listen-port", "duplicate-key", "two-documents"],
)
def test_schema_errors_of_a_file_have_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    with pytest.raises(ConfigFileError) as err:
        load_config(path)
    assert str(err.value).startswith(str(tmp_path / expected))
