"""Karmada's plaintext overrider: an RFC 6902 JSON Patch applied to the whole object.

Standard semantics through the ``jsonpatch`` library: ``add`` replaces an existing
member and appends at ``-``, but never creates a missing parent; ``remove`` and
``replace`` need an existing target. The operations are applied one by one on a
copy-on-write view, so the input manifest stays untouched and only the changed path
is copied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gitfleet.model.policy import PatchOp
from gitfleet.override._doc import Cow, OverriderFailure, first_missing, json_copy, parse_pointer

OPERATORS = ("add", "remove", "replace")
# jsonpointer refuses these escapes; parse_pointer would read them as text.
_INVALID_ESCAPE = re.compile("~[^01]|~$")


def _plain_member(op: PatchOp, last: str) -> bool:
    """Whether the library would simply set or delete member ``last`` of the (existing,
    already checked) parent object: the path reads the same to jsonpointer (ASCII, as
    its list indexes are, and no escape it refuses), and it is not a ``replace`` of
    ``-``, which the library refuses whatever the parent."""
    return op.path.isascii() and not _INVALID_ESCAPE.search(op.path) and not (op.op == "replace" and last == "-")


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
                parent = cow.owned(tokens[:-1])
            except KeyError:
                raise OverriderFailure(f"cannot {op.op} {op.path}: its parent is not an object or list") from None
            if type(parent) is dict and _plain_member(op, tokens[-1]):
                # What the library does to a member of an object, without building a
                # patch and a pointer for each of the ~45,000 operations of a render.
                if op.op == "remove":
                    del parent[tokens[-1]]
                else:
                    parent[tokens[-1]] = operation["value"]
                continue
        import jsonpatch  # here, not at import: newer releases import difflib, a plain render needs neither
        import jsonpointer

        try:
            cow.root = jsonpatch.JsonPatch([operation]).apply(cow.root, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise OverriderFailure(f"cannot {op.op} {op.path}: {exc}") from None
    return cow.root
