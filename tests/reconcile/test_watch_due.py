"""When a health round is due: the once-a-second tick must not skip a round because it
fired a few milliseconds early (a 1 s ``healthInterval`` then probed every 2 s, and a
member was tainted after ``2 x failureThreshold`` seconds instead of ``failureThreshold``)."""

from __future__ import annotations

import pytest

from gitfleet.reconcile.watch import MemberWatch, WatchSettings
from gitfleet.service.members import Connection


@pytest.mark.parametrize(("interval", "elapsed", "due"), [
    (1.0, 0.98, True),  # the next tick, a little early
    (1.0, 1.0, True),
    (1.0, 0.5, False),  # a cycle's own round half a second ago
    (1.0, 0.7, False),
    (10.0, 9.99, True),
    (10.0, 9.0, False),  # nine ticks into a 10 s interval
])
def test_a_round_is_due_on_the_tick_at_its_interval(interval: float, elapsed: float, due: bool) -> None:
    now = [100.0]
    watch = MemberWatch(Connection(), lambda: now[0])
    settings = WatchSettings(health_interval=interval)
    assert watch.due(settings)  # never probed yet
    watch.last_probe = 100.0
    now[0] = 100.0 + elapsed
    assert watch.due(settings) is due
