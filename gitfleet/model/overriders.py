"""The overriders of Karmada's OverridePolicy, once: the name each has in the API, the
attribute of :class:`gitfleet.model.policy.Overriders` that holds its entries, in the
order Karmada applies them within one rule (``applyPolicyOverriders`` in
``pkg/util/overridemanager/overridemanager.go``; KARMADA-SEMANTICS §4.1), whatever the
order in the YAML.

The loader, the admission checks, the override pipeline and the explanations all
read this table, so adding an overrider is one row here plus its functions, and the
tests fail until every stage knows it. The functions themselves live in
:mod:`gitfleet.override` (above the model in the layers).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OverriderKind:
    api_name: str  # the key under ``overriders`` in policy.karmada.io/v1alpha1
    attribute: str  # the field of ``Overriders`` holding the parsed entries


# Karmada's order: image, command, args, labels, annotations, field, plaintext.
OVERRIDERS: tuple[OverriderKind, ...] = (
    OverriderKind("imageOverrider", "image"),
    OverriderKind("commandOverrider", "command"),
    OverriderKind("argsOverrider", "args"),
    OverriderKind("labelsOverrider", "labels"),
    OverriderKind("annotationsOverrider", "annotations"),
    OverriderKind("fieldOverrider", "field"),
    OverriderKind("plaintext", "plaintext"),
)

API_NAMES: tuple[str, ...] = tuple(kind.api_name for kind in OVERRIDERS)
