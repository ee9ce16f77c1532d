"""NoExecute eviction decisions (KARMADA-RESCHEDULING §5): the first matching
toleration only, tolerationSeconds from timeAdded (or first seen), 0 evicts at once."""

from __future__ import annotations

import pytest
from schedule_builders import cluster

from gitfleet.model.cluster import Taint
from gitfleet.model.policy import Toleration
from gitfleet.model.state import TaintSeen
from gitfleet.schedule.reschedule import EvictNow, Never, RecheckAt, eviction_due, observe_taints
from gitfleet.schedule.reschedule.eviction import Decision

NOW = "2026-12-04T12:00:00Z"
UNREACHABLE = "cluster.karmada.io/unreachable"
TWO_HOURS_AGO = Taint(UNREACHABLE, "", "NoExecute", "2026-12-04T10:00:00Z")
THIRTY_S_AGO = Taint(UNREACHABLE, "", "NoExecute", "2026-12-04T11:59:30Z")
FOREVER = Toleration(UNREACHABLE, "Exists", "", "NoExecute")
T600 = Toleration(UNREACHABLE, "Exists", "", "NoExecute", 600)
T0 = Toleration(UNREACHABLE, "Exists", "", "NoExecute", 0)

CASES: list[tuple[str, tuple[Taint, ...], tuple[Toleration, ...], type]] = [
    # [noexecute-toleration-seconds]: taint 2h ago on m2, 30 s ago on m3
    ("no toleration, old taint", (TWO_HOURS_AGO,), (), EvictNow),
    ("no toleration, new taint", (THIRTY_S_AGO,), (), EvictNow),
    ("600 s, old taint", (TWO_HOURS_AGO,), (T600,), EvictNow),
    ("600 s, new taint", (THIRTY_S_AGO,), (T600,), RecheckAt),
    ("no tolerationSeconds", (TWO_HOURS_AGO,), (FOREVER,), Never),
    ("[forever, 600 s]: only the first counts", (TWO_HOURS_AGO,), (FOREVER, T600), Never),
    ("[600 s, forever]: only the first counts", (TWO_HOURS_AGO,), (T600, FOREVER), EvictNow),
    ("[600 s, forever], new taint", (THIRTY_S_AGO,), (T600, FOREVER), RecheckAt),
    ("tolerationSeconds 0 evicts at once", (THIRTY_S_AGO,), (T0,), EvictNow),
    ("NoSchedule never evicts", (Taint(UNREACHABLE, "", "NoSchedule"),), (), Never),
    ("PreferNoSchedule never evicts", (Taint("x", "", "PreferNoSchedule"),), (), Never),
    ("no taint", (), (), Never),
    ("a second taint untolerated", (THIRTY_S_AGO, Taint("other", "", "NoExecute", None)), (T600,), EvictNow),
    ("a toleration for another key", (TWO_HOURS_AGO,), (Toleration("other", "Exists", "", "NoExecute", 1),), EvictNow),
    ("unparsable timeAdded: first seen now", (Taint(UNREACHABLE, "", "NoExecute", "yesterday"),), (T600,), RecheckAt),
    ("huge tolerationSeconds", (TWO_HOURS_AGO,), (Toleration(UNREACHABLE, "Exists", "", "NoExecute", 2**62),), Never),
]


@pytest.mark.parametrize(("taints", "tolerations", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_eviction_due(taints: tuple[Taint, ...], tolerations: tuple[Toleration, ...], expected: type) -> None:
    assert type(eviction_due("m2", taints, tolerations, NOW)) is expected


def test_the_reason_names_taint_time_and_seconds() -> None:
    taint = Taint(UNREACHABLE, "", "NoExecute", "2026-12-04T10:02:11Z")
    toleration = Toleration(UNREACHABLE, "Exists", "", "NoExecute", 300)
    decision = eviction_due("member3", (taint,), (toleration,), NOW)
    assert decision == EvictNow("taint cluster.karmada.io/unreachable:NoExecute since 10:02:11Z, tolerated 300 s")


def test_recheck_time_is_time_added_plus_seconds() -> None:
    decision = eviction_due("m3", (THIRTY_S_AGO,), (T600,), NOW)
    assert isinstance(decision, RecheckAt) and decision.at == "2026-12-04T12:09:30Z"


@pytest.mark.parametrize(("first_seen", "expected"), [
    ("2026-12-04T11:00:00Z", EvictNow),  # seen an hour ago, tolerated 600 s
    ("2026-12-04T11:55:00Z", RecheckAt),
    ("not a time", RecheckAt),  # unreadable record: counted from now
], ids=["seen-long-ago", "seen-recently", "unreadable-record"])
def test_a_taint_without_time_added_counts_from_first_seen(first_seen: str, expected: type) -> None:
    taint = Taint(UNREACHABLE, "", "NoExecute", None)
    seen = (TaintSeen("m2", UNREACHABLE, "", "NoExecute", first_seen),)
    decision: Decision = eviction_due("m2", (taint,), (T600,), NOW, seen)
    assert type(decision) is expected


def test_observe_taints_keeps_first_seen_and_forgets_gone_taints() -> None:
    old = TaintSeen("m1", UNREACHABLE, "", "NoExecute", "2026-12-01T00:00:00Z")
    gone = TaintSeen("m9", UNREACHABLE, "", "NoExecute", "2026-12-01T00:00:00Z")
    clusters = [
        cluster("m1", taints=(Taint(UNREACHABLE, "", "NoExecute", None),)),
        cluster("m2", taints=(Taint("new", "v", "NoExecute", None), Taint("cordon", "", "NoSchedule", None))),
        cluster("m3", taints=(TWO_HOURS_AGO,)),  # has its own timeAdded
    ]
    assert observe_taints(clusters, (old, gone), NOW) == (old, TaintSeen("m2", "new", "v", "NoExecute", NOW))
