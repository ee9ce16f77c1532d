"""Kubernetes resource quantities (``500m``, ``2Gi``, ``1e3``) as exact fractions.

The core may not import the Kubernetes client, and capacity arithmetic must be exact
to match Karmada's integer maths, hence this small parser."""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

_SUFFIX: dict[str, Fraction] = {
    "": Fraction(1),
    "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9),
    "T": Fraction(10**12), "P": Fraction(10**15), "E": Fraction(10**18),
    "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30),
    "Ti": Fraction(2**40), "Pi": Fraction(2**50), "Ei": Fraction(2**60),
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$")


# What a fleet repo may write: Kubernetes quantities are int64 values with a scale of at
# most 10**18 (Exa); a longer text or a larger exponent is hostile, not a resource.
MAX_QUANTITY_CHARS = 64
MAX_EXPONENT = 40


def parse_quantity(value: object) -> Fraction:
    """Parse a quantity; raise ``ValueError`` with the offending text otherwise."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return _parse_cached(value)
    return _parse(value)


# A fleet repeats the same few quantities across thousands of capacity estimates.
@lru_cache(maxsize=8192)
def _parse_cached(value: str | float) -> Fraction:
    return _parse(value)


def _parse(value: object) -> Fraction:
    if isinstance(value, bool):
        raise ValueError(f"invalid quantity {value!r}")  # noqa: TRY004 - callers catch ValueError
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    text = str(value).strip()
    if len(text) > MAX_QUANTITY_CHARS:
        raise ValueError(f"invalid quantity {text[:MAX_QUANTITY_CHARS]!r}...: longer than {MAX_QUANTITY_CHARS} characters")
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"invalid quantity {text!r}")
    number, exponent, suffix = match.groups()
    amount = Fraction(number)
    if exponent:
        power = int(exponent[1:])
        if abs(power) > MAX_EXPONENT:
            # 10**9999999 takes seconds to build; Kubernetes' own quantities stop far below.
            raise ValueError(f"invalid quantity {text!r}: exponent beyond ±{MAX_EXPONENT}")
        return amount * Fraction(10) ** power
    return amount * _SUFFIX[suffix or ""]


_BINARY_SUFFIXES = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))
_DECIMAL_SUFFIXES = (("E", 10**18), ("P", 10**15), ("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3))


def format_bytes(amount: int) -> str:
    """A whole number of bytes as a quantity is usually written: the largest binary
    suffix that is exact (``16Gi``, ``1536Mi``), else the largest exact decimal one
    (``500M``), else the bare number. ``parse_quantity`` reads it back exactly."""
    if amount == 0:
        return "0"
    sign, size = ("-" if amount < 0 else ""), abs(amount)
    for suffixes in (_BINARY_SUFFIXES, _DECIMAL_SUFFIXES):
        for suffix, unit in suffixes:
            if size % unit == 0:
                return f"{sign}{size // unit}{suffix}"
    return f"{sign}{size}"
