"""The inputs where ``genpool.kernel`` used to refuse or answer differently from the kernel.

Each test here failed before its fix; the differential test
(``test_kernel_differential.py``) checks the same inputs against the real
``lib/genalloc.c`` on random traces.  The deliberate differences that
remain are in ``docs/kernel-differences.md``.
"""

from __future__ import annotations

import errno
import threading
import tracemalloc
from pathlib import Path

import genpool
import genpool.kernel as K
import pytest
from genpool import AlignData, FixedData, InvalidArgument, NoSpace, Pool, PoolBug

# -- data for algorithms that ignore it; set_algo(NULL, data) ------------------------------


def test_set_algo_null_sets_first_fit_and_keeps_the_data() -> None:
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add(pool, 0x1000, 0x100, -1)
    K.gen_pool_set_algo(pool, K.gen_pool_best_fit, None)
    data = K.genpool_data_align(align=64)
    K.gen_pool_set_algo(pool, None, data)
    assert pool.algorithm.name == "first_fit"
    assert pool.algorithm_data is data
    assert K.gen_pool_alloc(pool, 8) == 0x1000  # first fit, the data ignored
    assert K.gen_pool_alloc(pool, 8) == 0x1008


@pytest.mark.parametrize("algo", [K.gen_pool_first_fit, K.gen_pool_best_fit, K.gen_pool_first_fit_order_align])
@pytest.mark.parametrize("data", [AlignData(64), FixedData(8), 42, "cookie"])
def test_algorithms_that_take_no_data_ignore_what_they_are_given(algo, data: object) -> None:
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add(pool, 0x1000, 0x100, -1)
    assert K.gen_pool_alloc_algo(pool, 8, algo, data) == 0x1000
    assert K.gen_pool_dma_alloc_algo(pool, 8, algo, data)[0] == 0x1008
    K.gen_pool_set_algo(pool, algo, data)
    assert pool.algorithm_data is data
    assert K.gen_pool_alloc(pool, 8) == 0x1010
    bitmap = pool.chunks[0].bitmap
    assert algo(bitmap, bitmap.nbits, 0, 1, data, pool, 0x1000) == 3


def test_data_of_the_wrong_kind_for_an_algorithm_that_reads_it_is_still_refused() -> None:
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add(pool, 0x1000, 0x100, -1)
    for algo, data in [(K.gen_pool_first_fit_align, FixedData(8)), (K.gen_pool_fixed_alloc, AlignData(8))]:
        with pytest.raises(InvalidArgument, match="needs"):
            K.gen_pool_alloc_algo(pool, 8, algo, data)
        with pytest.raises(InvalidArgument, match="needs"):
            K.gen_pool_set_algo(pool, algo, data)
    assert pool.algorithm.name == "first_fit" and pool.avail == 0x100


def test_the_pythonic_api_still_refuses_data_for_first_fit() -> None:
    pool = Pool(3)
    with pytest.raises(InvalidArgument, match="takes no data"):
        pool.set_algo("first_fit", AlignData(8))
    with pytest.raises(InvalidArgument, match="takes no data"):
        pool.alloc(8, algo="best_fit", data=FixedData(0))


# -- alignments that are not powers of two -----------------------------------------------


def test_an_alignment_that_is_not_a_power_of_two_uses_the_kernels_mask_arithmetic() -> None:
    # Order 0, chunk at 0x1000: align 3 gives align_mask 2 and align 6 mask 5;
    # __ALIGN_MASK(index, mask) is (index + mask) & ~mask.  Values checked
    # against lib/genalloc.c.
    pool = K.gen_pool_create(0, -1)
    K.gen_pool_add(pool, 0x1000, 64, -1)
    assert K.gen_pool_alloc(pool, 1) == 0x1000
    three = K.genpool_data_align(align=3)
    assert K.gen_pool_alloc_algo(pool, 1, K.gen_pool_first_fit_align, three) == 0x1001  # (1 + 2) & ~2
    assert K.gen_pool_alloc_algo(pool, 1, K.gen_pool_first_fit_align, three) == 0x1004  # (2 + 2) & ~2
    assert K.gen_pool_dma_alloc_align(pool, 2, 6) == (0x1002, 1)  # (2 + 5) & ~5; phys -1 + 2


@pytest.mark.parametrize("align", [0, -1, -8, 2**31, 2**40])
def test_alignments_the_kernel_cannot_hold_or_would_loop_on_are_refused(align: int) -> None:
    pool = K.gen_pool_create(0, -1)
    K.gen_pool_add(pool, 0x1000, 64, -1)
    with pytest.raises(InvalidArgument, match=r"align .* is outside 1 \.\. 2\*\*31-1"):
        K.gen_pool_dma_alloc_align(pool, 8, align)
    assert pool.avail == 64


def test_the_pythonic_api_still_wants_a_power_of_two() -> None:
    with pytest.raises(InvalidArgument, match="not a power of two"):
        AlignData(3)
    with pytest.raises(InvalidArgument, match="not a power of two"):
        Pool(0).dma_alloc_align(8, 6)


# -- chunks of size 0, and chunks whose bitmap cannot be had --------------------------------


def test_a_chunk_of_size_0_is_added_and_never_matches() -> None:
    pool = K.gen_pool_create(3, -1)
    assert K.gen_pool_add_virt(pool, 0x5000, 0x9000, 0, -1) == 0
    assert K.gen_pool_add(pool, 0x1000, 0x100, -1) == 0
    empty = pool.chunks[1]
    assert (empty.start_addr, empty.end_addr, empty.size, empty.avail, empty.nbits) == (0x5000, 0x4FFF, 0, 0, 0)
    assert K.gen_pool_size(pool) == K.gen_pool_avail(pool) == 0x100
    assert K.gen_pool_has_addr(pool, 0x5000, 0) is False
    assert K.gen_pool_virt_to_phys(pool, 0x5000) == 2**64 - 1
    with pytest.raises(PoolBug, match="outside every chunk"):
        K.gen_pool_free(pool, 0x5000, 8)
    assert K.gen_pool_alloc(pool, 8) == 0x1000
    pool.add(0x4000, 0x2000)  # the Pythonic API: an empty chunk overlaps nothing
    K.gen_pool_free(pool, 0x1000, 8)
    K.gen_pool_destroy(pool)


def test_a_chunk_of_size_0_at_address_0_would_span_everything_and_is_refused() -> None:
    # Its end_addr, 0 - 1, is 2**64-1: every address would fall in it.
    pool = K.gen_pool_create(3, -1)
    with pytest.raises(InvalidArgument, match="runs past the top"):
        K.gen_pool_add(pool, 0, 0, -1)
    assert pool.chunks == ()


def test_the_pythonic_api_still_refuses_a_chunk_of_size_0() -> None:
    with pytest.raises(InvalidArgument, match="at least one byte"):
        Pool(3).add(0x5000, 0)


def test_a_chunk_whose_bitmap_cannot_be_allocated_is_enomem() -> None:
    pool = K.gen_pool_create(0, -1)
    K.gen_pool_add(pool, 0x1000, 0x100, -1)
    assert K.gen_pool_add(pool, 1 << 60, 1 << 62, -1) == -errno.ENOMEM
    assert K.gen_pool_add_owner(pool, 0, -1, 2**64 - 1, -1, "owner") == -errno.ENOMEM
    assert len(pool.chunks) == 1 and K.gen_pool_size(pool) == 0x100
    with pytest.raises(NoSpace, match=r"needs 4611686018427387904 bits of bitmap"):
        Pool(0).add(1 << 60, 1 << 62)


def test_a_bitmap_that_fails_to_allocate_is_nospace_not_a_bare_memory_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    pool = Pool(3)
    monkeypatch.setattr(genpool.pool, "Chunk", no_memory)
    with pytest.raises(NoSpace, match="no memory for the bitmap of chunk 0x1000"):
        pool.add(0x1000, 0x100)
    assert K.gen_pool_add(pool, 0x1000, 0x100, -1) == -errno.ENOMEM
    assert pool.chunks == ()


# -- size_t sums ---------------------------------------------------------------------------


def test_size_and_avail_are_size_t_sums_that_wrap() -> None:
    pool = K.gen_pool_create(50, -1)
    assert K.gen_pool_add(pool, 0, 1 << 63, -1) == 0
    assert K.gen_pool_add(pool, 0, 1 << 63, -1) == 0  # overlapping, as the kernel allows
    assert K.gen_pool_size(pool) == K.gen_pool_avail(pool) == 0  # 2**64 modulo 2**64
    assert K.gen_pool_alloc(pool, 1 << 50) == 0  # the newest chunk's first granule (address 0)
    assert K.gen_pool_avail(pool) == 2**64 - 2**50
    assert pool.size == 2**64  # the Pythonic API counts without wrapping


# -- dma_zalloc ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zalloc",
    [
        lambda pool: K.gen_pool_dma_zalloc(pool, 8),
        lambda pool: K.gen_pool_dma_zalloc_algo(pool, 8, K.gen_pool_best_fit, None),
        lambda pool: K.gen_pool_dma_zalloc_align(pool, 8, 64),
    ],
)
def test_dma_zalloc_on_a_pool_without_chunks_returns_null(zalloc) -> None:
    pool = K.gen_pool_create(3, -1)
    assert zalloc(pool) == (None, None)


def _overlapping_pool(trackers: tuple[str, ...] = ()) -> tuple[Pool, bytearray]:
    """A backed chunk at 0x9000, then two chunks over 0x1000-0x10ff without memory, the newer one full."""
    pool = Pool(3, trackers=trackers)
    memory = bytearray(b"\xee" * 0x100)
    pool.add(0x9000, 0x100, memory=memory)
    K.gen_pool_add(pool, 0x1000, 0x100, -1)
    K.gen_pool_add(pool, 0x1000, 0x100, -1)
    assert K.gen_pool_alloc(pool, 0x100) == 0x1000  # fills the newest chunk
    return pool, memory


@pytest.mark.parametrize("api", ["kernel", "pythonic"])
def test_dma_zalloc_undoes_its_allocation_in_the_chunk_it_came_from(api: str) -> None:
    # The allocation comes from the older chunk at 0x1000, which has no memory to zero.
    # Undoing it by address would clear the newer chunk's live allocation instead.
    pool, memory = _overlapping_pool(trackers=("tag",))
    newer, older, backed = pool.chunks
    with pytest.raises(InvalidArgument, match="no backing memory to zero"):
        if api == "kernel":
            K.gen_pool_dma_zalloc(pool, 0x10)
        else:
            pool.dma_zalloc(0x10)
    assert newer.bitmap.weight() == newer.nbits and newer.avail == 0
    assert older.bitmap.weight() == 0 and older.avail == 0x100
    assert backed.avail == 0x100 and memory == b"\xee" * 0x100
    assert [(a.addr, a.size) for a in pool.allocations()] == [(0x1000, 0x100)]


@pytest.mark.parametrize("api", ["kernel", "pythonic"])
def test_dma_zalloc_zeroes_the_memory_of_the_chunk_it_allocated_from(api: str) -> None:
    pool = Pool(3)
    backed_memory = bytearray(b"\xee" * 0x100)
    pool.add(0x1000, 0x100, memory=backed_memory)
    K.gen_pool_add(pool, 0x1000, 0x80, -1)  # newer, over the first half, no memory
    assert K.gen_pool_alloc(pool, 0x80) == 0x1000  # fills it
    if api == "kernel":
        assert K.gen_pool_dma_zalloc(pool, 0x14) == (0x1000, 2**64 - 1)
    else:
        assert pool.dma_zalloc(0x14) == (0x1000, None)
    assert backed_memory == bytes(0x14) + b"\xee" * (0x100 - 0x14)
    assert pool.chunks[1].avail == 0x100 - 0x18


@pytest.mark.parametrize("api", ["kernel", "pythonic"])
def test_a_huge_dma_zalloc_from_a_chunk_without_memory_is_undone_not_leaked(api: str) -> None:
    pool = Pool(50)
    pool.add(0x1000, 0x400, memory=bytearray(0x400))  # memory, but no whole granule
    K.gen_pool_add(pool, 1 << 63, 1 << 63, -1)
    with pytest.raises(InvalidArgument, match="no backing memory to zero"):
        if api == "kernel":
            K.gen_pool_dma_zalloc(pool, 1 << 63)
        else:
            pool.dma_zalloc(1 << 63)
    assert K.gen_pool_avail(pool) == (1 << 63) + 0x400
    assert pool.chunks[0].bitmap.weight() == 0


def test_dma_zalloc_zeroes_in_place_without_a_buffer_as_large_as_the_allocation() -> None:
    size = 8 << 20
    pool = Pool(12)
    memory = bytearray(b"\xee" * size)
    pool.add(0x100000, size, memory=memory)
    tracemalloc.start()
    try:
        addr, _ = pool.dma_zalloc(size - 4096)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < size // 8
    assert addr == 0x100000 and memory.count(0) == size - 4096 and memory.endswith(b"\xee" * 4096)


# -- the algorithm and its data, read as one value -------------------------------------------


def test_gen_pool_alloc_reads_the_algorithm_and_its_data_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """A set_algo between reading the algorithm and reading its data must not mix the two."""
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add(pool, 0x1000, 0x100, -1)
    K.gen_pool_set_algo(pool, K.gen_pool_fixed_alloc, K.genpool_data_fixed(offset=0x40))
    algorithm = Pool.algorithm

    def algorithm_then_switch(self: Pool) -> object:
        # What another thread's set_algo does at the worst moment.
        value = algorithm.fget(self)
        pool.set_algo("first_fit_align", AlignData(16))
        return value

    monkeypatch.setattr(Pool, "algorithm", property(algorithm_then_switch))
    calls = [K.gen_pool_alloc, lambda p, size: K.gen_pool_alloc_owner(p, size)[0]]
    calls.append(lambda p, size: K.gen_pool_dma_alloc(p, size)[0])
    for call in calls:
        K.gen_pool_set_algo(pool, K.gen_pool_fixed_alloc, K.genpool_data_fixed(offset=0x40))
        assert call(pool, 8) == 0x1040  # fixed_alloc with its own data
        K.gen_pool_free(pool, 0x1040, 8)


def test_concurrent_set_algo_never_makes_an_alloc_fail_its_data_check() -> None:
    pool = K.gen_pool_create(3, -1)
    K.gen_pool_add(pool, 0x1000, 0x1000, -1)
    choices = [(K.gen_pool_fixed_alloc, K.genpool_data_fixed(offset=0x80)), (K.gen_pool_first_fit_align, AlignData(16))]
    stop = threading.Event()
    errors: list[BaseException] = []

    def switch() -> None:
        while not stop.is_set():
            for algo, data in choices:
                K.gen_pool_set_algo(pool, algo, data)

    def allocate() -> None:
        try:
            for _ in range(20000):
                addr = K.gen_pool_alloc(pool, 8)
                if addr:
                    K.gen_pool_free(pool, addr, 8)
        except BaseException as error:  # noqa: BLE001 -- reported below
            errors.append(error)

    switcher = threading.Thread(target=switch)
    switcher.start()
    try:
        allocate()
    finally:
        stop.set()
        switcher.join()
    assert errors == []
    assert pool.avail == 0x1000


# -- what stays refused: the kernel would corrupt itself -------------------------------------


def test_an_allocation_whose_granule_count_wraps_is_refused_where_a_chunk_has_room() -> None:
    # nbits = (size + 2**48 - 1) >> 48 wraps to 0 in unsigned long: the kernel would
    # hand out a free granule without marking it.
    pool = K.gen_pool_create(48, -1)
    assert K.gen_pool_add(pool, 0, 2**64 - 1, -1) == 0
    with pytest.raises(InvalidArgument, match="is 65536 granules, which the kernel would compute as 0"):
        K.gen_pool_alloc(pool, 2**64 - 1)
    with pytest.raises(InvalidArgument, match="would compute as 0"):
        K.gen_pool_dma_zalloc(pool, 2**64 - 1)
    assert K.gen_pool_avail(pool) == 2**64 - 1 and pool.chunks[0].bitmap.weight() == 0
    with pytest.raises(NoSpace):
        pool.alloc(2**64 - 1)
    small = K.gen_pool_create(3, -1)
    K.gen_pool_add(small, 0x1000, 0x100, -1)
    assert K.gen_pool_alloc(small, 2**64 - 1) == 0  # no chunk has room: the kernel fails safely too


def test_a_free_whose_end_wraps_is_a_bug_and_changes_nothing() -> None:
    # addr + size - 1 wraps to a small number and passes the kernel's BUG_ON.
    pool = K.gen_pool_create(6, -1)
    K.gen_pool_add(pool, 2**64 - 0x100, 0x100, -1)
    assert K.gen_pool_alloc(pool, 0x100) == 2**64 - 0x100
    with pytest.raises(PoolBug, match="past the end"):
        K.gen_pool_free(pool, 2**64 - 0x8, 0x3A)  # the last granule; the end wraps to 0x31
    assert pool.chunks[0].bitmap.weight() == 4


def test_the_differences_are_documented_and_linked_from_the_kernel_module() -> None:
    assert "https://genpool.readthedocs.io/en/latest/kernel-differences.html" in K.__doc__
    text = (Path(__file__).resolve().parent.parent / "docs" / "kernel-differences.md").read_text()
    for topic in ("wraps", "BITS_TO_LONGS", "align <= 0", "dma_zalloc", "-ENOMEM", "size_t", "stricter"):
        assert topic in text, topic
