"""Which Namespaces Karmada's namespace sync propagates, and the adoption hint that
follows from it: a policy's conflictResolution never reaches an auto-propagated one."""

from __future__ import annotations

from typing import Any

import pytest

from gitfleet.plan.namespaces import adoption_hint, auto_propagated_namespace

NAMESPACE_HINT = "annotate the Namespace in the fleet repo with work.karmada.io/conflict-resolution: overwrite"
POLICY_HINT = "conflictResolution: Overwrite on its PropagationPolicy, or the annotation"


def ns(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


@pytest.mark.parametrize(
    ("obj", "auto", "hint"),
    [
        (ns("shop"), True, NAMESPACE_HINT),
        (ns("shop", **{"namespace.karmada.io/skip-auto-propagation": "true"}), False, POLICY_HINT),
        (ns("shop", **{"namespace.karmada.io/skip-auto-propagation": "TRUE"}), False, POLICY_HINT),
        (ns("shop", **{"namespace.karmada.io/skip-auto-propagation": "false"}), True, NAMESPACE_HINT),
        (ns("kube-system"), False, POLICY_HINT),
        (ns("default"), False, POLICY_HINT),
        (ns("karmada-es-member1"), False, POLICY_HINT),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shop", "namespace": "shop"}}, False,
         POLICY_HINT),
        ({"apiVersion": "example.com/v1", "kind": "Namespace", "metadata": {"name": "shop"}}, False, POLICY_HINT),
    ],
    ids=["namespace", "skip-label", "skip-label-any-case", "skip-label-false", "kube-prefix", "default",
         "karmada-reserved", "not-a-namespace", "namespace-kind-of-another-group"],
)
def test_auto_propagation_and_adoption_hint(obj: dict[str, Any], auto: bool, hint: str) -> None:
    assert auto_propagated_namespace(obj) is auto
    assert adoption_hint(obj).startswith(hint)
