"""Kubernetes' integer views of a quantity (``Quantity.Value()`` and ``MilliValue()``).

Karmada does all capacity arithmetic on these rounded integers, not on exact
amounts, so ``0.5`` memory counts as 1 byte and ``0.1m`` CPU as 1 millicore. Rounding
is away from zero, as in apimachinery's ``AsScale``."""

from __future__ import annotations

from fractions import Fraction

from gitfleet.model.quantity import format_bytes


def _away_from_zero(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (``denominator > 0``) rounded away from zero.

    Integer floor division on the exact parts: the capacity estimate runs this for
    every cluster and resource, and ``math.ceil`` on a ``Fraction`` (with its rich
    comparison against 0) costs several times more for the same result.
    """
    if numerator >= 0:
        return -(-numerator // denominator)
    return numerator // denominator


def value(amount: Fraction) -> int:
    """``Quantity.Value()``: whole units, rounded away from zero."""
    return _away_from_zero(amount.numerator, amount.denominator)


def milli_value(amount: Fraction) -> int:
    """``Quantity.MilliValue()``: thousandths, rounded away from zero."""
    return _away_from_zero(amount.numerator * 1000, amount.denominator)


# Resources counted in bytes: shown with the suffixes they are written with (16Gi).
_BYTE_RESOURCES = frozenset({"memory", "ephemeral-storage", "storage"})


def format_amount(name: str, amount: Fraction) -> str:
    """A readable quantity for explanations: CPU in millicores, byte amounts as
    quantities (``16Gi``), the rest as integers."""
    if name == "cpu":
        return f"{milli_value(amount)}m"
    if name in _BYTE_RESOURCES or name.startswith("hugepages-"):
        return format_bytes(value(amount))
    return str(value(amount))
