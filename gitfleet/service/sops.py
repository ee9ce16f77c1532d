"""The one place a plan's SOPS values are decrypted: just before it is applied (``apply``,
``drift``, ``diff --live``, the reconciler; the agent too). Everything before works on
the ``ENC[...]`` strings, so the status branch never sees a clear value.

A member whose manifests come from a SOPS file that cannot be decrypted (no key, wrong
key, bad MAC) is not applied at all and fails as a whole, naming the file; the others
go on. The clear values join the redactor of the result and of every log handler."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gitfleet.model.plan import Plan
from gitfleet.redaction import RedactingFilter, Redactor
from gitfleet.service.planning import Planned
from gitfleet.sops.apply import Decryptor
from gitfleet.sops.format import SopsError, SopsSource
from gitfleet.sops.keys import load_identities


@dataclass(frozen=True)
class ForApply:
    """The plan to apply (SOPS values in clear for the members that could be
    decrypted), the members that cannot be applied and why, and the redactor."""

    plan: Plan
    redactor: Redactor
    failed: Mapping[str, str] = field(default_factory=dict)


def _protect_logs(redactor: Redactor) -> None:
    for handler in logging.getLogger().handlers:
        for flt in handler.filters:
            if isinstance(flt, RedactingFilter):
                flt.update(flt.redactor | redactor)


def decrypt_for_apply(planned: Planned, names: Iterable[str], identities: Sequence[Any] | None = None) -> ForApply:
    """``planned`` ready to apply to ``names``; ``identities`` default to the age key
    found as sops finds it (``SOPS_AGE_KEY_FILE``, ``SOPS_AGE_KEY``, sops's key file)."""
    sources: dict[str, SopsSource] = {t.key: t.sops for t in planned.fleet.templates if t.sops is not None}
    chosen = [n for n in names if n in planned.plan.manifests]
    if not sources or not any(k in sources for n in chosen for k in planned.plan.manifests[n]):
        return ForApply(planned.plan, planned.redactor)
    failed: dict[str, str] = {}
    try:
        found = load_identities() if identities is None else identities
    except SopsError as exc:
        found, key_error = [], exc.message
    else:
        key_error = ""
    decryptor = Decryptor(sources, found)
    manifests = dict(planned.plan.manifests)
    for name in chosen:
        try:
            manifests[name] = decryptor.manifests(planned.plan.manifests[name])
        except SopsError as exc:
            failed[name] = f"not applied: {exc.message}" + (f" ({key_error})" if key_error else "")
    extra = Redactor(decryptor.clear_values())
    if extra:
        _protect_logs(extra)
    return ForApply(replace(planned.plan, manifests=manifests), planned.redactor | extra, failed)
