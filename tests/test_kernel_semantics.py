"""The rules of SPEC section 4, one test each, with addresses worked out from lib/genalloc.c.

Each test states the kernel code it follows.  ``K`` is the kernel API
(:mod:`genpool.kernel`); both APIs share one implementation, so most rules
are checked through both.
"""

from __future__ import annotations

import errno

import genpool
import genpool.kernel as K
import pytest
from genpool import AlignData, FixedData, InvalidArgument, KernelWarning, NoSpace, Pool, PoolBug
from genpool.devicetree import DeviceNode

ALL_ONES = (1 << 64) - 1
GiB = 1 << 30


def bits(chunk: genpool.Chunk) -> str:
    """A chunk's bitmap as a string of 0 and 1."""
    return "".join("1" if b else "0" for b in chunk.bitmap.to_bytes())


def recording(calls: list, inner=None):
    """A genpool_algo_t that records its arguments, then runs first fit (or ``inner``)."""

    def spy(bitmap, size, start, nr, data, pool, start_addr):
        calls.append({"start_addr": start_addr, "size": size, "start": start, "nr": nr, "data": data})
        if inner is not None:
            return inner(bitmap, size, start, nr, data, pool, start_addr)
        return bitmap.find_next_zero_area(size, start, nr, 0)

    return spy


# -- new chunks go to the head ------------------------------------------------------


def test_newest_chunk_first_for_alloc_and_for_each_chunk() -> None:
    # list_add_rcu(&chunk->next_chunk, &pool->chunks): a new chunk is the head.
    pool = Pool(3)
    old = pool.add(0x1000, 0x100)
    new = pool.add(0x2000, 0x100)
    assert pool.chunks == (new, old)
    seen = []
    pool.for_each_chunk(lambda p, chunk, data: seen.append((p, chunk.start_addr, data)), "cookie")
    assert seen == [(pool, 0x2000, "cookie"), (pool, 0x1000, "cookie")]
    seen.clear()
    K.gen_pool_for_each_chunk(pool, lambda p, chunk, data: seen.append(chunk.start_addr), None)
    assert seen == [0x2000, 0x1000]
    assert pool.alloc(8) == 0x2000
    assert K.gen_pool_alloc(pool, 8) == 0x2008
    # fill the new chunk: the old one is used next
    assert pool.alloc(0x100 - 16) == 0x2010
    assert pool.alloc(8) == 0x1000


def test_newest_chunk_first_for_overlapping_chunks_in_the_kernel_api() -> None:
    # The kernel API accepts overlapping chunks; every walk meets the newest first.
    pool = K.gen_pool_create(3, -1)
    assert K.gen_pool_add_owner(pool, 0x1000, 0xA000, 0x40, -1, "old") == 0
    assert K.gen_pool_add_owner(pool, 0x1000, 0xB000, 0x40, -1, "new") == 0
    new, old = pool.chunks
    # virt_to_phys: the newest chunk holding the address answers
    assert K.gen_pool_virt_to_phys(pool, 0x1010) == 0xB010
    assert pool.virt_to_phys(0x1010) == 0xB010
    # alloc: the newest first, then the old one once the new one is full
    assert K.gen_pool_alloc_owner(pool, 0x40) == (0x1000, "new")
    assert K.gen_pool_alloc_owner(pool, 8) == (0x1000, "old")
    assert bits(new) == "1" * 8 and bits(old) == "10000000"
    # free: the newest chunk holding the address is the one cleared
    assert K.gen_pool_free_owner(pool, 0x1000, 8) == "new"
    assert bits(new) == "01111111" and bits(old) == "10000000"
    # and again: the kernel looks no further than the first chunk holding the
    # address, so this is a double free (BUG_ON(remain)) although "old" has bit 0 set
    with pytest.raises(PoolBug):
        K.gen_pool_free(pool, 0x1000, 8)
    assert bits(new) == "01111111" and bits(old) == "10000000"
    # dma alloc translates through the newest chunk too (gen_pool_virt_to_phys)
    assert K.gen_pool_dma_alloc(pool, 8) == (0x1000, 0xB000)


def test_alloc_owner_reports_the_chunk_allocated_from() -> None:
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add_owner(pool, 0x1000, -1, 0x40, -1, "old")
    K.gen_pool_add_owner(pool, 0x1000, -1, 0x40, -1, "new")
    assert pool.alloc_owner(0x40) == (0x1000, "new")
    # the new chunk is full: 8 bytes come from "old" at 0x1000
    addr, owner = pool.alloc_owner(8)
    assert addr == 0x1000
    assert bits(pool.chunks[1]) == "10000000"
    assert owner == "old"  # kernel: *owner = chunk->owner of the chunk that was searched


def test_has_addr_looks_past_a_chunk_that_holds_only_the_start() -> None:
    # gen_pool_has_addr: "if start in chunk: if end <= chunk->end_addr: found; break" -
    # the loop goes on when only the start lies in a chunk.
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add(pool, 0x1000, 0x100, -1)
    K.gen_pool_add(pool, 0x1000, 0x10, -1)  # newest, small
    assert K.gen_pool_has_addr(pool, 0x1000, 0x20) is True
    assert K.addr_in_gen_pool(pool, 0x1000, 0x100) is True
    assert pool.has_addr(0x1000, 0x101) is False


# -- nbits = floor(size / granule); the tail ------------------------------------------


def test_chunk_bits_are_floor_of_size_and_the_tail_is_never_allocated() -> None:
    # gen_pool_add_owner: nbits = size >> min_alloc_order; end_addr = virt + size - 1
    pool = Pool(3)
    chunk = pool.add(0x1000, 0x14)  # 20 bytes: two 8-byte granules and a 4-byte tail
    assert chunk.nbits == 2
    assert chunk.size == pool.size == 0x14
    assert chunk.end_addr == 0x1013
    assert chunk.avail == pool.avail == 0x14  # avail starts at the byte size
    assert pool.alloc(0x10) == 0x1000
    assert chunk.avail == 4 and pool.size == 0x14
    # 1 byte passes the pre-check (1 <= 4) but no granule is free
    with pytest.raises(NoSpace):
        pool.alloc(1)
    assert K.gen_pool_alloc(pool, 1) == 0
    assert pool.has_addr(0x1010, 4) is True  # the tail is in the chunk
    # freeing the tail: its granule has no bit, so nothing is allocated there
    with pytest.raises(PoolBug):
        pool.free(0x1010, 4)
    pool.free(0x1000, 0x10)
    assert chunk.avail == pool.avail == pool.size == 0x14


def test_chunk_smaller_than_a_granule_has_no_bits() -> None:
    pool = Pool(4)
    chunk = pool.add(0x1000, 15)
    assert chunk.nbits == 0 and pool.size == pool.avail == 15
    with pytest.raises(NoSpace):
        pool.alloc(1)
    assert K.gen_pool_alloc(pool, 15) == 0
    assert pool.avail == 15


# -- avail: starts at the byte size; pre-check on the unrounded size ---------------------


def test_avail_takes_and_gives_back_the_rounded_size() -> None:
    # atomic_long_sub(nbits << order, &chunk->avail); free adds nbits << order
    pool = Pool(3)
    chunk = pool.add(0x1000, 0x40)
    a = pool.alloc(1)
    assert (a, chunk.avail) == (0x1000, 0x38)
    b = pool.alloc(9)
    assert (b, chunk.avail) == (0x1008, 0x28)
    pool.free(b, 9)
    assert chunk.avail == 0x38
    pool.free(a, 1)
    assert chunk.avail == pool.avail == pool.size == 0x40


def test_pre_check_is_on_the_unrounded_size() -> None:
    # "if (size > atomic_long_read(&chunk->avail)) continue;" - before rounding
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add(pool, 0x1000, 0x40, -1)  # older, room to spare
    K.gen_pool_add(pool, 0x2000, 0x14, -1)  # newest: 2 granules + 4-byte tail
    assert K.gen_pool_alloc(pool, 0x10) == 0x2000  # newest chunk, avail now 4
    calls: list = []
    spy = recording(calls)
    # 4 bytes: 4 <= avail 4, so the newest chunk is searched (and has no free bit)
    assert K.gen_pool_alloc_algo(pool, 4, spy, None) == 0x1000
    assert [c["start_addr"] for c in calls] == [0x2000, 0x1000]
    assert calls[0]["nr"] == 1
    # 5 bytes: 5 > 4, the newest chunk is skipped without a search
    calls.clear()
    assert K.gen_pool_alloc_algo(pool, 5, spy, None) == 0x1008
    assert [c["start_addr"] for c in calls] == [0x1000]
    # rounded sizes were taken: 8 for each
    assert K.gen_pool_avail(pool) == 4 + 0x40 - 16
    # 0x31 > avail 0x30 of the old chunk: no search at all, although 7 granules...
    calls.clear()
    assert K.gen_pool_alloc_algo(pool, 0x31, spy, None) == 0
    assert calls == []
    # ...while 0x30 (6 granules) is searched and fits
    assert K.gen_pool_alloc_algo(pool, 0x30, spy, None) == 0x1010
    assert K.gen_pool_avail(pool) == 4


# -- size 0 ----------------------------------------------------------------------------


def test_alloc_of_size_zero() -> None:
    # "if (size == 0) return 0;" before any chunk is looked at
    pool = Pool(3)
    pool.add_owner(0x1000, None, 0x40, owner="chip")
    calls: list = []
    assert K.gen_pool_alloc(pool, 0) == 0
    assert K.gen_pool_alloc_owner(pool, 0) == (0, None)
    assert K.gen_pool_alloc_algo(pool, 0, recording(calls), None) == 0
    assert K.gen_pool_dma_alloc(pool, 0) == (None, None)
    assert calls == []
    with pytest.raises(InvalidArgument):
        pool.alloc(0)
    with pytest.raises(InvalidArgument):
        pool.alloc_owner(0)
    with pytest.raises(InvalidArgument):
        pool.dma_alloc(0)
    assert pool.avail == 0x40 and bits(pool.chunks[0]) == "0" * 8


def test_free_of_size_zero_is_a_no_op_reporting_the_owner() -> None:
    # nbits = 0: bitmap_clear_ll clears nothing, avail += 0, *owner = chunk->owner
    pool = Pool(3)
    pool.add_owner(0x1000, None, 0x40, owner="chip")
    addr = pool.alloc(8)
    assert pool.free_owner(0x1008, 0) == "chip"  # not even allocated: nothing to clear
    assert pool.free(addr, 0) is None
    assert K.gen_pool_free_owner(pool, 0x1004, 0) == "chip"
    assert pool.avail == 0x38 and bits(pool.chunks[0]) == "10000000"
    # outside every chunk it is still a BUG()
    with pytest.raises(PoolBug):
        pool.free(0x2000, 0)


def test_free_of_size_zero_at_address_zero_hits_the_kernels_bug_on() -> None:
    # BUG_ON(addr + size - 1 > chunk->end_addr): 0 + 0 - 1 is 2**64-1 in unsigned long
    pool = Pool(3)
    pool.add(0, 0x40)
    with pytest.raises(PoolBug):
        pool.free(0, 0)
    assert pool.free_owner(8, 0) is None


# -- free is blind ---------------------------------------------------------------------


def test_free_rounds_its_start_down_and_is_blind_to_allocations() -> None:
    # start_bit = (addr - chunk->start_addr) >> order; nbits = ceil(size / granule)
    pool = Pool(3)
    chunk = pool.add(0x1000, 0x40)
    assert pool.alloc(16) == 0x1000  # bits 0-1
    assert pool.alloc(16) == 0x1010  # bits 2-3
    assert bits(chunk) == "11110000"
    pool.free(0x1003, 1)  # rounds down to bit 0: a partial free
    assert bits(chunk) == "01110000"
    pool.free(0x1008, 0x18)  # bits 1-3: the rest of one allocation and all of the next
    assert bits(chunk) == "00000000"
    assert chunk.avail == 0x40


def test_free_counts_granules_from_the_size_alone() -> None:
    # 8 bytes from 0x1004 touch granules 0 and 1, but nbits = ceil(8 / 8) = 1 from bit 0
    pool = Pool(3)
    chunk = pool.add(0x1000, 0x40)
    assert pool.alloc(24) == 0x1000
    pool.free(0x1004, 8)
    assert bits(chunk) == "01100000"
    assert chunk.avail == 0x40 - 16
    pool.free(0x1008, 16)
    assert bits(chunk) == "00000000"


def test_clearing_a_bit_that_is_not_set_is_a_bug_and_changes_nothing() -> None:
    # bitmap_clear_ll returns remain != 0 -> BUG_ON(remain); genpool checks first
    pool = Pool(3)
    chunk = pool.add(0x1000, 0x40)
    pool.alloc(8)
    with pytest.raises(PoolBug) as err:
        pool.free(0x1000, 16)
    assert "0x1008" in str(err.value)  # the granule that was not allocated
    assert bits(chunk) == "10000000" and chunk.avail == 0x38
    with pytest.raises(PoolBug):
        K.gen_pool_free(pool, 0x1008, 8)
    assert bits(chunk) == "10000000" and chunk.avail == 0x38


def test_free_past_the_end_of_its_chunk_is_a_bug() -> None:
    # BUG_ON(addr + size - 1 > chunk->end_addr)
    pool = Pool(3)
    chunk = pool.add(0x1000, 0x40)
    pool.alloc(0x40)
    with pytest.raises(PoolBug):
        pool.free(0x1038, 9)
    with pytest.raises(PoolBug):
        K.gen_pool_free_owner(pool, 0x1000, 0x41)
    assert chunk.avail == 0
    pool.free(0x1038, 8)
    assert bits(chunk) == "11111110"


def test_free_outside_every_chunk_is_a_bug() -> None:
    pool = Pool(3)
    pool.add(0x1000, 0x40)
    pool.alloc(8)
    for addr in (0xFFF, 0x1040, 0):
        with pytest.raises(PoolBug):
            pool.free(addr, 8)
    assert pool.avail == 0x38


# -- the search primitive -----------------------------------------------------------------


def test_search_resumes_just_past_the_blocking_bit() -> None:
    # bitmap_find_next_zero_area_off: "start = i + 1; goto again"
    pool = Pool(0)
    chunk = pool.add(0x1000, 16)
    pool.alloc(16)
    pool.free(0x1004, 2)  # hole at 4-5
    pool.free(0x1007, 9)  # hole at 7-15
    assert bits(chunk) == "1111001000000000"
    assert pool.alloc(3) == 0x1007  # 4..6 is blocked at 6; resume at 7
    assert pool.alloc(2) == 0x1004
    # the kernel's failure value surfaces through a direct call
    assert K.gen_pool_first_fit(chunk.bitmap, 16, 0, 7, None, pool, 0x1000) == 17


# -- the algorithms -----------------------------------------------------------------------


def test_first_fit_align_aligns_the_absolute_address() -> None:
    # align_mask = ((align + (1 << order) - 1) >> order) - 1
    # align_off  = (start_addr & (align - 1)) >> order
    pool = Pool(3)
    pool.add(0x1008, 0x100)
    # align 16: mask 1, offset 1 -> first bit b with (b + 1) & 1 == 0 is bit 1
    assert pool.alloc(8, algo="first_fit_align", data=AlignData(16)) == 0x1010
    assert pool.alloc(8, algo="first_fit_align", data=AlignData(16)) == 0x1020
    assert pool.alloc(8) == 0x1008  # first fit takes bit 0
    # align 64: mask 7, offset 1 -> bit 7
    assert pool.alloc(8, algo="first_fit_align", data=AlignData(64)) == 0x1040
    # the DMA helpers use first_fit_align too
    assert K.gen_pool_dma_alloc_align(pool, 8, 32) == (0x1060, 0x57)  # -1 + 0x58: no phys
    addr, dma = pool.dma_alloc_align(8, 16)
    assert (addr, dma) == (0x1030, None)
    # an alignment below the granule: mask 0, offset 0 -> plain first fit
    assert pool.alloc(8, algo="first_fit_align", data=AlignData(4)) == 0x1018


def test_first_fit_align_through_the_kernel_api_and_set_algo() -> None:
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add(pool, 0x1008, 0x100, -1)
    data = K.genpool_data_align(align=16)
    assert K.gen_pool_alloc_algo(pool, 8, K.gen_pool_first_fit_align, data) == 0x1010
    K.gen_pool_set_algo(pool, K.gen_pool_first_fit_align, K.genpool_data_align(align=32))
    assert K.gen_pool_alloc(pool, 8) == 0x1020
    K.gen_pool_set_algo(pool, None, None)  # NULL: first fit again
    assert K.gen_pool_alloc(pool, 8) == 0x1008


def test_first_fit_order_align_is_relative_to_the_chunk_and_marks_only_nr_bits() -> None:
    # align_mask = roundup_pow_of_two(nr) - 1; bitmap_find_next_zero_area(..., align_mask)
    pool = Pool(3, algo="first_fit_order_align")
    chunk = pool.add(0x1008, 0x100)
    assert pool.alloc(24) == 0x1008  # nr 3 -> multiple of 4 bits: bit 0 (0x1008 is not 32-aligned)
    assert bits(chunk)[:8] == "11100000"  # only 3 bits marked
    assert pool.alloc(8, algo="first_fit") == 0x1020  # bit 3 stayed free
    assert pool.alloc(24) == 0x1028  # bit 4
    assert pool.alloc(40) == 0x1048  # nr 5 -> multiple of 8 bits: bit 8
    assert bits(chunk)[:16] == "1111111011111000"
    assert pool.alloc(8, algo="first_fit") == 0x1040  # bit 7
    assert pool.alloc(8) == 0x1070  # nr 1 -> mask 0: bit 13
    assert K.gen_pool_alloc_algo(pool, 16, K.gen_pool_first_fit_order_align, None) == 0x1078  # bit 14


def _holes(pool: Pool, chunk: genpool.Chunk, holes: list[tuple[int, int]]) -> None:
    """Fill ``chunk`` (byte granules), then free each (bit, length) hole."""
    assert pool.alloc(chunk.nbits, algo="first_fit") == chunk.start_addr
    for bit, length in holes:
        pool.free(chunk.start_addr + bit, length)


def test_best_fit_takes_the_smallest_hole_lowest_first() -> None:
    pool = Pool(0, algo="best_fit")
    chunk = pool.add(0x1000, 32)
    # holes: 1-5 (5), 8-10 (3), 13-15 (3), 18-19 (2), 22-23 (2), 28-31 (4, at the end)
    _holes(pool, chunk, [(1, 5), (8, 3), (13, 3), (18, 2), (22, 2), (28, 4)])
    assert pool.alloc(2) == 0x1012  # the first exact fit, not the first fit at 1
    assert pool.alloc(2) == 0x1016
    assert pool.alloc(3) == 0x1008  # tie between 8 and 13: the lower
    assert pool.alloc(3) == 0x100D
    assert pool.alloc(4) == 0x101C  # the hole that runs to the end of the bitmap
    assert pool.alloc(1) == 0x1001  # only the 5-hole is left
    with pytest.raises(NoSpace):
        pool.alloc(5)
    assert pool.alloc(4) == 0x1002
    assert chunk.avail == 0


def test_best_fit_ties_between_larger_holes() -> None:
    pool = Pool(0)
    chunk = pool.add(0x1000, 32)
    _holes(pool, chunk, [(1, 5), (8, 3), (13, 3)])
    assert pool.alloc(2, algo="best_fit") == 0x1008  # smallest hole (3), lowest of two
    assert pool.alloc(2, algo="best_fit") == 0x100D  # bit 10 alone is too small now
    assert pool.alloc(2, algo="best_fit") == 0x1001
    assert K.gen_pool_alloc_algo(pool, 1, K.gen_pool_best_fit, None) == 0x100A  # 1-holes: 10, 15; lower
    assert bits(chunk) == "111" + "000" + "1" * 9 + "0" + "1" * 16


def test_best_fit_works_within_one_chunk() -> None:
    # The pool loop takes the first chunk (newest first) whose search succeeds;
    # best fit is only best within that chunk.
    pool = Pool(0, algo="best_fit")
    older = pool.add(0x1000, 32)
    _holes(pool, older, [(10, 2)])  # an exact 2-hole in the older chunk
    newer = pool.add(0x2000, 32)
    _holes(pool, newer, [(3, 5)])  # only a 5-hole in the newer chunk
    assert pool.alloc(2) == 0x2003
    assert pool.alloc(2) == 0x2005
    assert pool.alloc(2) == 0x100A  # the newer chunk has a single bit left
    assert bits(newer)[:8] == "11111110" and bits(older)[8:13] == "11111"


def test_fixed_alloc_tries_the_offset_in_every_chunk() -> None:
    # offset_bit = offset >> order; bitmap_find_next_zero_area(..., start + offset_bit, nr, 0)
    # must return offset_bit itself, else "no room" (size)
    pool = Pool(4)
    pool.add(0x1000, 0x100)
    pool.add(0x2000, 0x100)
    fixed = FixedData(0x20)
    assert pool.alloc(16, algo="fixed_alloc", data=fixed) == 0x2020
    assert pool.alloc(16, algo="fixed_alloc", data=fixed) == 0x1020
    with pytest.raises(NoSpace):
        pool.alloc(16, algo="fixed_alloc", data=fixed)
    assert K.gen_pool_alloc_algo(pool, 16, K.gen_pool_fixed_alloc, K.genpool_data_fixed(offset=0x20)) == 0
    # partly busy at the offset: bits 3-4 of the newer chunk, bit 4 taken
    assert pool.alloc(16, algo="fixed_alloc", data=FixedData(0x40)) == 0x2040
    assert pool.alloc(32, algo="fixed_alloc", data=FixedData(0x30)) == 0x1030
    # past the end of every chunk, and running over the end
    with pytest.raises(NoSpace):
        pool.alloc(16, algo="fixed_alloc", data=FixedData(0x100))
    with pytest.raises(NoSpace):
        pool.alloc(32, algo="fixed_alloc", data=FixedData(0xF0))
    assert pool.alloc(16, algo="fixed_alloc", data=FixedData(0xF0)) == 0x20F0


def test_fixed_alloc_warns_and_fails_on_an_offset_inside_a_granule() -> None:
    # if (WARN_ON(fixed_data->offset & ((1UL << order) - 1))) return size;  - once per chunk
    pool = Pool(4)
    pool.add(0x1000, 0x100)
    pool.add(0x2000, 0x100)
    with pytest.warns(KernelWarning) as record:
        with pytest.raises(NoSpace):
            pool.alloc(16, algo="fixed_alloc", data=FixedData(0x28))
    assert len(record) == 2
    with pytest.warns(KernelWarning):
        assert K.gen_pool_alloc_algo(pool, 16, K.gen_pool_fixed_alloc, FixedData(0x21)) == 0
    assert pool.avail == pool.size == 0x200
    assert all(not chunk.bitmap.weight() for chunk in pool.chunks)


def test_every_chunk_is_searched_from_bit_zero() -> None:
    # "start_bit = 0; end_bit = chunk_size(chunk) >> order;" for every chunk
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add(pool, 0x1000, 0x40, -1)
    K.gen_pool_add(pool, 0x2000, 0x44, -1)
    calls: list = []
    never = recording(calls, inner=lambda bitmap, size, *rest: size)  # always "no room"
    assert K.gen_pool_alloc_algo(pool, 8, never, "data") == 0
    assert calls == [
        {"start_addr": 0x2000, "size": 8, "start": 0, "nr": 1, "data": "data"},
        {"start_addr": 0x1000, "size": 8, "start": 0, "nr": 1, "data": "data"},
    ]
    # no next-fit cursor: a freed low area is found again
    a = K.gen_pool_alloc(pool, 8)
    b = K.gen_pool_alloc(pool, 8)
    K.gen_pool_alloc(pool, 8)
    K.gen_pool_free(pool, a, 8)
    assert K.gen_pool_alloc(pool, 8) == a == 0x2000
    K.gen_pool_free(pool, b, 8)
    assert K.gen_pool_alloc(pool, 16) == 0x2018
    assert K.gen_pool_alloc(pool, 8) == b


def test_algorithm_failure_values_when_called_directly() -> None:
    pool = Pool(3)
    bitmap = genpool.Bitmap(16)
    bitmap.set(0, 4)
    bitmap.set(6, 1)  # 1111 0010 0000 0000
    args = (pool, 0x1000)
    # first fit: bitmap_find_next_zero_area's value, index + nr of the first misfit
    assert K.gen_pool_first_fit(bitmap, 16, 0, 3, None, *args) == 7
    assert K.gen_pool_first_fit(bitmap, 16, 0, 10, None, *args) == 17
    assert K.gen_pool_first_fit(bitmap, 16, 0, 13, None, *args) == 17
    assert K.gen_pool_first_fit(bitmap, 6, 0, 3, None, *args) == 7
    # best fit: start_bit stays size
    assert K.gen_pool_best_fit(bitmap, 16, 0, 2, None, *args) == 4
    assert K.gen_pool_best_fit(bitmap, 16, 0, 3, None, *args) == 7
    assert K.gen_pool_best_fit(bitmap, 16, 0, 10, None, *args) == 16
    # fixed: offset_bit or size
    assert K.gen_pool_fixed_alloc(bitmap, 16, 0, 1, FixedData(0x20), *args) == 4
    assert K.gen_pool_fixed_alloc(bitmap, 16, 0, 1, FixedData(0x30), *args) == 16
    assert K.gen_pool_fixed_alloc(bitmap, 16, 0, 1, FixedData(0x200), *args) == 16
    with pytest.warns(KernelWarning):
        assert K.gen_pool_fixed_alloc(bitmap, 16, 0, 1, FixedData(0x21), *args) == 16
    # order align: mask 3 for nr 3 -> 8; mask 15 for nr 9 -> 16 + 9
    assert K.gen_pool_first_fit_order_align(bitmap, 16, 0, 3, None, *args) == 8
    assert K.gen_pool_first_fit_order_align(bitmap, 16, 0, 9, None, *args) == 25
    # align 32 at start_addr 0x1008, order 3: mask 3, offset 1 -> bit 7 (0x1040)
    assert K.gen_pool_first_fit_align(bitmap, 16, 0, 2, AlignData(32), pool, 0x1008) == 7
    assert K.gen_pool_first_fit_align(bitmap, 16, 0, 9, AlignData(32), pool, 0x1008) == 7
    assert K.gen_pool_first_fit_align(bitmap, 16, 0, 10, AlignData(32), pool, 0x1008) == 17
    assert bitmap.weight() == 5  # searching changed nothing


# -- 64-bit addresses ------------------------------------------------------------------------


def test_chunk_at_the_top_of_the_address_space() -> None:
    top = 1 << 64
    pool = Pool(3)
    chunk = pool.add(top - 0x100, 0x100)
    assert chunk.end_addr == ALL_ONES
    assert pool.alloc(0x100) == top - 0x100
    pool.free(top - 0x100, 0x100)
    assert pool.alloc(8) == top - 0x100
    assert pool.alloc(0xF8) == top - 0xF8
    pool.free(top - 8, 8)
    # a free that would run past 2**64-1
    with pytest.raises(PoolBug):
        pool.free(top - 8, 16)
    assert chunk.avail == 8
    # has_addr: end = start + size - 1 in unsigned long, so a range that wraps
    # past the top compares as a small end address
    assert pool.has_addr(top - 0x10, 0x10) is True
    assert pool.has_addr(top - 0x10, 0x20) is True  # end wraps to 0xf
    assert K.gen_pool_has_addr(pool, top - 0x10, 0x20) is True
    assert pool.has_addr(top - 0x101, 1) is False
    with pytest.raises(InvalidArgument):
        Pool(3).add(top - 0x100, 0x101)  # would run past the top


def test_virt_to_phys_arithmetic_is_modulo_2_64() -> None:
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add(pool, 0x1000, 0x100, -1)  # phys_addr = -1
    K.gen_pool_add_virt(pool, 0x4000, (1 << 64) - 0x10, 0x100, -1)
    K.gen_pool_add(pool, (1 << 64) - 0x100, 0x100, -1)
    # paddr = chunk->phys_addr + (addr - chunk->start_addr), phys_addr_t arithmetic
    assert K.gen_pool_virt_to_phys(pool, 0x1000) == ALL_ONES
    assert K.gen_pool_virt_to_phys(pool, 0x1005) == 4
    assert K.gen_pool_virt_to_phys(pool, 0x10FF) == 0xFE
    assert K.gen_pool_virt_to_phys(pool, 0x4008) == (1 << 64) - 8
    assert K.gen_pool_virt_to_phys(pool, 0x4010) == 0
    assert K.gen_pool_virt_to_phys(pool, 0x4020) == 0x10
    assert K.gen_pool_virt_to_phys(pool, ALL_ONES) == 0xFE
    # outside the pool: paddr stays -1
    assert K.gen_pool_virt_to_phys(pool, 0x2000) == ALL_ONES
    assert K.gen_pool_virt_to_phys(pool, 0) == ALL_ONES
    # the Pythonic API: None where the kernel has no physical address
    assert pool.virt_to_phys(0x1005) is None
    assert pool.virt_to_phys(0x2000) is None
    assert pool.virt_to_phys(0x4010) == 0
    assert pool.virt_to_phys(0x4008) == (1 << 64) - 8
    # dma allocations report the same translation
    assert K.gen_pool_dma_alloc(pool, 8) == ((1 << 64) - 0x100, ALL_ONES)
    assert K.gen_pool_dma_alloc_algo(pool, 8, K.gen_pool_first_fit, None) == ((1 << 64) - 0xF8, 7)


@pytest.mark.parametrize("order", [12, 11])
def test_32_gib_chunk_with_4_gib_allocations(order: int) -> None:
    # 32 GiB at order 12 is 2**23 granules (an 8 MiB bitmap); each 4 GiB
    # allocation is 2**20 granules, far past any 32-bit count.
    start = 0x8_0000_0000
    pool = Pool(order)
    chunk = pool.add(start, 32 * GiB)
    assert chunk.nbits == (32 * GiB) >> order
    addrs = [pool.alloc(4 * GiB) for _ in range(8)]
    assert addrs == [start + i * 4 * GiB for i in range(8)]
    assert pool.avail == 0 and pool.size == 32 * GiB
    assert K.gen_pool_alloc(pool, 4 * GiB) == 0
    pool.free(start + 2 * 4 * GiB, 4 * GiB)
    with pytest.raises(NoSpace):
        pool.alloc(4 * GiB + 1)
    assert K.gen_pool_alloc(pool, 4 * GiB) == start + 8 * GiB
    pool.free(start + 7 * 4 * GiB, 4 * GiB)
    assert pool.has_addr(start + 28 * GiB, 4 * GiB) is True
    assert pool.has_addr(start + 28 * GiB, 4 * GiB + 1) is False
    assert pool.alloc(4 * GiB, algo="best_fit") == start + 28 * GiB
    for addr in addrs:
        pool.free(addr, 4 * GiB)
    assert pool.avail == 32 * GiB


def test_32_gib_chunk_ending_at_the_top_of_the_address_space() -> None:
    start = (1 << 64) - 32 * GiB
    pool = Pool(12)
    chunk = pool.add_virt(start, 0x1_0000_0000, 32 * GiB)
    assert chunk.end_addr == ALL_ONES
    addrs = [pool.dma_alloc(4 * GiB) for _ in range(8)]
    assert addrs == [(start + i * 4 * GiB, 0x1_0000_0000 + i * 4 * GiB) for i in range(8)]
    assert addrs[-1][0] + 4 * GiB - 1 == ALL_ONES
    for addr, _ in addrs:
        pool.free(addr, 4 * GiB)
    assert pool.avail == 32 * GiB


# -- the run index must not lose free space (found by test_bitmap's property test) -----------


@pytest.mark.parametrize("nbits", [genpool.bitmap._LISTED_FROM, genpool.bitmap._BLOCKS_FROM], ids=["list", "blocks"])
def test_large_chunk_finds_room_after_a_fixed_allocation(nbits: int) -> None:
    pool = Pool(0)
    pool.add(0x100000, nbits)
    assert pool.alloc(1, algo="fixed_alloc", data=FixedData(210)) == 0x1000D2
    # bits 0-209 are too few for 300; bits 211.. are all free
    assert pool.alloc(300) == 0x1000D3


@pytest.mark.parametrize("nbits", [genpool.bitmap._LISTED_FROM, genpool.bitmap._BLOCKS_FROM], ids=["list", "blocks"])
def test_large_chunk_finds_room_after_aligned_allocations(nbits: int) -> None:
    pool = Pool(0)
    pool.add(0x100000, nbits)
    assert pool.alloc(1, algo="first_fit_align", data=AlignData(256)) == 0x100000
    assert pool.alloc(1, algo="first_fit_align", data=AlignData(256)) == 0x100100
    # bits 1-255 hold 255, too few for 300; bits 257.. are free
    assert pool.alloc(300) == 0x100101


# -- devices and the device tree -----------------------------------------------------------------


def test_devm_pools_and_gen_pool_get() -> None:
    dev = genpool.Device("5c000000.sram")
    main = K.devm_gen_pool_create(dev, 5, -1, None)
    assert isinstance(main, Pool) and main.name is None and main.min_alloc_order == 5
    assert K.gen_pool_get(dev, None) is main
    assert K.gen_pool_get(dev, "fw") is None
    # a second pool with the same name - None counts as a name - is ERR_PTR(-EINVAL)
    with pytest.raises(InvalidArgument) as err:
        K.devm_gen_pool_create(dev, 3, -1, None)
    assert err.value.errno == errno.EINVAL
    fw = K.devm_gen_pool_create(dev, 3, -1, "fw")
    assert fw.name == "fw" and K.gen_pool_get(dev, "fw") is fw
    with pytest.raises(InvalidArgument) as err:
        K.devm_gen_pool_create(dev, 3, -1, "fw")
    assert err.value.errno == errno.EINVAL
    assert dev.pools == (main, fw)
    # another device keeps its own names
    other = genpool.Device("other")
    assert K.devm_gen_pool_create(other, 3, -1, None) is not main
    assert K.gen_pool_get(dev, None) is main


def test_device_release_destroys_its_pools_or_none_of_them() -> None:
    dev = genpool.Device("sram")
    main = K.devm_gen_pool_create(dev, 3, -1, None)
    fw = K.devm_gen_pool_create(dev, 3, -1, "fw")
    K.gen_pool_add(main, 0x1000, 0x100, -1)
    K.gen_pool_add(fw, 0x2000, 0x100, -1)
    addr = K.gen_pool_alloc(fw, 8)
    assert addr == 0x2000
    with pytest.raises(PoolBug) as err:
        dev.release()
    assert "0x2000" in str(err.value)
    assert not main.destroyed and not fw.destroyed
    assert K.gen_pool_get(dev, None) is main and K.gen_pool_get(dev, "fw") is fw
    assert K.gen_pool_alloc(main, 8) == 0x1000  # still usable
    K.gen_pool_free(main, 0x1000, 8)
    K.gen_pool_free(fw, addr, 8)
    dev.release()
    assert main.destroyed and fw.destroyed
    assert K.gen_pool_get(dev, None) is None and K.gen_pool_get(dev, "fw") is None
    assert dev.pools == ()


def _sram_tree():
    root = DeviceNode("")
    dev = genpool.Device("5c000000.sram")
    sram = DeviceNode("sram@5c000000", parent=root, device=dev)
    labelled = DeviceNode("fw@100", parent=sram, properties={"label": "firmware", "pool": True})
    unlabelled = DeviceNode("sched@200", parent=sram, properties={"pool": True})
    return root, dev, sram, labelled, unlabelled


def test_of_gen_pool_get_follows_a_phandle() -> None:
    root, dev, sram, labelled, _ = _sram_tree()
    main = K.devm_gen_pool_create(dev, 5, -1, None)
    firmware = K.devm_gen_pool_create(dev, 5, -1, "firmware")
    consumer = DeviceNode("dsp@0", parent=root, properties={"sram": [sram, labelled]})
    # a node with a device: that device's unnamed pool
    assert K.of_gen_pool_get(consumer, "sram", 0) is main
    # a child partition (no device): the parent device's pool named by its label
    assert K.of_gen_pool_get(consumer, "sram", 1) is firmware
    assert K.of_gen_pool_get(consumer, "sram", 2) is None
    assert K.of_gen_pool_get(consumer, "no-such-property", 0) is None
    orphan = DeviceNode("dsp@1", parent=root, properties={"sram": [DeviceNode("lost", parent=root)]})
    assert K.of_gen_pool_get(orphan, "sram", 0) is None


def test_of_gen_pool_get_unlabelled_partition_uses_the_node_basename() -> None:
    root, dev, sram, _, unlabelled = _sram_tree()
    K.devm_gen_pool_create(dev, 5, -1, None)
    sched = K.devm_gen_pool_create(dev, 5, -1, "sched@200")
    consumer = DeviceNode("dsp@0", parent=root, properties={"sram": [unlabelled]})
    assert K.of_gen_pool_get(consumer, "sram", 0) is sched


# -- DMA quirks kept from the kernel ------------------------------------------------------------


def test_dma_alloc_at_address_zero_reads_as_failure() -> None:
    # gen_pool_dma_alloc_algo: "if (!vaddr) return NULL;" - the allocation stays made
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add_virt(pool, 0, 0x8000, 0x40, -1)
    assert K.gen_pool_dma_alloc(pool, 8) == (None, None)
    assert K.gen_pool_avail(pool) == 0x38
    assert K.gen_pool_dma_alloc(pool, 8) == (8, 0x8008)
    assert K.gen_pool_dma_alloc(None, 8) == (None, None)
    assert K.gen_pool_dma_zalloc(None, 8) == (None, None)
