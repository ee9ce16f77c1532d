"""Quantity.Value() / MilliValue(): rounding away from zero on exact amounts."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    [("cpu", Fraction(5, 2), "2500m"), ("cpu", Fraction(1, 10000), "1m"), ("memory", Fraction(3, 2), "2")],
    ids=["cpu-millicores", "cpu-rounds-up", "memory-whole-units"],
)
def test_format_amount(name: str, amount: Fraction, text: str) -> None:
    assert format_amount(name, amount) == text


@given(st.fractions())
def test_value_rounds_away_from_zero(amount: Fraction) -> None:
    expected = math.ceil(amount) if amount >= 0 else math.floor(amount)
    assert value(amount) == expected
    assert milli_value(amount) == value(amount * 1000)
