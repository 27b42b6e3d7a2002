"""Memory-backed chunks: the buffers a chunk may be given, pool.view, and DMA zeroing."""

from __future__ import annotations

import mmap
from array import array

import genpool.kernel as K
import pytest
from genpool import InvalidArgument, NoSpace, Pool


def state(pool: Pool) -> tuple:
    """What a failing call must leave as it was, memory included."""
    return (
        pool.avail,
        pool.size,
        [
            (c.start_addr, c.end_addr, c.avail, c.bitmap.to_bytes(), None if c.memory is None else bytes(c.memory))
            for c in pool.chunks
        ],
    )


# -- what memory a chunk accepts ----------------------------------------------------------------


def test_bytearray_backing_and_view() -> None:
    memory = bytearray(256)
    pool = Pool(3)
    chunk = pool.add(0x1000, 256, memory=memory)
    assert chunk.memory is not None and chunk.memory.nbytes == 256
    addr = pool.alloc(16)
    view = pool.view(addr, 16)
    assert isinstance(view, memoryview) and len(view) == 16 and not view.readonly
    view[:] = b"0123456789abcdef"
    assert memory[:16] == b"0123456789abcdef"
    memory[16:20] = b"WXYZ"  # and the other way round
    assert bytes(pool.view(0x1010, 4)) == b"WXYZ"
    assert bytes(pool.view(0x10FC, 4)) == bytes(4)  # up to the last byte
    assert bytes(pool.view(0x1000, 0)) == b""


@pytest.mark.parametrize("trackers", [(), ("tag", "chunk", "callsite")])
def test_mmap_backing(trackers: tuple[str, ...]) -> None:
    with mmap.mmap(-1, 4096) as memory:
        pool = Pool(6, trackers=trackers)
        pool.add_virt(0x40000, 0x80000, 4096, memory=memory)
        addr, dma = pool.dma_alloc(100)
        assert (addr, dma) == (0x40000, 0x80000)
        pool.view(addr, 100)[:] = b"\xab" * 100
        assert memory[:100] == b"\xab" * 100 and memory[100] == 0
        pool.free(addr, 100)
        del addr
        chunk = pool.chunks[0]
        pool.destroy()
        # The destroyed pool, its trackers and its chunks let go of the buffer: mmap.close() works
        # (on leaving the with block) while the pool and chunk objects are still alive.
        assert chunk.memory is None
    assert memory.closed and pool.destroyed


def test_memoryview_backing_with_an_offset() -> None:
    buffer = bytearray(1024)
    pool = Pool(4)
    pool.add(0x2000, 256, memory=memoryview(buffer)[512:768])
    pool.alloc(32)
    addr = pool.alloc(16)
    assert addr == 0x2020
    pool.view(addr, 16)[:] = b"\x01" * 16
    assert buffer[512 + 32 : 512 + 48] == b"\x01" * 16
    assert buffer.count(1) == 16


def test_typed_buffer_is_used_as_bytes() -> None:
    words = array("I", [0]) * 64  # 256 bytes of 4-byte items
    pool = Pool(2)
    pool.add(0x3000, 256, memory=words)
    addr = pool.alloc(8)
    pool.view(addr, 8)[:] = bytes(range(1, 9))
    assert words.tobytes()[:9] == bytes(range(1, 9)) + b"\x00"  # both words touched, byte for byte
    pool.add(0x4000, 16, memory=array("I", [0, 0, 0, 0]))  # exactly 16 bytes: enough


def test_memory_larger_than_the_chunk_is_accepted() -> None:
    memory = bytearray(100)
    pool = Pool(0)
    pool.add(0, 64, memory=memory)
    assert pool.chunks[0].memory.nbytes >= 64
    with pytest.raises(InvalidArgument):
        pool.view(60, 5)  # past the chunk, though the buffer is longer


@pytest.mark.parametrize(
    "memory",
    [
        pytest.param(bytes(64), id="bytes"),
        pytest.param(memoryview(bytearray(64)).toreadonly(), id="read-only memoryview"),
        pytest.param(memoryview(bytes(64)), id="memoryview of bytes"),
    ],
)
def test_read_only_memory_is_refused(memory: object) -> None:
    pool = Pool(3)
    pool.add(0x1000, 64, memory=bytearray(64))
    before = state(pool)
    with pytest.raises(InvalidArgument):
        pool.add(0x2000, 64, memory=memory)
    assert state(pool) == before


def test_read_only_mmap_is_refused(tmp_path) -> None:
    path = tmp_path / "sram.bin"
    path.write_bytes(bytes(4096))
    pool = Pool(3)
    with path.open("rb") as file, mmap.mmap(file.fileno(), 4096, access=mmap.ACCESS_READ) as memory:
        with pytest.raises(InvalidArgument):
            pool.add(0x1000, 4096, memory=memory)
    assert pool.chunks == ()


@pytest.mark.parametrize(
    ("size", "memory"),
    [
        (64, bytearray(63)),
        (64, memoryview(bytearray(64))[1:]),
        (64, array("I", [0] * 15)),  # 60 bytes
        (1, bytearray(0)),
    ],
    ids=["bytearray", "memoryview", "array", "empty"],
)
def test_too_small_memory_is_refused(size: int, memory: object) -> None:
    pool = Pool(0)
    with pytest.raises(InvalidArgument, match=str(size)):
        pool.add(0x1000, size, memory=memory)
    assert pool.chunks == () and pool.size == 0


def test_non_buffers_and_non_contiguous_memory_are_refused() -> None:
    pool = Pool(0)
    for memory in ([0] * 64, "x" * 64, 64, memoryview(bytearray(128))[::2]):
        with pytest.raises(InvalidArgument):
            pool.add(0x1000, 64, memory=memory)
    assert pool.chunks == ()


# -- zeroing -----------------------------------------------------------------------------------------


def test_alloc_and_free_never_touch_the_memory() -> None:
    # gen_pool_alloc hands out addresses; it neither clears nor poisons memory
    memory = bytearray(b"\xee" * 64)
    pool = Pool(3)
    pool.add(0x1000, 64, memory=memory)
    addr = pool.alloc(16)
    assert bytes(pool.view(addr, 16)) == b"\xee" * 16
    pool.view(addr, 16)[:] = b"\x11" * 16
    pool.free(addr, 16)
    assert memory[:16] == b"\x11" * 16
    addr, _ = pool.dma_alloc(16)
    assert bytes(pool.view(addr, 16)) == b"\x11" * 16
    assert memory[16:] == b"\xee" * 48


def test_dma_zalloc_zeroes_exactly_the_requested_bytes() -> None:
    # gen_pool_dma_zalloc_algo: memset(vaddr, 0, size) - the size asked for, not the granules
    memory = bytearray(b"\xff" * 256)
    pool = Pool(3)
    pool.add_virt(0x1000, 0xC000, 256, memory=memory)
    addr, dma = pool.dma_zalloc(5)
    assert (addr, dma) == (0x1000, 0xC000)
    assert memory[:5] == bytes(5)
    assert memory[5:8] == b"\xff" * 3  # the rest of the granule is untouched
    assert memory[8:] == b"\xff" * 248
    addr, dma = pool.dma_zalloc_align(3, 32)
    assert (addr, dma) == (0x1020, 0xC020)
    assert memory[0x20:0x23] == bytes(3) and memory[0x23] == 0xFF and memory[8:0x20] == b"\xff" * 24
    addr, dma = pool.dma_zalloc(9, algo="best_fit")
    assert (addr, dma) == (0x1008, 0xC008)
    assert memory[8:17] == bytes(9) and memory[17:0x18] == b"\xff" * 7


def test_kernel_dma_zalloc_functions() -> None:
    memory = bytearray(b"\xff" * 128)
    pool = K.gen_pool_create(4, -1)
    chunk = pool.add_virt(0x2000, 0x5000, 128, memory=memory)
    assert K.gen_pool_dma_zalloc(pool, 1) == (0x2000, 0x5000)
    assert memory[0] == 0 and memory[1:16] == b"\xff" * 15
    assert K.gen_pool_dma_zalloc_align(pool, 20, 64) == (0x2040, 0x5040)
    assert memory[0x40:0x54] == bytes(20) and memory[0x54:0x60] == b"\xff" * 12
    # best fit for one granule: the 2-granule hole at 0x60, not the 3-granule one at 0x10
    assert K.gen_pool_dma_zalloc_algo(pool, 16, K.gen_pool_best_fit, None) == (0x2060, 0x5060)
    assert memory[0x60:0x70] == bytes(16) and memory[0x70] == 0xFF and memory[0x10:0x40] == b"\xff" * 0x30
    # no room: (None, None) and the memory as it was
    before = bytes(memory)
    assert K.gen_pool_dma_zalloc(pool, 128) == (None, None)
    assert bytes(memory) == before
    assert chunk.avail == 128 - 16 - 32 - 16


def test_dma_zalloc_without_room_raises_no_space_and_touches_nothing() -> None:
    memory = bytearray(b"\xff" * 64)
    pool = Pool(3)
    pool.add(0x1000, 64, memory=memory)
    pool.alloc(60)
    before = state(pool)
    with pytest.raises(NoSpace):
        pool.dma_zalloc(8)
    assert state(pool) == before


def test_dma_zalloc_on_an_unbacked_pool_is_invalid_and_changes_nothing() -> None:
    pool = Pool(3)
    pool.add(0x1000, 64)
    pool.alloc(8)
    before = state(pool)
    for call in (
        lambda: pool.dma_zalloc(8),
        lambda: pool.dma_zalloc_align(8, 16),
        lambda: K.gen_pool_dma_zalloc(pool, 8),
        lambda: K.gen_pool_dma_zalloc_align(pool, 8, 16),
        lambda: K.gen_pool_dma_zalloc_algo(pool, 8, K.gen_pool_first_fit, None),
    ):
        with pytest.raises(InvalidArgument):
            call()
        assert state(pool) == before
    with pytest.raises(InvalidArgument):
        Pool(3).dma_zalloc(8)  # no chunk at all


def test_dma_zalloc_landing_in_an_unbacked_chunk_is_undone() -> None:
    memory = bytearray(b"\xff" * 64)
    pool = Pool(3)
    pool.add(0x1000, 64, memory=memory)  # backed, older
    pool.add(0x2000, 64)  # unbacked, newest: allocations land here first
    before = state(pool)
    with pytest.raises(InvalidArgument):
        pool.dma_zalloc(8)
    assert state(pool) == before
    with pytest.raises(InvalidArgument):
        K.gen_pool_dma_zalloc(pool, 8)
    assert state(pool) == before
    # once the unbacked chunk is full, the backed one serves and is zeroed
    pool.alloc(64)
    assert pool.dma_zalloc(8) == (0x1000, None)
    assert memory[:8] == bytes(8) and memory[8:] == b"\xff" * 56


def test_view_needs_one_backed_chunk() -> None:
    pool = Pool(3)
    pool.add(0x1000, 64, memory=bytearray(64))
    pool.add(0x1040, 64)  # adjacent, unbacked
    assert len(pool.view(0x1038, 8)) == 8
    before = state(pool)
    for addr, size in ((0x1038, 16), (0x1040, 8), (0x0FF8, 16), (0x3000, 1)):
        with pytest.raises(InvalidArgument):
            pool.view(addr, size)
    assert state(pool) == before
