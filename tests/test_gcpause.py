"""The collector pause nests, survives exceptions and leaves a disabled collector alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from gitfleet.gcpause import paused_gc


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.parametrize("enabled_before", [True, False])
def test_nested_pauses_restore_the_state_of_the_first(enabled_before: bool) -> None:
    (gc.enable if enabled_before else gc.disable)()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still on
    assert gc.isenabled() is enabled_before


def test_an_exception_ends_the_pause() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_what_survives_the_pause_goes_to_the_oldest_generation() -> None:
    gc.enable()
    gc.collect()
    with paused_gc():
        kept = [[i] for i in range(1_000)]
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(item) in oldest for item in kept)
