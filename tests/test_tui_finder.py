"""Finding things for the bitmap cursor, checked against a plain model of the bitmaps."""

from __future__ import annotations

import genpool
import pytest
from genpool.tui import finder
from hypothesis import given, settings
from hypothesis import strategies as st


def build(ops: list[tuple[bool, int, str]], tracked: bool) -> genpool.Pool:
    pool = genpool.Pool(3, trackers=("tag",) if tracked else ())
    pool.add(0x1000, 256)
    pool.add(0x9000, 512)
    live: list[tuple[int, int]] = []
    for is_alloc, size, owner in ops:
        if is_alloc or not live:
            try:
                live.append((pool.alloc(size, owner=owner), size))
            except genpool.NoSpace:
                pass
        else:
            pool.free(*live.pop(size % len(live)))
    return pool


def bits_of(chunk: genpool.Chunk) -> bytearray:
    return chunk.bitmap.raw


def starts(pool: genpool.Pool) -> list[tuple[int, int]]:
    """Every allocation's first granule (tracked) or run start (untracked), in view order."""
    result = []
    order = pool.min_alloc_order
    for index, chunk in enumerate(pool.chunks):
        if pool.trackers:
            heads = [(r.addr - chunk.start_addr) >> order for r in pool.allocations() if r.chunk is chunk]
        else:
            bits = chunk.bitmap.raw
            heads = [i for i in range(len(bits)) if bits[i] and (i == 0 or not bits[i - 1])]
        result.extend((index, head) for head in sorted(heads))
    return result


def all_free_runs(pool: genpool.Pool) -> list[tuple[tuple[int, int], int]]:
    """``((chunk index, first granule), length)`` of every run of free granules, in view order."""
    result = []
    for index, chunk in enumerate(pool.chunks):
        bits = chunk.bitmap.raw
        i = 0
        while i < len(bits):
            if bits[i]:
                i += 1
                continue
            j = i
            while j < len(bits) and not bits[j]:
                j += 1
            result.append(((index, i), j - i))
            i = j
    return result


def free_runs(pool: genpool.Pool, least: int) -> list[tuple[int, int]]:
    return [start for start, length in all_free_runs(pool) if length >= least]


def containing(items: list[tuple[int, int]], cursor: tuple[int, int], pool: genpool.Pool, free: bool) -> tuple:
    """The item the cursor stands in (the last start at or before it in the same run), for the model."""
    index, bit = cursor
    bits = pool.chunks[index].bitmap.raw
    if bool(bits[bit]) == free:
        return None
    before = [item for item in items if item[0] == index and item[1] <= bit]
    return before[-1] if before else None


ops_strategy = st.lists(st.tuples(st.booleans(), st.integers(1, 80), st.sampled_from("ab")), max_size=40)


@settings(max_examples=80, deadline=None)
@given(ops=ops_strategy, tracked=st.booleans(), where=st.integers(0, 95), direction=st.sampled_from([1, -1]))
def test_next_allocation_matches_the_model(ops, tracked: bool, where: int, direction: int) -> None:
    pool = build(ops, tracked)
    chunks = pool.chunks
    cursor = (0, where) if where < chunks[0].nbits else (1, where - chunks[0].nbits)
    heads = starts(pool)
    current = containing(heads, cursor, pool, free=False)
    if direction > 0:
        expected = next((h for h in heads if h > cursor and h != current), None)
    else:
        before = [h for h in heads if h < (current or cursor)]
        expected = before[-1] if before else None
    assert finder.next_allocation(pool, chunks, bits_of, cursor, direction) == expected


@settings(max_examples=80, deadline=None)
@given(
    ops=ops_strategy,
    where=st.integers(0, 95),
    direction=st.sampled_from([1, -1]),
    least=st.integers(1, 12),
)
def test_next_free_run_matches_the_model(ops, where: int, direction: int, least: int) -> None:
    pool = build(ops, False)
    chunks = pool.chunks
    cursor = (0, where) if where < chunks[0].nbits else (1, where - chunks[0].nbits)
    runs = free_runs(pool, least)
    every_run = free_runs(pool, 1)
    current = containing(every_run, cursor, pool, free=True)
    if direction > 0:
        expected = next((r for r in runs if r > cursor and r != current), None)
    else:
        before = [r for r in runs if r < (current or cursor)]
        expected = before[-1] if before else None
    assert finder.next_free_run(chunks, bits_of, cursor, direction, least) == expected


@settings(max_examples=60, deadline=None)
@given(ops=ops_strategy)
def test_largest_free_run_is_the_first_longest(ops) -> None:
    pool = build(ops, False)
    runs = all_free_runs(pool)
    expected = max(runs, key=lambda run: run[1]) if runs else None
    assert finder.largest_free_run(pool.chunks, bits_of) == expected


def test_locate_address_takes_hex_or_decimal_and_refuses_what_is_outside() -> None:
    pool = genpool.Pool(3)
    pool.add(0x1000, 64)
    pool.add(0x9000, 61)  # a 5-byte tail past the last whole granule
    chunks = pool.chunks
    assert finder.locate_address(pool, chunks, "0x1008") == (1, 1)
    assert finder.locate_address(pool, chunks, str(0x9010)) == (0, 2)
    with pytest.raises(ValueError, match=r"address 0x5000 is outside the pool \(chunks: 0x9000-0x903c, 0x1000"):
        finder.locate_address(pool, chunks, "0x5000")
    with pytest.raises(ValueError, match="tail of chunk 0x9000"):
        finder.locate_address(pool, chunks, "0x903a")
    with pytest.raises(ValueError, match="address: 'nope' is not a number"):
        finder.locate_address(pool, chunks, "nope")
    with pytest.raises(ValueError, match="address is required"):
        finder.locate_address(pool, chunks, " ")


def test_find_owner_wraps_and_explains_misses() -> None:
    pool = genpool.Pool(3, trackers=("tag",))
    pool.add(0x1000, 256)
    first = pool.alloc(8, owner="rx-ring")
    pool.alloc(8, owner="dma")
    pool.alloc(8, owner="RX-extra")
    chunks = pool.chunks
    (cursor, record) = finder.find_owner(pool, chunks, (0, 0), "rx")
    assert cursor == (0, 2) and record.owner == "RX-extra"
    (cursor, record) = finder.find_owner(pool, chunks, cursor, "rx")
    assert cursor == (0, 0) and record.addr == first  # wrapped round
    with pytest.raises(ValueError, match="no allocation's owner contains 'gpu'"):
        finder.find_owner(pool, chunks, None, "gpu")
    with pytest.raises(ValueError, match="owner is required"):
        finder.find_owner(pool, chunks, None, "")
    plain = genpool.Pool(3)
    plain.add(0x1000, 64)
    with pytest.raises(ValueError, match="keeps no owners"):
        finder.find_owner(plain, plain.chunks, None, "x")


def test_a_free_run_is_at_least_one_granule() -> None:
    pool = genpool.Pool(3)
    pool.add(0x1000, 64)
    with pytest.raises(ValueError, match="at least one granule"):
        finder.next_free_run(pool.chunks, bits_of, (0, 0), 1, 0)
