"""Pool.extents: the cheap per-range view of the trackers' records that the TUI draws from."""

from __future__ import annotations

import genpool
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def reference(pool: genpool.Pool, chunk: genpool.Chunk, first: int, end: int) -> list[tuple[int, int, object]]:
    """The same answer from the full records: every allocation overlapping ``[first, end)``."""
    order = pool.min_alloc_order
    result: list[tuple[int, int, object]] = []
    if first >= end:
        return result
    for record in pool.allocations():
        if record.chunk is not chunk:
            continue
        head = (record.addr - chunk.start_addr) >> order
        length = record.size >> order
        if head < end and head + length > first:
            result.append((head, length, record.owner))
    return result


@settings(max_examples=60, deadline=None)
@given(
    ops=st.lists(st.tuples(st.booleans(), st.integers(1, 200), st.sampled_from(["a", "b", "c"])), max_size=60),
    window=st.tuples(st.integers(0, 140), st.integers(0, 140)),
)
def test_matches_the_allocation_records(ops: list[tuple[bool, int, str]], window: tuple[int, int]) -> None:
    pool = genpool.Pool(3, trackers=("tag",))
    chunk = pool.add(0x1000, 1024)
    live: list[tuple[int, int]] = []
    for is_alloc, size, owner in ops:
        if is_alloc or not live:
            try:
                live.append((pool.alloc(size, owner=owner), size))
            except genpool.NoSpace:
                pass
        else:
            pool.free(*live.pop(size % len(live)))
    first, end = min(window), max(window)
    assert [extent[:3] for extent in pool.extents(chunk, first, end)] == reference(pool, chunk, first, end)


def test_untracked_pool_has_no_extents_and_bad_arguments_are_refused() -> None:
    pool = genpool.Pool(3)
    chunk = pool.add(0x1000, 64)
    pool.alloc(16)
    assert pool.extents(chunk, 0, 8) == []
    other = genpool.Pool(3).add(0x1000, 64)
    with pytest.raises(genpool.InvalidArgument, match="chunk"):
        pool.extents(other, 0, 8)
    with pytest.raises(genpool.InvalidArgument, match="first_bit"):
        pool.extents(chunk, -1, 8)
    with pytest.raises(genpool.InvalidArgument, match="end_bit"):
        pool.extents(chunk, 0, "8")  # type: ignore[arg-type]
