"""Karmada's default tolerations (the (Cluster)PropagationPolicy webhook,
``helper.AddTolerations``): a policy with no toleration *equal* in key, operator, value
and effect to ``cluster.karmada.io/not-ready:NoExecute`` (operator Exists) gets one with
the fleet's default seconds appended; the same for ``unreachable``. A toleration the
policy states keeps its place and its seconds."""

from __future__ import annotations

import pytest

from gitfleet.load import load_fleet
from gitfleet.load.tolerations import default_toleration_notes, with_defaults
from gitfleet.model.policy import Toleration
from load.repos import CPP_HEAD, PP_HEAD, SELECT_DEPLOYMENTS, inventory, pp, repo

NR, UR = "cluster.karmada.io/not-ready", "cluster.karmada.io/unreachable"
FLEET = "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: demo}\n"


def nr(seconds: int | None = 300) -> Toleration:
    return Toleration(NR, "Exists", "", "NoExecute", seconds)


def ur(seconds: int | None = 300) -> Toleration:
    return Toleration(UR, "Exists", "", "NoExecute", seconds)


CASES = [
    ("none", "", (nr(), ur())),
    ("matching-with-60-kept", f"""
      - {{key: {NR}, operator: Exists, effect: NoExecute, tolerationSeconds: 60}}
      - {{key: {UR}, operator: Exists, effect: NoExecute, tolerationSeconds: 60}}""", (nr(60), ur(60))),
    ("matching-forever-kept", f"""
      - {{key: {UR}, operator: Exists, effect: NoExecute}}""", (ur(None), nr())),
    ("one-matching-other-added", f"""
      - {{key: {NR}, operator: Exists, effect: NoExecute, tolerationSeconds: 60}}""", (nr(60), ur())),
    ("same-key-other-effect", f"""
      - {{key: {UR}, operator: Exists, effect: NoSchedule}}""",
     (Toleration(UR, "Exists", "", "NoSchedule"), nr(), ur())),
    ("same-key-no-effect", f"""
      - {{key: {UR}, operator: Exists}}""", (Toleration(UR, "Exists", "", ""), nr(), ur())),
    ("same-key-operator-equal", f"""
      - {{key: {UR}, effect: NoExecute, tolerationSeconds: 10}}""",
     (Toleration(UR, "Equal", "", "NoExecute", 10), nr(), ur())),
    # Tolerates every taint, but is not *equal*: the defaults come after it, and
    # eviction takes the first match, so this policy is never evicted.
    ("tolerate-everything-first", """
      - {operator: Exists}""", (Toleration("", "Exists", "", ""), nr(), ur())),
    ("other-keys-kept-in-order", """
      - {key: a, operator: Exists, effect: NoSchedule}
      - {key: b, value: x, effect: NoExecute}""",
     (Toleration("a", "Exists", "", "NoSchedule"), Toleration("b", "Equal", "x", "NoExecute"), nr(), ur())),
]


def _policy(tolerations: str, head: str = PP_HEAD) -> bytes:
    placement = f"placement:\n  clusterTolerations:{tolerations}\n" if tolerations else "placement: {}\n"
    return pp(SELECT_DEPLOYMENTS + placement, kind_head=head)


@pytest.mark.parametrize("head", [PP_HEAD, CPP_HEAD], ids=["PropagationPolicy", "ClusterPropagationPolicy"])
@pytest.mark.parametrize(("tolerations", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_default_tolerations(tolerations: str, expected: tuple[Toleration, ...], head: str) -> None:
    fleet = load_fleet(repo({**inventory("m1"), "p.yaml": _policy(tolerations, head)}))
    (policy,) = fleet.propagation_policies
    assert policy.placement.tolerations == expected
    written = len(tolerations.strip().splitlines()) if tolerations else 0
    assert policy.default_tolerations == expected[written:]


@pytest.mark.parametrize(("settings", "expected"), [
    ("defaultNotReadyTolerationSeconds: 30, defaultUnreachableTolerationSeconds: 90", (nr(30), ur(90))),
    ("defaultUnreachableTolerationSeconds: 0", (nr(300), ur(0))),
], ids=["custom", "zero-evicts-at-once"])
def test_custom_defaults_come_from_fleet_yaml(settings: str, expected: tuple[Toleration, ...]) -> None:
    files = {"fleet.yaml": (FLEET + f"spec:\n  failover: {{{settings}}}\n").encode(), **inventory("m1"),
             "p.yaml": _policy("")}
    (policy,) = load_fleet(files).propagation_policies
    assert policy.placement.tolerations == expected


def test_with_defaults_is_idempotent() -> None:
    once, added = with_defaults((Toleration("a"),), (nr(), ur()))
    twice, again = with_defaults(once, (nr(), ur()))
    assert (twice, again) == (once, ()) and added == (nr(), ur())


def test_explain_says_a_toleration_is_a_default() -> None:
    fleet = load_fleet(repo({**inventory("m1"), "p.yaml": _policy(f"""
      - {{key: {NR}, operator: Exists, effect: NoExecute, tolerationSeconds: 60}}""")}))
    (policy,) = fleet.propagation_policies
    assert default_toleration_notes(policy) == (
        (f"PropagationPolicy/default/pp states no toleration for {UR}:NoExecute: it tolerates it for 300 s"
        " by default (fleet.yaml spec.failover.defaultUnreachableTolerationSeconds)"),
    )
