"""A placement that moves says why, when the scheduler rescheduled with memory."""

from __future__ import annotations

import pytest

from gitfleet.diff import diff_plans
from gitfleet.model.plan import ClusterTarget, Explanation, Plan, ResourcePlacement, ScheduleResult

KEY = "apps/v1/Deployment/shop/web"


def _plan(targets: tuple[ClusterTarget, ...], schedule: ScheduleResult | None = None) -> Plan:
    placement = ResourcePlacement(resource=KEY, policy="PropagationPolicy/shop/web", clusters=targets)
    explanations = {KEY: Explanation(KEY, schedule=schedule)} if schedule else {}
    return Plan(placements=(placement,), manifests={}, explanations=explanations)


BASE = (ClusterTarget("m1", 2), ClusterTarget("m2", 4))


@pytest.mark.parametrize(("schedule", "cause"), [
    (None, ""),
    (ScheduleResult(targets=(), rescheduled=None), ""),
    (ScheduleResult(rescheduled=True, reason="replicas changed: 6 -> 9"), "replicas changed: 6 -> 9"),
    (ScheduleResult(rescheduled=True, reason="a target was evicted",
                    evictions=("m2 evicted: taint x:NoExecute since 10:02:11Z, tolerated 300 s",)),
     "a target was evicted; m2 evicted: taint x:NoExecute since 10:02:11Z, tolerated 300 s"),
    (ScheduleResult(rescheduled=False, reason="no trigger"), ""),
])
def test_a_move_carries_its_cause(schedule: ScheduleResult | None, cause: str) -> None:
    diff = diff_plans(_plan(BASE), _plan((ClusterTarget("m1", 3), ClusterTarget("m2", 6)), schedule), 0.5)
    assert [c.cause for c in diff.placements] == [cause, cause]
    assert all(c.text.endswith(f"({cause})") == bool(cause) for c in diff.placements)
    assert all(("cause" in c.to_json()) == bool(cause) for c in diff.placements)


def test_a_hostile_cause_is_escaped_in_the_pull_request_comment() -> None:
    """A cause quotes taint keys and values from the inventory: repo text, escaped."""
    from gitfleet.diff import format_markdown

    schedule = ScheduleResult(rescheduled=True, reason="a target was evicted",
                              evictions=("m2 evicted: taint x:NoExecute since <!-- **LGTM** `\n# done",))
    diff = diff_plans(_plan(BASE), _plan((ClusterTarget("m1", 6),), schedule), 0.5)
    comment = format_markdown(diff)
    assert comment.count("<!--") == 1  # the report's own marker only
    assert "\n# done" not in comment and "**LGTM**" not in comment
