"""Replica pools: equal to the original after any history, and never silently wrong."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import genpool
import genpool.kernel as K
import genpool.trace as T
import pytest
from genpool import AlignData, CorruptTrace, FixedData, InvalidArgument, NoSpace, PoolBug
from genpool.events import Allocated, BugRaised, Freed
from genpool.replica import ReplicaSet, is_replica
from genpool.stream import OWNER_REPR_LIMIT, AllocRecord, FreeRecord, owner_value, parse_line, parse_record
from hypothesis import given, settings
from hypothesis import strategies as st
from stream_helpers import state

ALGORITHMS = [("first_fit", None), ("best_fit", None), ("first_fit_order_align", None)]

operation = st.one_of(
    st.tuples(st.just("alloc"), st.integers(1, 300), st.sampled_from(range(len(ALGORITHMS) + 2)), st.integers(0, 4)),
    st.tuples(st.just("free"), st.integers(0, 10**6), st.booleans(), st.just(0)),
    st.tuples(st.just("chunk"), st.integers(0, 3), st.integers(1, 2048), st.booleans()),
    st.tuples(st.just("algo"), st.sampled_from(range(len(ALGORITHMS))), st.just(0), st.just(0)),
)


def run(pool: genpool.Pool, operations: list[tuple[Any, ...]]) -> None:
    """Apply a random history to ``pool``, skipping what it refuses (a refusal changes nothing)."""
    live: list[tuple[int, int]] = []
    owners = [None, "dma", 3, ("t", 1), object()]
    for op, a, b, c in operations:
        try:
            if op == "alloc":
                if b < len(ALGORITHMS):
                    live.append((pool.alloc(a, algo=ALGORITHMS[b][0], owner=owners[c]), a))
                elif b == len(ALGORITHMS):
                    live.append((pool.alloc(a, algo="first_fit_align", data=AlignData(64), owner=owners[c]), a))
                else:
                    live.append((pool.alloc(a, algo="fixed_alloc", data=FixedData(c << 6), owner=owners[c]), a))
            elif op == "free" and live:
                addr, size = live.pop(a % len(live))
                if b and size > pool.granule:  # a partial free, legal in the kernel
                    pool.free(addr, pool.granule)
                    live.append((addr + pool.granule, size - pool.granule))
                else:
                    pool.free(addr, size)
            elif op == "chunk":
                # The kernel API lets chunks overlap; allocations must still land in the right one.
                K.gen_pool_add_owner(pool, 0x10000 + a * 0x400, -1 if c else a, b, -1, f"chunk{a}")
            elif op == "algo":
                pool.set_algo(ALGORITHMS[a][0])
        except (NoSpace, PoolBug, InvalidArgument):
            pass


@settings(max_examples=80)
@given(
    order=st.integers(0, 5),
    trackers=st.sampled_from([(), ("tag",), ("chunk",), ("tag", "callsite")]),
    before=st.lists(operation, max_size=30),
    during=st.lists(operation, max_size=60),
)
def test_a_replica_equals_its_original_after_any_history(order, trackers, before, during) -> None:
    pool = genpool.Pool(order, name="original", trackers=trackers)
    pool.add_virt(0x10000, 0x9000_0000, 4096)
    run(pool, before)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.jsonl"
        with T.record(path):
            run(pool, during)
            expected = state(pool)
        replicas = T.read(path).replay()
    replica = next(p for p in reversed(list(replicas.pools.values())) if p.name == "original")
    assert state(replica) == expected
    assert is_replica(replica) and not is_replica(pool)
    assert replica.avail == pool.avail and replica.size == pool.size
    # A replica's chunks keep no index of free runs; their bitmaps still answer as the original's.
    for mine, theirs in zip(replica.chunks, pool.chunks, strict=True):
        bitmap, original = mine.bitmap, theirs.bitmap
        assert bitmap.largest_free_run() == original.largest_free_run()
        for nr in (1, 3, 17):
            assert bitmap.find_next_zero_area(bitmap.nbits, 5, nr) == original.find_next_zero_area(
                original.nbits, 5, nr
            )
            assert bitmap.smallest_free_run(nr) == original.smallest_free_run(nr)


def small_stream(tmp: Path) -> tuple[list[dict[str, Any]], genpool.Pool]:
    pool = genpool.Pool(3, name="small", trackers=("tag",))
    with T.record(tmp / "s.jsonl"):
        pool.add(0x1000, 256)
        pool.alloc(16, owner="a")
        pool.alloc(24, owner="b")
    trace = T.read(tmp / "s.jsonl")
    return [trace.header, *trace.records()], pool


def test_replica_observers_hear_the_ordinary_events(tmp_path: Path) -> None:
    records, _ = small_stream(tmp_path)
    replicas = ReplicaSet()
    for record in records[:-1]:
        replicas.apply(record)
    pool = list(replicas.pools.values())[-1]
    heard: list[Any] = []
    pool.observe(heard.append)
    last = records[-1]
    replicas.apply(last)
    replicas.apply(
        {"type": "free", "seq": last["seq"] + 1, "pool": last["pool"], "chunk": 0, "addr": 0x1000, "size": 16}
    )
    replicas.apply({"type": "bug", "seq": last["seq"] + 2, "pool": last["pool"], "message": "BUG: double free"})
    assert [type(event) for event in heard] == [Allocated, Freed, BugRaised]
    assert heard[0].algorithm == "first_fit" and heard[0].owner == "b" and heard[0].addr == 0x1010
    assert replicas.bugs[-1]["message"] == "BUG: double free"
    assert [(a.addr, a.size, a.owner) for a in pool.allocations()] == [(0x1010, 24, "b")]
    with pytest.raises(NoSpace):
        pool.alloc(8)  # a replica's own algorithm never finds room: only the stream places allocations


def bad_records(pool_id: int, seq: int) -> list[tuple[dict[str, Any], str]]:
    event = {"seq": seq, "pool": pool_id}
    pool = {**event, "type": "pool", "name": None, "order": 3, "nid": -1, "algorithm": "x", "destroyed": False}
    used = [{"virt": 0, "phys": None, "size": 64, "nid": -1, "runs": [[0, 4]]}]
    return [
        ({**event, "type": "free", "chunk": 0, "addr": 0x1000 + 40, "size": 8}, "not allocated"),
        ({**event, "type": "free", "chunk": 0, "addr": 0x1000 + 250, "size": 16}, "not inside chunk"),
        ({**event, "type": "free", "chunk": 0, "addr": 0x9000, "size": 8}, "not inside chunk"),
        ({**event, "type": "alloc", "chunk": 0, "addr": 0x1008, "size": 8, "algorithm": "x"}, "busy granules"),
        ({**event, "type": "alloc", "chunk": 0, "addr": 0x1000 + 252, "size": 8, "algorithm": "x"}, "does not fit"),
        ({**event, "type": "alloc", "chunk": 0, "addr": 0x1000 + 41, "size": 8, "algorithm": "x"}, "does not fit"),
        ({**event, "type": "alloc", "chunk": 0, "addr": 0x1000 + 40, "size": 0, "algorithm": "x"}, "does not fit"),
        ({**event, "type": "alloc", "chunk": 3, "addr": 0x1000 + 40, "size": 8, "algorithm": "x"}, "unknown chunk"),
        ({**event, "type": "destroy"}, "allocations outstanding"),
        ({**event, "type": "chunk", "virt": 2**64 - 8, "phys": None, "size": 64, "nid": -1}, "chunk record"),
        ({**event, "type": "algorithm", "pool": 10**6, "algorithm": "x"}, "unknown pool"),
        ({**event, "type": "alloc", "chunk": 0, "addr": "0x1000", "size": 8, "algorithm": "x"}, "not an integer"),
        ({**event, "type": "free", "chunk": 0, "addr": 0x1000, "size": 8, "seq": 0}, "comes after seq"),
        ({**pool, "order": 99, "trackers": [], "chunks": [], "allocations": None}, "order 99"),
        (
            {**pool, "trackers": [], "chunks": [{**used[0], "runs": [[0, 4], [2, 1]]}], "allocations": None},
            "overlaps another",
        ),
        ({**pool, "trackers": ["tag"], "chunks": used, "allocations": [[0, 0, 2, None]]}, "belong to no allocation"),
        ({**pool, "trackers": ["tag"], "chunks": used, "allocations": [[0, 2, 4, None]]}, "not allocated"),
        ({**pool, "trackers": [7], "chunks": used, "allocations": [[0, 0, 4, None]]}, "are not all names"),
        ({**pool, "trackers": [], "chunks": ["nope"], "allocations": None}, "not an object"),
        ({**event, "type": "alloc", "chunk": 0, "addr": 0x1000 + 40, "size": 8}, "has no 'algorithm'"),
        ({**event, "type": "free", "chunk": True, "addr": 0x1000 + 40, "size": 8}, "'chunk' is True"),
        ({**event, "type": ["alloc"]}, r"unknown record type \['alloc'\]"),
        ({**event, "type": {"k": 1}}, "unknown record type"),
        ({"type": "header", "format": "genpool-trace", "version": 2}, "version 2 is not supported"),
        ("free", "expected a JSON object"),
    ]


@pytest.mark.parametrize("as_line", [False, True], ids=["dict", "line"])
@pytest.mark.parametrize("case", range(len(bad_records(0, 0))))
def test_a_contradicting_record_is_corrupt_and_changes_nothing(tmp_path: Path, case: int, as_line: bool) -> None:
    """Each bad record, handed over as a dict or read from its line, is refused the same way."""
    records, _ = small_stream(tmp_path)
    replicas = ReplicaSet("conn")
    for record in records:
        replicas.apply(record)
    pool_id = records[-1]["pool"]
    record, message = bad_records(pool_id, records[-1]["seq"] + 1)[case]
    if as_line:
        record = parse_record(json.dumps(record).encode())
    before = (copy.deepcopy(replicas.snapshot()), replicas.seq, replicas.generation, dict(replicas.pools))
    with pytest.raises((CorruptTrace, InvalidArgument), match=message) as caught:
        replicas.apply(record, 42)  # type: ignore[arg-type]
    if isinstance(caught.value, CorruptTrace):
        assert caught.value.path == "conn" and caught.value.line == 42 and str(caught.value).startswith("conn:42: ")
    assert "\n" not in str(caught.value)
    assert (replicas.snapshot(), replicas.seq, replicas.generation, replicas.pools) == before


@pytest.mark.parametrize(
    ("owner", "written"),
    [
        (None, None),
        ("tag", "tag"),
        (7, 7),
        (True, True),
        (2.5, 2.5),
        ([1, "a"], [1, "a"]),
        ({"k": [1]}, {"k": [1]}),
        (float("nan"), "nan"),
        ((1, 2), "(1, 2)"),
        ({1: 2}, "{1: 2}"),
        ([(1, 2)], "[(1, 2)]"),
        ([object], f"[{object!r}]"),
    ],
)
def test_owners_are_json_values_or_their_repr(owner: object, written: object) -> None:
    assert owner_value(owner) == written


def test_a_long_repr_is_cut_to_the_documented_length() -> None:
    written = owner_value(("x" * 1000,))
    assert len(written) == OWNER_REPR_LIMIT and written.endswith("…") and written.startswith("('xxx")


def test_allocations_and_frees_are_read_into_their_fields_and_the_rest_as_json() -> None:
    alloc = b'{"type":"alloc","seq":5,"pool":1,"chunk":0,"addr":4096,"size":8,"algorithm":"first_fit","owner":[1]}'
    assert parse_record(alloc) == AllocRecord(5, 1, 0, 4096, 8, "first_fit", [1])
    free = b'{"type":"free","seq":6,"pool":1,"chunk":0,"addr":4096,"size":8,"extra":"ignored, as check_record does"}'
    assert parse_record(free) == FreeRecord(6, 1, 0, 4096, 8)
    assert parse_record(b'{"type":"alloc","seq":5,"pool":1,"chunk":0,"addr":4096,"size":8}') == parse_line(
        b'{"type":"alloc","seq":5,"pool":1,"chunk":0,"addr":4096,"size":8}'
    )  # malformed (no algorithm): its JSON value, for check_record to name what is wrong
    assert parse_record(b'{"type":"free","seq":1.0,"pool":1,"chunk":0,"addr":0,"size":8}')["seq"] == 1.0
    assert parse_record(b'{"type":"pool","seq":1}') == {"type": "pool", "seq": 1}
    assert parse_record(b"[1]") == [1]
    with pytest.raises(ValueError):
        parse_record(b'{"type":"alloc",')


def test_an_event_as_a_dict_and_as_its_line_change_a_replica_alike(tmp_path: Path) -> None:
    records, _ = small_stream(tmp_path)
    by_dict, by_line = ReplicaSet(), ReplicaSet()
    for record in records:
        by_dict.apply(record)
        by_line.apply(parse_record(json.dumps(record).encode()))
    assert by_dict.snapshot() == by_line.snapshot() and by_dict.seq == by_line.seq
