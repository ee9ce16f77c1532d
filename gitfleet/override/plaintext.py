"""Karmada's plaintext overrider: an RFC 6902 JSON Patch applied to the whole object.

Standard semantics through the ``jsonpatch`` library: ``add`` replaces an existing
member and appends at ``-``, but never creates a missing parent; ``remove`` and
``replace`` need an existing target. The operations are applied one by one on a
copy-on-write view, so the input manifest stays untouched and only the changed path
is copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonpatch
import jsonpointer

from gitfleet.model.policy import PatchOp
from gitfleet.override._doc import Cow, OverriderFailure, first_missing, json_copy, parse_pointer

OPERATORS = ("add", "remove", "replace")


def apply_plaintext(doc: Mapping[str, Any], ops: tuple[PatchOp, ...]) -> Any:
    """Apply the operations in order; returns a new document, or ``doc`` when ``ops``
    is empty. A value ``add``/``replace`` is given without one is ``null``, as in
    Karmada."""
    cow = Cow(doc)
    for op in ops:
        if op.op not in OPERATORS:
            raise OverriderFailure(f"unsupported operator {op.op!r} at {op.path} (use add, remove or replace)")
        tokens = parse_pointer(op.path)
        parent_missing = first_missing(cow.root, tokens[:-1])
        if parent_missing is not None:
            raise OverriderFailure(
                f"cannot {op.op} {op.path}: {parent_missing} does not exist"
                + (" (json patch add does not create parents)" if op.op == "add" else "")
            )
        if op.op != "add" and tokens and first_missing(cow.root, tokens) is not None:
            raise OverriderFailure(f"cannot {op.op} {op.path}: it does not exist")
        operation: dict[str, Any] = {"op": op.op, "path": op.path}
        if op.op != "remove":
            operation["value"] = json_copy(op.value)
        if not tokens and op.op == "remove":
            raise OverriderFailure("cannot remove the whole document")
        # With an empty path the library returns the value and leaves the old root alone.
        if tokens:
            try:
                cow.owned(tokens[:-1])
            except KeyError:
                raise OverriderFailure(f"cannot {op.op} {op.path}: its parent is not an object or list") from None
        try:
            cow.root = jsonpatch.JsonPatch([operation]).apply(cow.root, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise OverriderFailure(f"cannot {op.op} {op.path}: {exc}") from None
    return cow.root
