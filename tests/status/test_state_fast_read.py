"""Reading ``state/`` without the YAML parser when a file is canonical (what the writer
writes), and writing each remembered state once: both must give exactly what the full
reader and writer give, for every file, canonical or not."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.model.state import FleetState, PreviousTarget, ResourceState
from gitfleet.status.state import (
    MAX_INT32,
    StateError,
    _read_canonical,
    _read_resource,
    read_state,
    resource_state_path,
    resource_state_yaml,
    state_files,
)
from tests.status.test_state import fleet_states

KEY = "apps/v1/Deployment/shop/web"
PATH = resource_state_path(KEY)
STATE = ResourceState(
    KEY,
    clusters=(PreviousTarget("member1", 2), PreviousTarget("member2", 4), PreviousTarget("member3.eu", 0)),
    applied_placement='{"clusterAffinity":{"clusterNames":["member1","member2"]}}',
    last_scheduled="2026-12-04T10:02:11Z",
)
RAW = resource_state_yaml(STATE)

_dns = st.from_regex(r"[a-z0-9][-a-z0-9.]{0,20}", fullmatch=True)


def _same_as_full_reader(path: str, raw: bytes) -> ResourceState | None:
    """What the fast path gives, checked against the full reader; None when it left the
    file to the full reader."""
    fast = _read_canonical(path, raw)
    try:
        full = _read_resource(path, raw)
    except StateError:
        assert fast is None, "the fast path read a file the full reader rejects"
        return None
    assert fast is None or fast == full
    return fast


@given(fleet_states())
def test_every_written_file_reads_the_same_both_ways(state: FleetState) -> None:
    for path, raw in state_files(state).items():
        if path.startswith("state/resources/"):
            _same_as_full_reader(path, raw)


@given(st.dictionaries(_dns, st.integers(0, MAX_INT32), min_size=1, max_size=30),
       st.none() | st.just('{"a":1}'), st.none() | st.just("2026-12-04T10:02:11Z"))
def test_a_canonical_file_takes_the_fast_path(clusters: dict[str, int], applied: str | None,
                                              last: str | None) -> None:
    state = ResourceState(KEY, clusters=tuple(sorted(PreviousTarget(n, c) for n, c in clusters.items())),
                          applied_placement=applied, last_scheduled=last)
    raw = resource_state_yaml(state)
    # A plain name that YAML reads as a number, a date or a boolean is quoted, and
    # quoted names are left to the full reader.
    plain = all(f"\n  {name}: ".encode() in raw for name in clusters)
    fast = _same_as_full_reader(PATH, raw)
    assert (fast is not None) == plain
    assert fast is None or fast == state


def _replace(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def edit(raw: bytes) -> bytes:
        assert old in raw
        return raw.replace(old, new, 1)
    return edit


# Hand edits of a canonical file: each is read by the full reader alone (the fast path
# gives None) or, when still canonical, read the same both ways.
@pytest.mark.parametrize(("edit", "fast_path"), [
    (lambda raw: raw, True),
    (_replace(b"  member2: 4\n", b"  member2: 4\n  member2: 5\n"), False),  # a name twice
    (_replace(b"  member2: 4\n", b"  12: 4\n"), False),  # read as an int
    (_replace(b"  member2: 4\n", b"  true: 4\n"), False),  # read as a boolean
    (_replace(b"  member2: 4\n", b"  2026-01-01: 4\n"), False),  # read as a date
    (_replace(b"  member2: 4\n", b"  member2: 04\n"), False),  # octal in YAML 1.1
    (_replace(b"  member2: 4\n", b"  member2: 4294967296\n"), False),  # beyond int32
    (_replace(b"  member2: 4\n", b"  member2: -4\n"), False),
    (_replace(b"  member2: 4\n", b"  member2: 4 # edited\n"), False),
    (_replace(b"  member2: 4\n", b"  member2:  4\n"), False),
    (_replace(b"  member2: 4\n", b"   member2: 4\n"), False),
    (_replace(b"  member2: 4\n", b"  Member2: 4\n"), False),  # not what the fast path reads
    (_replace(b"  member2: 4\n", b"  member2: 4\n  ..: 1\n"), False),  # not a file name
    (_replace(b"  member2: 4\n", b""), True),  # still canonical: one cluster fewer
    (_replace(b"  member1: 2\n", b"  member9: 2\n"), False),  # out of order
    (_replace(b"clusters:\n", b"clusters: {}\nclusters:\n"), False),
    (_replace(b"resource: ", b"extra: 1\nresource: "), False),  # an unknown field: not sorted
    (_replace(b"lastScheduled: ", b"kept: 1\nlastScheduled: "), True),  # an unknown field, sorted
    (_replace(b"lastScheduled: '2026-12-04T10:02:11Z'", b"lastScheduled: yesterday"), False),
    (_replace(b"resource: apps/v1/Deployment/shop/web", b"resource: apps/v1/Deployment/shop/api"), False),
    (_replace(b"version: 1", b"version: 2"), False),
    (lambda raw: raw.rstrip(b"\n"), False),
    (lambda raw: raw + b"---\nversion: 1\n", False),
    (lambda raw: raw.replace(b"\n", b"\r\n"), False),
    (lambda raw: b"# a comment\n" + raw, False),
], ids=lambda v: "" if callable(v) else str(v))
def test_hand_edits_are_read_as_the_full_reader_reads_them(edit: Callable[[bytes], bytes],
                                                           fast_path: bool) -> None:
    raw = edit(RAW)
    fast = _same_as_full_reader(PATH, raw)
    assert (fast is not None) == fast_path
    try:
        expected: ResourceState | str = _read_resource(PATH, raw)
    except StateError as err:
        expected = str(err)
    try:
        got: ResourceState | str = read_state({PATH: raw}).resources[KEY]
    except StateError as err:
        got = str(err)
    assert got == expected


def test_a_file_read_is_written_back_byte_for_byte() -> None:
    state = read_state({PATH: RAW})
    assert state_files(state)[PATH] == RAW


def test_a_state_is_written_as_it_is_now_even_where_an_earlier_one_lived() -> None:
    """The bytes of a state are remembered while it lives: a new state (which may get
    the address of a dead one) is written from its own fields."""
    for replicas in range(200):
        state = dataclasses.replace(STATE, clusters=(PreviousTarget("member1", replicas),))
        written = state_files(FleetState(resources={KEY: state}))[PATH]
        assert written == resource_state_yaml(state)
        assert f"  member1: {replicas}\n".encode() in written
        del state
        gc.collect()


def test_a_file_read_again_gives_the_same_state_and_kept_fields_stay_copies() -> None:
    """The reconciler reads the same state/ every cycle: the states of unchanged files
    are the same objects (equal to the render's record by identity); a state with
    unknown fields is read anew, its ``extra`` never shared."""
    plain = {PATH: RAW}
    assert read_state(plain).resources[KEY] is read_state(dict(plain)).resources[KEY]
    kept = {PATH: RAW.replace(b"lastScheduled: ", b"kept:\n  a: 1\nlastScheduled: ")}
    first, second = (read_state(kept).resources[KEY] for _ in range(2))
    assert first == second and first is not second
    assert first.extra == {"kept": {"a": 1}} and first.extra["kept"] is not second.extra["kept"]
