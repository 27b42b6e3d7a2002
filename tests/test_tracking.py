"""Ownership trackers and observers: records, blind frees, failures, events."""

from __future__ import annotations

import genpool
import pytest
from genpool import events
from genpool.events import Allocated, BugRaised, ChunkAdded, Destroyed, Freed, ObserverWarning
from genpool.host import get_host


def tracked_pool(*trackers: str) -> genpool.Pool:
    pool = genpool.Pool(3, trackers=trackers or ("tag", "callsite", "chunk"))
    pool.add_owner(0x1000, 0x8000, 1024, owner="sram0")
    return pool


def spans(pool: genpool.Pool) -> list[tuple[int, int, object]]:
    return [(record.addr, record.size, record.owner) for record in pool.allocations()]


def test_records_hold_extent_owner_callsite_and_chunk_owner() -> None:
    pool = tracked_pool()
    first = pool.alloc(20, owner="dma")  # 24 bytes, three granules
    second = pool.alloc(8, owner="irq")
    records = pool.allocations()
    assert [(r.addr, r.size, r.owner) for r in records] == [(first, 24, "dma"), (second, 8, "irq")]
    callsite = records[0].info["callsite"]
    assert (
        callsite.filename == __file__ and callsite.function == "test_records_hold_extent_owner_callsite_and_chunk_owner"
    )
    assert records[0].info["chunk_owner"] == "sram0"
    assert pool.allocation_at(first + 23) == records[0]
    assert pool.allocation_at(first + 24) == records[1]
    assert pool.allocation_at(second + 8) is None


def test_kernel_api_callsite_is_the_callers() -> None:
    from genpool.kernel import gen_pool_alloc

    pool = tracked_pool("callsite")
    gen_pool_alloc(pool, 8)
    assert pool.allocations()[0].info["callsite"].filename == __file__


def test_allocations_from_one_line_share_one_callsite_object() -> None:
    pool = tracked_pool("callsite")
    for _ in range(3):
        pool.alloc(8)
    pool.alloc(8)
    first, second, third, other = (record.info["callsite"] for record in pool.allocations())
    assert first is second is third
    assert other is not first and other.line == first.line + 1 and other.function == first.function


def test_partial_free_shrinks_or_splits_a_record() -> None:
    pool = tracked_pool("tag")
    addr = pool.alloc(64, owner="a")
    pool.free(addr, 8)  # head
    assert spans(pool) == [(addr + 8, 56, "a")]
    pool.free(addr + 56, 8)  # tail
    assert spans(pool) == [(addr + 8, 48, "a")]
    pool.free(addr + 20, 16)  # middle, start rounded down to addr + 16
    assert spans(pool) == [(addr + 8, 8, "a"), (addr + 32, 24, "a")]


def test_merged_free_removes_several_records_and_trims_the_edges() -> None:
    pool = tracked_pool("tag")
    a = pool.alloc(16, owner="a")
    b = pool.alloc(16, owner="b")
    c = pool.alloc(16, owner="c")
    d = pool.alloc(16, owner="d")
    pool.free(a + 8, 48)  # the second half of a, all of b and c, the first half of d
    assert spans(pool) == [(a, 8, "a"), (d + 8, 8, "d")]
    assert (b, c, d) == (a + 16, a + 32, a + 48)


def test_a_raising_tracker_leaves_pool_and_trackers_as_they_were() -> None:
    class Fussy:
        def record(self, request: object) -> object:
            if request.size == 13:  # type: ignore[attr-defined]
                raise RuntimeError("unlucky")
            return "ok"

        def describe(self, value: object) -> dict:
            return {"fussy": value}

    module = type(
        "FussyPlugin",
        (),
        {"genpool_register_trackers": staticmethod(genpool.hookimpl(lambda register: register("fussy", Fussy)))},
    )
    get_host().add_plugin(module, "fussy-test")
    pool = tracked_pool("tag", "fussy")
    pool.alloc(8, owner="kept")
    before = (pool.avail, spans(pool), pool.chunks[0].bitmap.to_bytes())
    with pytest.raises(
        genpool.PluginError, match="tracker 'fussy' of plugin 'fussy-test'.*RuntimeError: unlucky"
    ) as err:
        pool.alloc(13, owner="lost")
    assert isinstance(err.value.__cause__, RuntimeError)
    assert (pool.avail, spans(pool), pool.chunks[0].bitmap.to_bytes()) == before
    assert pool.alloc(16, owner="next") == 0x1008


def test_pool_with_unknown_tracker_is_refused() -> None:
    with pytest.raises(genpool.InvalidArgument, match="unknown tracker 'nope'"):
        genpool.Pool(3, trackers=("tag", "nope"))
    with pytest.raises(genpool.InvalidArgument, match="not the string 'tag'"):
        genpool.Pool(3, trackers="tag")  # type: ignore[arg-type]


def test_untracked_pool_reports_runs() -> None:
    pool = genpool.Pool(3)
    pool.add(0, 256)
    pool.alloc(8)
    pool.alloc(8)
    pool.alloc(16)
    pool.free(8, 8)
    assert [(r.addr, r.size) for r in pool.allocations()] == [(0, 8), (16, 16)]


def test_observer_sees_every_kind_of_event_in_order() -> None:
    pool = genpool.Pool(3)
    seen: list[events.Event] = []
    assert pool.observe(seen.append) == seen.append
    pool.add(0, 64)
    addr = pool.alloc(10, owner="o")
    pool.set_algo("best_fit")
    pool.free(addr + 3, 2)
    with pytest.raises(genpool.PoolBug):
        pool.free(addr, 8)
    pool.free(addr + 8, 8)
    pool.destroy()
    kinds = [type(event).__name__ for event in seen]
    assert kinds == ["ChunkAdded", "Allocated", "AlgorithmSet", "Freed", "BugRaised", "Freed", "Destroyed"]
    assert [event.seq for event in seen] == sorted(event.seq for event in seen)
    assert all(event.pool is pool for event in seen)
    allocated = seen[1]
    assert isinstance(allocated, Allocated)
    assert (allocated.addr, allocated.size, allocated.nbytes, allocated.algorithm, allocated.owner) == (
        0,
        10,
        16,
        "first_fit",
        "o",
    )
    freed = seen[3]
    assert isinstance(freed, Freed) and (freed.addr, freed.start, freed.nbytes) == (3, 0, 8)
    assert isinstance(seen[4], BugRaised) and "0x0" in seen[4].message
    assert isinstance(seen[0], ChunkAdded) and isinstance(seen[-1], Destroyed)


def test_failing_observer_is_reported_once_then_detached_and_never_breaks_allocation() -> None:
    pool = genpool.Pool(3)
    pool.add(0, 1024)
    calls = []

    def broken(event: events.Event) -> None:
        calls.append(event)
        raise ValueError("observer bug")

    pool.observe(broken)
    with pytest.warns(ObserverWarning, match="observer .*broken.* raised ValueError: observer bug"):
        first = pool.alloc(8)
    pool.alloc(8)  # second failure: no second warning (filterwarnings=error would raise)
    pool.alloc(8)
    assert len(calls) == events.MAX_FAILURES and pool.observers == ()
    pool.free(first, 8)
    assert len(calls) == events.MAX_FAILURES
    assert pool.avail == 1024 - 16


def test_unobserve() -> None:
    pool = genpool.Pool(3)
    seen: list[events.Event] = []
    pool.observe(seen.append)
    pool.unobserve(seen.append)
    pool.add(0, 64)
    assert seen == []
    with pytest.raises(genpool.InvalidArgument):
        pool.unobserve(seen.append)
    with pytest.raises(genpool.InvalidArgument):
        pool.observe(42)  # type: ignore[arg-type]


def test_no_event_is_built_without_an_observer(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = genpool.Pool(3)
    pool.add(0, 64)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an event was built")

    monkeypatch.setattr(events, "next_seq", refuse)
    for module in ("genpool.pool", "genpool.pool_paths"):
        monkeypatch.setattr(f"{module}.next_seq", refuse)
    addr = pool.alloc(8)
    pool.free(addr, 8)
    pool.set_algo("best_fit")


def test_events_built_on_the_allocation_path_equal_the_classes_own() -> None:
    chunk = tracked_pool().chunks[0]
    values = (chunk, 0x1000, 10, 16, "first_fit", "o")
    quick = tuple.__new__(Allocated, (None, 7, *values))
    assert quick == Allocated(None, 7, *values) and type(quick) is Allocated
    assert isinstance(quick, events.Event) and quick.addr == 0x1000 and quick.owner == "o"
    freed = tuple.__new__(Freed, (None, 8, chunk, 0x1003, 2, 0x1000, 8))
    assert freed == Freed(None, 8, chunk, 0x1003, 2, 0x1000, 8) and freed.start == 0x1000
    with pytest.raises(AttributeError):
        quick.addr = 0  # type: ignore[misc]
