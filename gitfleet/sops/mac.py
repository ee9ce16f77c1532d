"""The integrity check of a SOPS file (``sops.go``: ``Tree.Encrypt``/``Tree.Decrypt``,
``ToBytes``): SHA-512 over every clear value in document order, as bytes the way Go
prints them, hex in upper case, stored encrypted in ``sops.mac``. Keys are not hashed
but their order is fixed by the walk; null values and comments are skipped. With
``mac_only_encrypted`` only the encrypted values count, after a fixed 32-byte prefix
(``sha256(b"sops")``) so the two kinds of MAC never agree.

The walk is shared by encryption and decryption: :func:`walk` calls a function on
every leaf with its key path (mapping keys only, as sops builds the additional data).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from gitfleet.sops.format import KeyPath

MAC_ONLY_ENCRYPTED_INIT = hashlib.sha256(b"sops").digest()


def go_float(value: float) -> str:
    """``strconv.FormatFloat(value, 'f', -1, 64)``: shortest digits, never an exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return format(Decimal(repr(value)).normalize(), "f")


def to_bytes(value: Any) -> bytes:
    """A clear value as sops hashes (and encrypts) it."""
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return go_float(value).encode()
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def additional_data(path: KeyPath) -> bytes:
    """What authenticates a value's place: its key path joined by ``:``, plus ``:``."""
    return (":".join(path) + ":").encode()


def walk(value: Any, fn: Callable[[KeyPath, Any], Any], path: KeyPath = ()) -> Any:
    """``value`` with every non-null leaf replaced by ``fn(path, leaf)``, in order."""
    if isinstance(value, dict):
        return {k: walk(v, fn, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [walk(v, fn, path) for v in value]
    if value is None:
        return None
    return fn(path, value)


class Mac:
    """The running MAC of one walk over a file's documents."""

    def __init__(self, only_encrypted: bool) -> None:
        self.only_encrypted = only_encrypted
        self._hash = hashlib.sha512()
        if only_encrypted:
            self._hash.update(MAC_ONLY_ENCRYPTED_INIT)

    def add(self, clear: Any, encrypted: bool) -> None:
        if encrypted or not self.only_encrypted:
            self._hash.update(to_bytes(clear))

    def hex(self) -> str:
        return self._hash.hexdigest().upper()
