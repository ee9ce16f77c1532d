"""Masking a whole plan before it is written or shown. What a Secret is, the digest and
the :class:`~gitfleet.redaction.Redactor` live in :mod:`gitfleet.redaction`, the one
place for them; this module applies them to a ``Plan``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from gitfleet.model.plan import Plan
from gitfleet.redaction import Redactor, mask_manifests


def mask_plan(plan: Plan) -> Plan:
    """``plan`` with every Secret manifest masked (placements are untouched)."""
    return replace(plan, manifests={c: mask_manifests(m) for c, m in plan.manifests.items()})


# Transitional: the CLI and the reconciler still call these while they move to
# ``Redactor`` (``Redactor.from_plan(plan).text(msg)``); remove with the last caller.
def secret_values(manifests: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The clear values of the Secrets in ``manifests``, as a ``Redactor`` knows them."""
    return Redactor.from_manifests(manifests).values


def redact(text: str, values: Iterable[str]) -> str:
    """``text`` with each of ``values`` replaced by ``***``."""
    return Redactor(values).text(text)
