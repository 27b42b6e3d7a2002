"""Every call is bounded and every argument checked.

A destroy with a million allocations outstanding answers at once with a
short message (the full list stays on the exception); a destroyed pool
lets go of its memory; sizes that cannot be honoured are refused before
any work; Bitmap's public methods, chunk_of and the Pool constructor
refuse hostile arguments with InvalidArgument naming them.
"""

from __future__ import annotations

import tracemalloc

import genpool
import pytest
from genpool import Bitmap, InvalidArgument
from genpool.outstanding import SHOWN


class BadIndex:
    """An object whose ``__index__`` raises something other than TypeError."""

    def __index__(self) -> int:
        raise ValueError("no index for you")


# -- destroy with many allocations -----------------------------------------------


@pytest.mark.parametrize(("trackers", "count"), [(("tag",), 1_000_000), ((), 100_000)])
def test_destroy_with_many_outstanding_is_short_and_keeps_the_full_list(trackers: tuple[str, ...], count: int) -> None:
    pool = genpool.Pool(0, trackers=trackers)
    pool.add(0, 2 * count)
    for _ in range(count):
        pool.alloc(2, owner="many")
    if not trackers:  # without a tracker adjacent allocations read as one run: free a byte after each
        for addr in range(1, 2 * count, 2):
            pool.free(addr, 1)
    tracemalloc.start()
    try:
        with pytest.raises(genpool.PoolBug) as bug:
            pool.destroy()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(bug.value)
    assert f"with {count} allocation(s) outstanding" in message
    assert message.count("\n") == SHOWN + 1 and f"... and {count - SHOWN} more" in message
    # The refusal copies the bits and records (a few MiB) instead of building a record for each.
    assert peak < 64 << 20
    outstanding = bug.value.outstanding
    assert len(outstanding) == count
    assert outstanding[0].addr == 0 and outstanding[-1].addr == 2 * count - 2
    assert sum(record.size for record in outstanding) == (2 if trackers else 1) * count
    assert not pool.destroyed and pool.size == 2 * count  # nothing changed


def test_outstanding_is_a_snapshot() -> None:
    pool = genpool.Pool(3, trackers=("tag",))
    pool.add(0x1000, 64)
    a = pool.alloc(8, owner="a")
    pool.alloc(8, owner="b")
    with pytest.raises(genpool.PoolBug) as bug:
        pool.destroy()
    pool.free(a, 8)  # after the BUG: the list still shows what was outstanding then
    assert [(r.addr, r.owner) for r in bug.value.outstanding] == [(0x1000, "a"), (0x1008, "b")]
    assert bug.value.outstanding == list(bug.value.outstanding) and bug.value.outstanding != pool.allocations()


def test_a_chunk_whose_bitmap_cannot_fit_in_memory_is_refused_before_any_work() -> None:
    pool = genpool.Pool(0)
    with pytest.raises(genpool.NoSpace, match="more than memory holds"):
        pool.add(0, 1 << 60)
    assert pool.chunks == () and pool.size == 0
    with pytest.raises(genpool.NoSpace, match="a bitmap of 1152921504606846976 bits"):
        Bitmap(1 << 60)


# -- argument checks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda b: b.find_next_bit(16, -8), "offset"),
        (lambda b: b.find_next_zero_bit(16, -1), "offset"),
        (lambda b: b.find_next_bit(17, 0), "size"),
        (lambda b: b.find_next_zero_bit(-1, 0), "size"),
        (lambda b: list(b.runs(-5)), "start"),
        (lambda b: b.runs(0, -1), "end"),
        (lambda b: b.weight(-1), "start"),
        (lambda b: b.weight(0, 2.5), "end"),
        (lambda b: b.counts(4, -4), "start"),
        (lambda b: b.counts(True), "block"),
        (lambda b: b.find_next_zero_area(16, -1, 2), "start"),
        (lambda b: b.find_next_zero_area(16, 0, 2.0), "nr"),
        (lambda b: b.find_next_zero_area(16, 0, BadIndex()), "nr"),
        (lambda b: b.find_next_zero_area_off(16, 0, 2, -1, 0), "align_mask"),
        (lambda b: b.find_next_zero_area_off(16, 0, 2, 1, float("nan")), "align_offset"),
        (lambda b: b.set(1.0, 2), "start"),
        (lambda b: b.clear(0, "2"), "nr"),
        (lambda b: b.test_bit(1.5), "nr"),
        (lambda b: Bitmap(-1), "nbits"),
        (lambda b: Bitmap("16"), "nbits"),
    ],
)
def test_bitmap_methods_refuse_bad_arguments_naming_them(call, names: str) -> None:  # type: ignore[no-untyped-def]
    bitmap = Bitmap(16)
    bitmap.set(2, 3)
    with pytest.raises(InvalidArgument, match=names):
        call(bitmap)
    assert bitmap.to_bytes() == bytes(2) + b"\x01" * 3 + bytes(11)


def test_set_and_clear_with_a_negative_count_change_nothing() -> None:
    empty, full = Bitmap(16), Bitmap(16)
    full.set(0, 16)
    assert empty.set(0, -2) is False and full.clear(0, -2) is False  # once, these shrank the bitmap
    assert len(empty.raw) == len(full.raw) == 16 and (empty.weight(), full.weight()) == (0, 16)


def test_a_huge_request_is_no_fit_not_a_memory_error() -> None:
    bitmap = Bitmap(16)
    assert bitmap.find_next_zero_area(16, 0, 1 << 60) == (1 << 60)  # the kernel's failure value, index + nr
    assert bitmap.find_next_zero_area_off(16, 0, 1 << 60, 7, 0) > 16


@pytest.mark.parametrize("bad", [1.5, float("nan"), "0x1000", BadIndex(), True, -1, 1 << 64])
def test_chunk_of_refuses_what_is_not_an_address(bad: object) -> None:
    pool = genpool.Pool(3)
    pool.add(0x1000, 64)
    with pytest.raises(InvalidArgument, match="address"):
        pool.chunk_of(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [5, 1.5, object()])
def test_trackers_must_be_a_sequence_of_names(bad: object) -> None:
    with pytest.raises(InvalidArgument, match="trackers must be a sequence of names"):
        genpool.Pool(3, trackers=bad)  # type: ignore[arg-type]


def test_a_tracker_named_twice_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="'tag'"):
        genpool.Pool(3, trackers=("tag", "tag"))


@pytest.mark.parametrize(
    "call",
    [
        lambda pool: pool.alloc(BadIndex()),
        lambda pool: pool.free(BadIndex(), 8),
        lambda pool: pool.add(BadIndex(), 64),
        lambda pool: pool.has_addr(0x1000, BadIndex()),
        lambda pool: genpool.Pool(BadIndex()),
    ],
)
def test_a_raising_index_is_an_invalid_argument(call) -> None:  # type: ignore[no-untyped-def]
    pool = genpool.Pool(3)
    pool.add(0x1000, 64)
    with pytest.raises(InvalidArgument, match="__index__ raised ValueError: no index for you") as err:
        call(pool)
    assert isinstance(err.value.__cause__, ValueError)
    assert pool.avail == 64
