"""Kubernetes' integer views of a quantity (``Quantity.Value()`` and ``MilliValue()``).

Karmada does all capacity arithmetic on these rounded integers, not on exact
amounts, so ``0.5`` memory counts as 1 byte and ``0.1m`` CPU as 1 millicore. Rounding
is away from zero, as in apimachinery's ``AsScale``."""

from __future__ import annotations

import math
from fractions import Fraction


def value(amount: Fraction) -> int:
    """``Quantity.Value()``: whole units, rounded away from zero."""
    return math.ceil(amount) if amount >= 0 else math.floor(amount)


def milli_value(amount: Fraction) -> int:
    """``Quantity.MilliValue()``: thousandths, rounded away from zero."""
    return value(amount * 1000)


def format_amount(name: str, amount: Fraction) -> str:
    """A readable quantity for explanations: CPU in millicores, the rest as integers."""
    if name == "cpu":
        return f"{milli_value(amount)}m"
    return str(value(amount))
