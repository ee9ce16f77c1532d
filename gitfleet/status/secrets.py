"""Masking a whole plan before it is written or shown. What a Secret is, the digest and
the :class:`~gitfleet.redaction.Redactor` live in :mod:`gitfleet.redaction`, the one
place for them; this module applies them to a ``Plan``."""

from __future__ import annotations

from dataclasses import replace

from gitfleet.model.plan import Plan
from gitfleet.redaction import mask_manifests


def mask_plan(plan: Plan) -> Plan:
    """``plan`` with every Secret manifest masked (placements are untouched)."""
    return replace(plan, manifests={c: mask_manifests(m) for c, m in plan.manifests.items()})
