"""Fuzzing the whole public API with hostile values: a call that raises changed nothing.

Each example builds a pool (with or without trackers) of three chunks --
one memory-backed, one with a tail shorter than a granule, one at the top
of the 64-bit address space -- and a standalone Bitmap, then makes a
sequence of calls through both APIs and the Bitmap with values drawn to
hurt: wrong types, bools, floats, NaN, huge and negative ints, objects
whose ``__index__`` raises, read-only, closed and released buffers,
overlapping chunks, unknown and hostile algorithms.  Before each call the
full observable state is snapshotted (avail, size, every chunk's fields,
bits and backing memory, the allocations with what the trackers
recorded, the standalone bitmap); a call that raises must raise only a
documented exception and leave that state exactly as it was.
"""

from __future__ import annotations

import mmap
import warnings
from collections.abc import Callable
from typing import Any

import genpool
import genpool.kernel as K
from genpool import AlignData, Bitmap, FixedData, GenPoolError, KernelWarning
from hypothesis import given, settings
from hypothesis import strategies as st

GRANULE_ORDER = 3
DOCUMENTED = (GenPoolError, KernelWarning)


class BadIndex:
    """``__index__`` raises something other than TypeError."""

    def __index__(self) -> int:
        raise ValueError("hostile __index__")

    def __repr__(self) -> str:
        return "BadIndex()"


class HugeIndex:
    """``__index__`` returns an integer far past 64 bits."""

    def __index__(self) -> int:
        return 1 << 90

    def __repr__(self) -> str:
        return "HugeIndex()"


def _released() -> memoryview:
    view = memoryview(bytearray(4096))
    view.release()
    return view


def _closed_mmap() -> mmap.mmap:
    segment = mmap.mmap(-1, 4096)
    segment.close()
    return segment


NEAR = [0, 1, 7, 8, 9, 16, 100, 255, 256, 0x1000, 0x1008, 0x10FF, 0x1100, 0x2000, 0x2060, 0x2063, 0x2064]
NEAR += [(1 << 64) - 256, (1 << 64) - 8, (1 << 64) - 1, 1 << 64, -1, -8, 1 << 63]
numbers = st.one_of(st.sampled_from(NEAR), st.integers(-(1 << 70), 1 << 70), st.integers(0, 300))
hostile: st.SearchStrategy[Any] = st.one_of(
    numbers,
    numbers,
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.text(max_size=3),
    st.builds(BadIndex),
    st.builds(HugeIndex),
    st.builds(object),
)
memories = st.one_of(
    st.none(),
    st.builds(bytearray, st.sampled_from([0, 8, 256, 4096])),
    st.builds(bytes, st.sampled_from([256, 4096])),  # read-only
    st.builds(_released),
    st.builds(_closed_mmap),
    st.builds(lambda: memoryview(bytearray(4096))[::2]),  # not contiguous
    hostile,
)
algorithms = st.one_of(
    st.none(),
    st.sampled_from(["first_fit", "first_fit_align", "first_fit_order_align", "best_fit", "fixed_alloc", "nope"]),
    st.sampled_from(["hostile_raises", "hostile_sets_bits", "hostile_writes_raw", "hostile_reenters", "worst_fit"]),
    st.sampled_from([K.gen_pool_first_fit, K.gen_pool_best_fit, K.gen_pool_fixed_alloc]),
    st.just(lambda *args: "not an int"),
    st.just(lambda *args: -3),
    hostile,
)
datas = st.one_of(
    st.none(),
    st.builds(AlignData, st.sampled_from([1, 8, 64, 4096])),
    st.builds(FixedData, st.sampled_from([0, 8, 12, 96, 1 << 20])),
    hostile,
)


def snapshot(pool: genpool.Pool, bitmap: Bitmap) -> tuple[Any, ...]:
    """Everything a user can observe of the pool and the standalone bitmap."""
    chunks = tuple(
        (
            chunk.start_addr,
            chunk.end_addr,
            chunk.phys_addr,
            chunk.owner,
            chunk.nid,
            chunk.avail,
            chunk.bitmap.to_bytes(),
            None if chunk.memory is None else bytes(chunk.memory),
        )
        for chunk in pool.chunks
    )
    allocations = tuple(
        (record.addr, record.size, repr(record.owner), repr(sorted(record.info.items())))
        for record in pool.allocations()
    )
    return (
        pool.avail,
        pool.size,
        pool.destroyed,
        pool.algorithm.name,
        repr(pool.algorithm_data),
        pool.observers,
        chunks,
        allocations,
        bitmap.to_bytes(),
    )


H = hostile
bitmaps = st.sampled_from(["standalone", "chunk"])
observers = st.one_of(st.just("nope"), hostile)
tracker_lists = st.one_of(st.just(("tag", "nope")), st.just(("tag", "tag")), hostile)

#: Every public call: the strategies of its arguments, and how to make it on (pool, bitmap, *arguments).
CALLS: dict[str, tuple[tuple[st.SearchStrategy[Any], ...], Callable[..., object]]] = {
    "add": ((H, H, memories), lambda p, b, a, s, m: p.add(a, s, memory=m)),
    "add_virt": ((H, H, H, H), lambda p, b, a, ph, s, n: p.add_virt(a, ph, s, n)),
    "add_owner": ((H, H, H), lambda p, b, a, ph, s: p.add_owner(a, ph, s, -1, "cookie")),
    "alloc": ((H, algorithms, datas), lambda p, b, s, a, x: p.alloc(s, algo=a, data=x, owner="o")),
    "alloc_owner": ((H,), lambda p, b, s: p.alloc_owner(s)),
    "dma_alloc_align": ((H, H), lambda p, b, s, a: p.dma_alloc_align(s, a)),
    "dma_zalloc": ((H, algorithms, datas), lambda p, b, s, a, x: p.dma_zalloc(s, algo=a, data=x)),
    "free": ((H, H), lambda p, b, a, s: p.free(a, s)),
    "free_owner": ((H, H), lambda p, b, a, s: p.free_owner(a, s)),
    "set_algo": ((algorithms, datas), lambda p, b, a, x: p.set_algo(a, x)),
    "has_addr": ((H, H), lambda p, b, a, s: p.has_addr(a, s)),
    "virt_to_phys": ((H,), lambda p, b, a: p.virt_to_phys(a)),
    "chunk_of": ((H,), lambda p, b, a: p.chunk_of(a)),
    "view": ((H, H), lambda p, b, a, s: p.view(a, s)),
    "allocation_at": ((H,), lambda p, b, a: p.allocation_at(a)),
    "for_each_chunk": ((st.one_of(st.just(lambda *a: None), H),), lambda p, b, f: p.for_each_chunk(f)),
    "observe": ((observers,), lambda p, b, o: p.observe(o)),
    "unobserve": ((H,), lambda p, b, o: p.unobserve(o)),
    "destroy": ((), lambda p, b: p.destroy()),
    "gen_pool_add": ((H, H, H), lambda p, b, a, s, n: K.gen_pool_add(p, a, s, n)),
    "gen_pool_alloc": ((H,), lambda p, b, s: K.gen_pool_alloc(p, s)),
    "gen_pool_alloc_algo": ((H, algorithms, datas), lambda p, b, s, a, x: K.gen_pool_alloc_algo(p, s, a, x)),
    "gen_pool_dma_zalloc_align": ((H, H), lambda p, b, s, a: K.gen_pool_dma_zalloc_align(p, s, a)),
    "gen_pool_free": ((H, H), lambda p, b, a, s: K.gen_pool_free(p, a, s)),
    "gen_pool_free_owner": ((H, H), lambda p, b, a, s: K.gen_pool_free_owner(p, a, s)),
    "gen_pool_has_addr": ((H, H), lambda p, b, a, s: K.gen_pool_has_addr(p, a, s)),
    "gen_pool_virt_to_phys": ((H,), lambda p, b, a: K.gen_pool_virt_to_phys(p, a)),
    "gen_pool_set_algo": ((algorithms, datas), lambda p, b, a, x: K.gen_pool_set_algo(p, a, x)),
    "test_bit": ((bitmaps, H), lambda p, b, which, n: b[which].test_bit(n)),
    "find_next_bit": ((bitmaps, H, H), lambda p, b, which, s, o: b[which].find_next_bit(s, o)),
    "find_next_zero_bit": ((bitmaps, H, H), lambda p, b, which, s, o: b[which].find_next_zero_bit(s, o)),
    "weight": ((bitmaps, H, H), lambda p, b, which, s, e: b[which].weight(s, e)),
    "runs": ((bitmaps, H, H), lambda p, b, which, s, e: list(b[which].runs(s, e))),
    "counts": ((bitmaps, H, H, H), lambda p, b, which, k, s, e: b[which].counts(k, s, e)),
    "find_next_zero_area": (
        (bitmaps, H, H, H, H),
        lambda p, b, which, s, start, n, m: b[which].find_next_zero_area(s, start, n, m),
    ),
    "find_next_zero_area_off": (
        (bitmaps, H, H, H, H, H),
        lambda p, b, which, s, start, n, m, o: b[which].find_next_zero_area_off(s, start, n, m, o),
    ),
    # set and clear are the owning pool's: fuzzed on the standalone bitmap only.
    "bitmap_set": ((H, H), lambda p, b, s, n: b["standalone"].set(s, n)),
    "bitmap_clear": ((H, H), lambda p, b, s, n: b["standalone"].clear(s, n)),
    "Bitmap": ((H,), lambda p, b, n: Bitmap(n)),
    "Pool": ((H, H, tracker_lists), lambda p, b, o, n, t: genpool.Pool(o, n, trackers=t)),
}


@settings(max_examples=300)
@given(st.data(), st.sampled_from([(), ("tag", "chunk", "callsite")]))
def test_a_raising_call_changes_nothing_and_raises_only_documented_errors(
    data: st.DataObject, trackers: tuple[str, ...]
) -> None:
    pool = genpool.Pool(GRANULE_ORDER, trackers=trackers)
    pool.add(0x1000, 256, memory=bytearray(256))
    pool.add_virt(0x2000, 0x8000_0000, 100)  # 12 granules and a 4-byte tail
    pool.add_owner((1 << 64) - 256, None, 256, owner="top")
    bitmap = Bitmap(64)
    bitmap.set(3, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", KernelWarning)  # a kernel WARN_ON raises, so it must change nothing too
        for _ in range(data.draw(st.integers(1, 25))):
            name = data.draw(st.sampled_from(sorted(CALLS)))
            strategies, make = CALLS[name]
            arguments = [data.draw(strategy) for strategy in strategies]
            bitmaps = {"standalone": bitmap, "chunk": pool.chunks[0].bitmap if pool.chunks else bitmap}
            before = snapshot(pool, bitmap)
            try:
                make(pool, bitmaps, *arguments)
            except DOCUMENTED as exc:
                assert snapshot(pool, bitmap) == before, f"{name}{arguments!r} raised {exc!r} and changed the pool"
            except IndexError as exc:  # test_bit's documented error for a bit outside the bitmap
                assert name == "test_bit", f"{name}{arguments!r} raised {exc!r}"
                assert snapshot(pool, bitmap) == before
            # Whatever happened, the accounting still adds up.
            for chunk in pool.chunks:
                granules = chunk.bitmap.weight()
                assert chunk.avail == chunk.size - (granules << GRANULE_ORDER), f"after {name}: {chunk!r}"
