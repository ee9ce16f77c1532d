"""Karmada's default tolerations for the health taints (the PropagationPolicy and
ClusterPropagationPolicy mutating webhooks up to Karmada v1.14, ``helper.AddTolerations``
with ``NewNotReadyToleration`` / ``NewUnreachableToleration``).

A policy whose ``clusterTolerations`` hold no toleration *equal* to
``{key: cluster.karmada.io/not-ready, operator: Exists, effect: NoExecute}`` in key,
operator, value and effect (corev1 ``Toleration.MatchToleration``: the seconds do not
count) gets that toleration appended with the fleet's default seconds; the same for
``cluster.karmada.io/unreachable``. Appended, so a toleration the policy states keeps
its place: eviction takes the *first* toleration that tolerates a taint. A broader
toleration (``operator: Exists`` without a key) is not equal, so the default is still
added, after it, as Karmada does.

Karmada v1.15 removed the defaults along with its automatic NoExecute taints; gitfleet
sets those taints, so it keeps the defaults (fleet.yaml ``spec.failover``)."""

from __future__ import annotations

from collections.abc import Sequence

from gitfleet.model.policy import PropagationPolicy, Toleration


def _same(a: Toleration, b: Toleration) -> bool:
    return (a.key, a.operator, a.value, a.effect) == (b.key, b.operator, b.value, b.effect)


def with_defaults(
    tolerations: Sequence[Toleration], defaults: Sequence[Toleration]
) -> tuple[tuple[Toleration, ...], tuple[Toleration, ...]]:
    """``tolerations`` with every default that none of them matches appended, and the
    defaults that were appended."""
    added = tuple(d for d in defaults if not any(_same(t, d) for t in tolerations))
    return (*tolerations, *added), added


_SETTING = {
    "cluster.karmada.io/not-ready": "defaultNotReadyTolerationSeconds",
    "cluster.karmada.io/unreachable": "defaultUnreachableTolerationSeconds",
}


def default_toleration_notes(policy: PropagationPolicy) -> tuple[str, ...]:
    """What ``explain`` says when an eviction or its wait came from a default: the
    policy did not write these tolerations, fleet.yaml did."""
    return tuple(
        f"{policy.ref} states no toleration for {t.key}:{t.effect}: it tolerates it for"
        f" {t.toleration_seconds} s by default (fleet.yaml spec.failover.{_SETTING.get(t.key, t.key)})"
        for t in policy.default_tolerations
    )
