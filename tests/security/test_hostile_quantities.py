"""Quantities come from the fleet repo (requests, resourceSummary) and from status-branch
records: a hostile one is refused at once, never computed for seconds."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

from gitfleet.model.quantity import MAX_EXPONENT, parse_quantity


@pytest.mark.parametrize("text", ["1e9999999", "1E-9999999", f"5e{MAX_EXPONENT + 1}", "9" * 65, "1" * 4300 + "Mi"])
def test_a_hostile_quantity_is_refused_quickly(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ValueError, match="invalid quantity"):
        parse_quantity(text)
    assert time.perf_counter() - start < 0.1


@pytest.mark.parametrize(("text", "value"), [
    ("500m", Fraction(1, 2)), ("2e3", Fraction(2000)), ("1Gi", Fraction(2**30)), (f"1e{MAX_EXPONENT}", Fraction(10**MAX_EXPONENT)),
])
def test_ordinary_quantities_still_parse(text: str, value: Fraction) -> None:
    assert parse_quantity(text) == value
