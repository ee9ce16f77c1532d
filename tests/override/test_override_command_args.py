"""commandOverrider / argsOverrider (KARMADA-SEMANTICS §4.2)."""

from __future__ import annotations

from typing import Any

import pytest
from ovhelpers import container, deployment, pod

from gitfleet.model import CommandArgsOverrider
from gitfleet.override._doc import OverriderFailure
from gitfleet.override.command_args import apply_args_overriders, apply_command_overriders

MISSING = object()

CASES = [
    ("add appends", ["nginx", "-g"], CommandArgsOverrider("web", "add", ("-v", "x")), ["nginx", "-g", "-v", "x"]),
    ("add to missing creates", MISSING, CommandArgsOverrider("web", "add", ("run",)), ["run"]),
    ("add to null creates", None, CommandArgsOverrider("web", "add", ("run",)), ["run"]),
    ("remove drops every occurrence", ["a", "b", "a", "c"], CommandArgsOverrider("web", "remove", ("a", "c")),
     ["b"]),
    ("remove of absent value keeps list", ["a"], CommandArgsOverrider("web", "remove", ("z",)), ["a"]),
    ("remove on missing creates empty", MISSING, CommandArgsOverrider("web", "remove", ("a",)), []),
    ("add nothing to missing creates empty", MISSING, CommandArgsOverrider("web", "add", ()), []),
    ("other container untouched", ["a"], CommandArgsOverrider("other", "add", ("b",)), ["a"]),
    ("non-strings printed like Go", [1, True], CommandArgsOverrider("web", "add", ()),
     ["%!s(int64=1)", "%!s(bool=true)"]),
]


def _with(field: str, value: Any) -> dict[str, Any]:
    extra = {} if value is MISSING else {field: value}
    return deployment(container("web", **extra), container("sidecar"))


@pytest.mark.parametrize("field", ["command", "args"])
@pytest.mark.parametrize(("before", "overrider", "after"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_command_and_args(field: str, before: Any, overrider: CommandArgsOverrider, after: list[str]) -> None:
    doc = _with(field, before)
    apply = apply_command_overriders if field == "command" else apply_args_overriders
    out = apply(doc, (overrider,))
    containers = out["spec"]["template"]["spec"]["containers"]
    assert containers[0].get(field, MISSING) == after
    assert field not in containers[1]
    # the other field is never touched
    other = "args" if field == "command" else "command"
    assert other not in containers[0]
    assert _with(field, before) == doc


def test_every_container_with_the_name_is_changed() -> None:
    doc = deployment(container("web", command=["a"]), container("web"))
    out = apply_command_overriders(doc, (CommandArgsOverrider("web", "add", ("b",)),))
    assert [c["command"] for c in out["spec"]["template"]["spec"]["containers"]] == [["a", "b"], ["b"]]


def test_entries_apply_in_order() -> None:
    doc = deployment(container("web", args=["--a"]))
    out = apply_args_overriders(doc, (
        CommandArgsOverrider("web", "add", ("--b", "--a")),
        CommandArgsOverrider("web", "remove", ("--a",)),
    ))
    assert out["spec"]["template"]["spec"]["containers"][0]["args"] == ["--b"]


def test_pod_path() -> None:
    out = apply_command_overriders(pod(container("web")), (CommandArgsOverrider("web", "add", ("sh",)),))
    assert out["spec"]["containers"][0]["command"] == ["sh"]


@pytest.mark.parametrize("kind", ["CronJob", "ConfigMap", "Service"])
def test_other_kinds_untouched(kind: str) -> None:
    doc = deployment(container("web"), kind=kind)
    assert apply_command_overriders(doc, (CommandArgsOverrider("web", "add", ("sh",)),)) is doc


def test_no_containers_is_a_no_op() -> None:
    doc = {"kind": "Deployment", "spec": {}}
    assert apply_command_overriders(doc, (CommandArgsOverrider("web", "add", ("sh",)),)) is doc


ERRORS = [
    ("command not a list", deployment(container("web", command="sh -c x")), "command of container 'web'"),
    ("containers not a list", {"kind": "Deployment", "spec": {"template": {"spec": {"containers": {}}}}},
     "/spec/template/spec/containers is not a list"),
    ("container not an object", deployment("web"),  # type: ignore[arg-type]
     "/spec/template/spec/containers/0 is not a container"),
]


@pytest.mark.parametrize(("doc", "message"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(OverriderFailure, match=message):
        apply_command_overriders(doc, (CommandArgsOverrider("web", "add", ("x",)),))
