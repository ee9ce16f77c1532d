"""Quantity.Value() / MilliValue(): rounding away from zero on exact amounts."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.model.quantity import format_bytes, parse_quantity
from gitfleet.schedule.units import format_amount, milli_value, value


@pytest.mark.parametrize(
    ("amount", "whole", "milli"),
    [
        (Fraction(0), 0, 0),
        (Fraction(3), 3, 3000),
        (Fraction(1, 2), 1, 500),
        (Fraction(-1, 2), -1, -500),
        (Fraction(-7, 2), -4, -3500),
        (Fraction(1, 10000), 1, 1),
        (Fraction(-1, 10000), -1, -1),
        (Fraction(2**30 * 3, 2), 3 * 2**29, 3 * 2**29 * 1000),
    ],
    ids=["zero", "whole", "half-up", "negative-half-down", "negative-away", "sub-milli-up",
         "negative-sub-milli", "large"],
)
def test_value_and_milli_value(amount: Fraction, whole: int, milli: int) -> None:
    assert (value(amount), milli_value(amount)) == (whole, milli)


@pytest.mark.parametrize(
    ("name", "amount", "text"),
    [
        ("cpu", Fraction(5, 2), "2500m"),
        ("cpu", Fraction(1, 10000), "1m"),
        ("memory", Fraction(3, 2), "2"),
        ("memory", Fraction(16 * 2**30), "16Gi"),
        ("memory", Fraction(1536 * 2**20), "1536Mi"),
        ("memory", Fraction(500 * 10**6), "500M"),
        ("memory", Fraction(-2 * 2**30), "-2Gi"),
        ("memory", Fraction(0), "0"),
        ("ephemeral-storage", Fraction(10 * 2**30), "10Gi"),
        ("hugepages-2Mi", Fraction(4 * 2**20), "4Mi"),
        ("pods", Fraction(1024), "1024"),
        ("nvidia.com/gpu", Fraction(2000), "2000"),
    ],
    ids=["cpu-millicores", "cpu-rounds-up", "memory-whole-units", "memory-gi", "memory-mi-not-fraction-of-gi",
         "memory-decimal", "memory-negative-headroom", "memory-zero", "ephemeral-storage", "hugepages",
         "pods-stay-a-count", "extended-resource-stays-a-count"],
)
def test_format_amount(name: str, amount: Fraction, text: str) -> None:
    assert format_amount(name, amount) == text


@given(st.fractions())
def test_value_rounds_away_from_zero(amount: Fraction) -> None:
    expected = math.ceil(amount) if amount >= 0 else math.floor(amount)
    assert value(amount) == expected
    assert milli_value(amount) == value(amount * 1000)


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_a_byte_quantity_reads_back_exactly(amount: int) -> None:
    assert parse_quantity(format_bytes(amount)) == amount
