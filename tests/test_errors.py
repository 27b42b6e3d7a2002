"""Bad input on every public entry point of both APIs, and the rule that a
call that raises changes nothing.

Each failing call runs against a pool with several chunks (one of them
memory-backed, one with a tail shorter than a granule) and outstanding
allocations, and the pool's whole state is compared before and after.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import genpool
import genpool.kernel as K
import pytest
from genpool import AlignData, Bitmap, Device, FixedData, GenPoolError, InvalidArgument, NoSpace, Pool, PoolBug
from genpool.devicetree import DeviceNode

TOP = 1 << 64


def snapshot(pool: Pool) -> dict[str, Any]:
    """Everything observable about ``pool``: compare two to prove a call changed nothing."""
    return {
        "avail": pool.avail,
        "size": pool.size,
        "chunks": [
            (
                chunk.start_addr,
                chunk.end_addr,
                chunk.phys_addr,
                chunk.owner,
                chunk.avail,
                chunk.nbits,
                chunk.bitmap.to_bytes(),
                None if chunk.memory is None else bytes(chunk.memory),
            )
            for chunk in pool.chunks
        ],
        "algorithm": pool.algorithm,
        "data": pool.algorithm_data,
        "destroyed": pool.destroyed,
        "allocations": [(a.addr, a.size, a.owner) for a in pool.allocations()],
    }


def busy_pool() -> Pool:
    """Three chunks, newest first C, B, A, and four allocations.

    A 0x1000-0x10ff, phys 0x9000, owner "A"; a1 = 0x1000 (8 bytes)
    B 0x2000-0x2043: 8 granules and a 4-byte tail; b1 = 0x2000 (8)
    C 0x4000-0x40ff, backed by a bytearray; c1 = 0x4000 (16), c2 = 0x4010 (24)
    """
    pool = Pool(3, name="busy", trackers=("tag",))
    pool.add_owner(0x1000, 0x9000, 0x100, owner="A")
    assert pool.alloc(8, owner="a1") == 0x1000
    pool.add(0x2000, 0x44)
    assert pool.alloc(8, owner="b1") == 0x2000
    memory = bytearray(range(256))
    pool.add(0x4000, 0x100, memory=memory)
    assert pool.alloc(16, owner="c1") == 0x4000
    assert pool.alloc(24, owner="c2") == 0x4010
    return pool


def check_unchanged(call: Callable[[Pool], object], exc: type[BaseException]) -> BaseException:
    pool = busy_pool()
    before = snapshot(pool)
    with pytest.raises(exc) as info:
        call(pool)
    assert snapshot(pool) == before
    # and the pool still works
    addr = pool.alloc(8)
    pool.free(addr, 8)
    assert snapshot(pool) == before
    return info.value


def noop(pool: Pool, chunk: genpool.Chunk, data: object) -> None:
    pass


# -- the Pythonic API -----------------------------------------------------------------------------

PYTHONIC_INVALID = {
    # alloc and its variants
    "alloc size 0": lambda p: p.alloc(0),
    "alloc negative": lambda p: p.alloc(-8),
    "alloc float": lambda p: p.alloc(8.0),
    "alloc str": lambda p: p.alloc("8"),
    "alloc bool": lambda p: p.alloc(True),
    "alloc None": lambda p: p.alloc(None),
    "alloc unknown algorithm": lambda p: p.alloc(8, algo="no_such_algorithm"),
    "alloc algorithm not callable": lambda p: p.alloc(8, algo=42),
    "alloc first_fit_align without data": lambda p: p.alloc(8, algo="first_fit_align"),
    "alloc first_fit_align with FixedData": lambda p: p.alloc(8, algo="first_fit_align", data=FixedData(0)),
    "alloc fixed_alloc without data": lambda p: p.alloc(8, algo="fixed_alloc"),
    "alloc fixed_alloc with AlignData": lambda p: p.alloc(8, algo="fixed_alloc", data=AlignData(8)),
    "alloc best_fit with data": lambda p: p.alloc(8, algo="best_fit", data=AlignData(8)),
    "alloc first_fit_order_align with data": lambda p: p.alloc(8, algo="first_fit_order_align", data=1),
    "alloc data for the pool's first_fit": lambda p: p.alloc(8, data=FixedData(0)),
    "alloc_owner size 0": lambda p: p.alloc_owner(0),
    "alloc_owner negative": lambda p: p.alloc_owner(-1),
    "alloc_owner unknown algorithm": lambda p: p.alloc_owner(8, algo="nope"),
    "dma_alloc size 0": lambda p: p.dma_alloc(0),
    "dma_alloc float": lambda p: p.dma_alloc(1.5),
    "dma_alloc unknown algorithm": lambda p: p.dma_alloc(8, algo="nope"),
    "dma_alloc_align align 0": lambda p: p.dma_alloc_align(8, 0),
    "dma_alloc_align align 3": lambda p: p.dma_alloc_align(8, 3),
    "dma_alloc_align align 24": lambda p: p.dma_alloc_align(8, 24),
    "dma_alloc_align align negative": lambda p: p.dma_alloc_align(8, -8),
    "dma_alloc_align align float": lambda p: p.dma_alloc_align(8, 8.0),
    "dma_alloc_align align bool": lambda p: p.dma_alloc_align(8, True),
    "dma_alloc_align size 0": lambda p: p.dma_alloc_align(0, 8),
    "dma_zalloc size 0": lambda p: p.dma_zalloc(0),
    "dma_zalloc negative": lambda p: p.dma_zalloc(-1),
    "dma_zalloc wrong data": lambda p: p.dma_zalloc(8, algo="first_fit_align", data=FixedData(0)),
    "dma_zalloc_align align 6": lambda p: p.dma_zalloc_align(8, 6),
    # adding chunks
    "add size 0": lambda p: p.add(0x8000, 0),
    "add negative address": lambda p: p.add(-0x1000, 8),
    "add negative size": lambda p: p.add(0x8000, -8),
    "add float address": lambda p: p.add(32768.0, 8),
    "add bool address": lambda p: p.add(True, 8),
    "add bool size": lambda p: p.add(0x8000, True),
    "add str size": lambda p: p.add(0x8000, "8"),
    "add nid -2": lambda p: p.add(0x8000, 8, nid=-2),
    "add nid float": lambda p: p.add(0x8000, 8, nid=0.0),
    "add past the top of the address space": lambda p: p.add(TOP - 4, 8),
    "add address 2**64": lambda p: p.add(TOP, 8),
    "add size 2**64": lambda p: p.add(0, TOP),
    "add overlapping the middle of A": lambda p: p.add(0x1080, 0x100),
    "add overlapping A's first byte": lambda p: p.add(0xF00, 0x101),
    "add overlapping A's last byte": lambda p: p.add(0x10FF, 1),
    "add overlapping B's tail": lambda p: p.add(0x2043, 8),
    "add covering every chunk": lambda p: p.add(0, 0x10000),
    "add memory too small": lambda p: p.add(0x8000, 16, memory=bytearray(15)),
    "add memory read-only bytes": lambda p: p.add(0x8000, 16, memory=bytes(16)),
    "add memory read-only view": lambda p: p.add(0x8000, 16, memory=memoryview(bytearray(16)).toreadonly()),
    "add memory not a buffer": lambda p: p.add(0x8000, 16, memory=[0] * 16),
    "add memory not contiguous": lambda p: p.add(0x8000, 16, memory=memoryview(bytearray(64))[::2]),
    "add_virt negative phys": lambda p: p.add_virt(0x8000, -1, 8),
    "add_virt phys 2**64": lambda p: p.add_virt(0x8000, TOP, 8),
    "add_virt float phys": lambda p: p.add_virt(0x8000, 4096.0, 8),
    "add_virt phys None": lambda p: p.add_virt(0x8000, None, 8),
    "add_virt size 0": lambda p: p.add_virt(0x8000, 0x9000, 0),
    "add_virt overlapping": lambda p: p.add_virt(0x4000, 0x9000, 8),
    "add_owner negative phys": lambda p: p.add_owner(0x8000, -5, 8),
    "add_owner overlapping": lambda p: p.add_owner(0x2040, None, 8, owner="x"),
    "add_owner negative virt": lambda p: p.add_owner(-8, None, 8),
    # freeing: bad arguments
    "free negative address": lambda p: p.free(-8, 8),
    "free negative size": lambda p: p.free(0x4000, -16),
    "free float address": lambda p: p.free(16384.0, 16),
    "free bool address": lambda p: p.free(True, 8),
    "free bool size": lambda p: p.free(0x4000, True),
    "free str size": lambda p: p.free(0x4000, "16"),
    "free address 2**64": lambda p: p.free(TOP, 8),
    "free size 2**64": lambda p: p.free(0x4000, TOP),
    "free_owner negative address": lambda p: p.free_owner(-1, 8),
    "free_owner float size": lambda p: p.free_owner(0x4000, 16.0),
    # choosing the algorithm
    "set_algo unknown": lambda p: p.set_algo("no_such_algorithm"),
    "set_algo not callable": lambda p: p.set_algo(42),
    "set_algo first_fit_align without data": lambda p: p.set_algo("first_fit_align"),
    "set_algo fixed_alloc with AlignData": lambda p: p.set_algo("fixed_alloc", AlignData(8)),
    "set_algo first_fit with data": lambda p: p.set_algo("first_fit", 1),
    # asking
    "has_addr negative start": lambda p: p.has_addr(-1, 1),
    "has_addr negative size": lambda p: p.has_addr(0x1000, -1),
    "has_addr float start": lambda p: p.has_addr(4096.0, 1),
    "has_addr bool size": lambda p: p.has_addr(0x1000, True),
    "has_addr start 2**64": lambda p: p.has_addr(TOP, 1),
    "virt_to_phys negative": lambda p: p.virt_to_phys(-1),
    "virt_to_phys str": lambda p: p.virt_to_phys("0x1000"),
    "virt_to_phys bool": lambda p: p.virt_to_phys(True),
    "virt_to_phys 2**64": lambda p: p.virt_to_phys(TOP),
    "for_each_chunk not callable": lambda p: p.for_each_chunk(42),
    "for_each_chunk None": lambda p: p.for_each_chunk(None),
    "view negative address": lambda p: p.view(-1, 8),
    "view unbacked chunk": lambda p: p.view(0x1000, 8),
    "view outside every chunk": lambda p: p.view(0x8000, 8),
    "view past the chunk's end": lambda p: p.view(0x40F8, 16),
    "view negative size": lambda p: p.view(0x4000, -1),
}


@pytest.mark.parametrize("call", PYTHONIC_INVALID.values(), ids=PYTHONIC_INVALID.keys())
def test_pythonic_bad_arguments_raise_invalid_argument_and_change_nothing(call) -> None:
    error = check_unchanged(call, InvalidArgument)
    assert isinstance(error, ValueError) and isinstance(error, GenPoolError)
    assert error.errno == errno.EINVAL


PYTHONIC_BUGS = {
    "free of a granule never allocated": lambda p: p.free(0x4028, 8),
    "free overlapping a granule never allocated": lambda p: p.free(0x4000, 48),  # bits 0-5, bit 5 free
    "free_owner of a granule never allocated": lambda p: p.free_owner(0x1008, 8),
    "free outside every chunk": lambda p: p.free(0x3000, 8),
    "free just below a chunk": lambda p: p.free(0xFFF, 1),
    "free just past a chunk": lambda p: p.free(0x4100, 8),
    "free past a chunk's end": lambda p: p.free(0x40F8, 16),
    "free running into the next address range": lambda p: p.free(0x4000, 0x101),
    "free of the tail": lambda p: p.free(0x2040, 4),
    "free past the tail's end": lambda p: p.free(0x2038, 16),
    "free of size 0 outside every chunk": lambda p: p.free(0x3000, 0),
    "free_owner outside every chunk": lambda p: p.free_owner(0x8000, 8),
}


@pytest.mark.parametrize("call", PYTHONIC_BUGS.values(), ids=PYTHONIC_BUGS.keys())
def test_pythonic_misuse_raises_pool_bug_and_changes_nothing(call) -> None:
    error = check_unchanged(call, PoolBug)
    assert error.outstanding == ()


def test_double_free_raises_pool_bug_and_changes_nothing() -> None:
    pool = busy_pool()
    pool.free(0x4000, 16)
    before = snapshot(pool)
    with pytest.raises(PoolBug) as err:
        pool.free(0x4000, 16)
    assert snapshot(pool) == before
    assert "0x4000" in str(err.value)
    # a free that covers a live allocation and a freed one: nothing is cleared
    with pytest.raises(PoolBug):
        pool.free(0x4000, 40)
    assert snapshot(pool) == before
    with pytest.raises(PoolBug):
        K.gen_pool_free(pool, 0x4008, 8)
    assert snapshot(pool) == before


def test_errors_name_what_was_wrong() -> None:
    pool = busy_pool()
    with pytest.raises(PoolBug, match="0x3000"):
        pool.free(0x3000, 8)
    with pytest.raises(PoolBug, match=r"0x40f8.*16|0x40f8"):
        pool.free(0x40F8, 16)
    with pytest.raises(PoolBug, match="0x4028"):  # the granule that was not allocated
        pool.free(0x4020, 16)
    with pytest.raises(InvalidArgument, match="no_such_algorithm"):
        pool.alloc(8, algo="no_such_algorithm")
    with pytest.raises(InvalidArgument, match="0x1000"):  # the chunk overlapped
        pool.add(0x1080, 0x100)
    with pytest.raises(InvalidArgument, match="-8"):
        pool.alloc(-8)
    with pytest.raises(InvalidArgument, match="AlignData"):
        pool.alloc(8, algo="first_fit_align")


def test_constructors_refuse_bad_arguments() -> None:
    bad_pools = [
        lambda: Pool(-1),
        lambda: Pool(64),
        lambda: Pool(3.0),
        lambda: Pool(True),
        lambda: Pool("3"),
        lambda: Pool(None),
        lambda: Pool(3, nid=-2),
        lambda: Pool(3, nid=1.5),
        lambda: Pool(3, name=5),
        lambda: Pool(3, name=b"sram"),
        lambda: Pool(3, algo="no_such_algorithm"),
        lambda: Pool(3, algo=42),
        lambda: Pool(3, algo="first_fit_align"),
        lambda: Pool(3, algo="first_fit_align", data=FixedData(0)),
        lambda: Pool(3, algo="fixed_alloc", data=AlignData(8)),
        lambda: Pool(3, algo="best_fit", data=1),
        lambda: Pool(3, trackers=("no_such_tracker",)),
        lambda: AlignData(0),
        lambda: AlignData(3),
        lambda: AlignData(6),
        lambda: AlignData(-8),
        lambda: AlignData(8.0),
        lambda: AlignData(True),
        lambda: AlignData(TOP),
        lambda: FixedData(-1),
        lambda: FixedData(1.5),
        lambda: FixedData(True),
        lambda: FixedData(TOP),
        lambda: Device(""),
        lambda: Device(5),
    ]
    for make in bad_pools:
        with pytest.raises(InvalidArgument):
            make()
    assert Pool(0).min_alloc_order == 0 and Pool(63).granule == 1 << 63


def test_alloc_of_a_size_past_64_bits_is_invalid() -> None:
    check_unchanged(lambda p: p.alloc(TOP), InvalidArgument)


def test_sizes_at_the_64_bit_limit_are_valid_but_do_not_fit() -> None:
    for call in (lambda p: p.alloc(TOP - 1), lambda p: p.dma_alloc(TOP - 1)):
        check_unchanged(call, NoSpace)
    pool = busy_pool()
    assert K.gen_pool_alloc(pool, TOP - 1) == 0


def test_destroy_with_allocations_outstanding_lists_them() -> None:
    pool = busy_pool()
    before = snapshot(pool)
    with pytest.raises(PoolBug) as err:
        pool.destroy()
    assert snapshot(pool) == before and not pool.destroyed
    message = str(err.value)
    for addr, owner in ((0x1000, "a1"), (0x2000, "b1"), (0x4000, "c1"), (0x4010, "c2")):
        assert f"{addr:#x}" in message
        assert owner in message
    assert "4 allocation" in message
    records = sorted((a.addr, a.size, a.owner) for a in err.value.outstanding)
    assert records == [(0x1000, 8, "a1"), (0x2000, 8, "b1"), (0x4000, 16, "c1"), (0x4010, 24, "c2")]
    # the kernel name raises the same
    with pytest.raises(PoolBug):
        K.gen_pool_destroy(pool)
    assert snapshot(pool) == before
    # free everything: destroy goes through, and the pool is then refused
    for addr, size, _ in records:
        pool.free(addr, size)
    pool.destroy()
    assert pool.destroyed and pool.chunks == () and pool.size == 0
    for call in (lambda: pool.alloc(8), lambda: pool.add(0x8000, 8), lambda: pool.free(0x4000, 8)):
        with pytest.raises(InvalidArgument):
            call()
    with pytest.raises(InvalidArgument):
        K.gen_pool_alloc(pool, 8)


def test_destroy_without_trackers_lists_runs_of_allocated_granules() -> None:
    pool = Pool(3)
    pool.add(0x1000, 0x100)
    pool.alloc(8)
    pool.alloc(16)  # adjacent: one run 0x1000-0x1017
    pool.alloc(8)
    pool.free(0x1018, 8)
    pool.add(0x2000, 0x40)
    pool.alloc(0x40)
    with pytest.raises(PoolBug) as err:
        pool.destroy()
    message = str(err.value)
    assert "0x1000" in message and "0x2000" in message
    assert sorted((a.addr, a.size) for a in err.value.outstanding) == [(0x1000, 24), (0x2000, 0x40)]
    assert pool.avail == 0x100 - 24


# -- the kernel API ----------------------------------------------------------------------------------

KERNEL_INVALID = {
    "gen_pool_add negative address": lambda p: K.gen_pool_add(p, -1, 8, -1),
    "gen_pool_add size 0 at 0 (its end wraps)": lambda p: K.gen_pool_add(p, 0, 0, -1),
    "gen_pool_add negative size": lambda p: K.gen_pool_add(p, 0x8000, -8, -1),
    "gen_pool_add past the top": lambda p: K.gen_pool_add(p, TOP - 4, 8, -1),
    "gen_pool_add float nid": lambda p: K.gen_pool_add(p, 0x8000, 8, 1.5),
    "gen_pool_add not a pool": lambda p: K.gen_pool_add("pool", 0x8000, 8, -1),
    "gen_pool_add_virt phys -2": lambda p: K.gen_pool_add_virt(p, 0x8000, -2, 8, -1),
    "gen_pool_add_virt phys 2**64": lambda p: K.gen_pool_add_virt(p, 0x8000, TOP, 8, -1),
    "gen_pool_add_virt bool phys": lambda p: K.gen_pool_add_virt(p, 0x8000, True, 8, -1),
    "gen_pool_add_owner float phys": lambda p: K.gen_pool_add_owner(p, 0x8000, 1.5, 8, -1, None),
    "gen_pool_alloc negative": lambda p: K.gen_pool_alloc(p, -1),
    "gen_pool_alloc float": lambda p: K.gen_pool_alloc(p, 1.5),
    "gen_pool_alloc bool": lambda p: K.gen_pool_alloc(p, True),
    "gen_pool_alloc 2**64": lambda p: K.gen_pool_alloc(p, TOP),
    "gen_pool_alloc not a pool": lambda p: K.gen_pool_alloc(None, 8),
    "gen_pool_alloc_owner negative": lambda p: K.gen_pool_alloc_owner(p, -1),
    "gen_pool_alloc_algo algo None": lambda p: K.gen_pool_alloc_algo(p, 8, None, None),
    "gen_pool_alloc_algo algo int": lambda p: K.gen_pool_alloc_algo(p, 8, 42, None),
    "gen_pool_alloc_algo unknown name": lambda p: K.gen_pool_alloc_algo(p, 8, "nope", None),
    "gen_pool_alloc_algo first_fit_align without data": lambda p: K.gen_pool_alloc_algo(
        p, 8, K.gen_pool_first_fit_align, None
    ),
    "gen_pool_alloc_algo fixed_alloc with align data": lambda p: K.gen_pool_alloc_algo(
        p, 8, K.gen_pool_fixed_alloc, K.genpool_data_align(align=8)
    ),
    "gen_pool_alloc_algo negative size": lambda p: K.gen_pool_alloc_algo(p, -8, K.gen_pool_first_fit, None),
    "gen_pool_alloc_algo_owner algo None": lambda p: K.gen_pool_alloc_algo_owner(p, 8, None, None),
    "gen_pool_dma_alloc negative": lambda p: K.gen_pool_dma_alloc(p, -1),
    "gen_pool_dma_alloc not a pool": lambda p: K.gen_pool_dma_alloc("pool", 8),
    "gen_pool_dma_alloc_algo without data": lambda p: K.gen_pool_dma_alloc_algo(p, 8, K.gen_pool_first_fit_align, None),
    "gen_pool_dma_alloc_align align 0": lambda p: K.gen_pool_dma_alloc_align(p, 8, 0),
    "gen_pool_dma_alloc_align align 2**31": lambda p: K.gen_pool_dma_alloc_align(p, 8, 2**31),
    "gen_pool_dma_alloc_align align -8": lambda p: K.gen_pool_dma_alloc_align(p, 8, -8),
    "gen_pool_dma_zalloc negative": lambda p: K.gen_pool_dma_zalloc(p, -1),
    "gen_pool_dma_zalloc_algo unknown": lambda p: K.gen_pool_dma_zalloc_algo(p, 8, "nope", None),
    "gen_pool_dma_zalloc_align align 0": lambda p: K.gen_pool_dma_zalloc_align(p, 8, 0),
    "gen_pool_free negative address": lambda p: K.gen_pool_free(p, -1, 8),
    "gen_pool_free negative size": lambda p: K.gen_pool_free(p, 0x4000, -1),
    "gen_pool_free float address": lambda p: K.gen_pool_free(p, 16384.0, 8),
    "gen_pool_free not a pool": lambda p: K.gen_pool_free("pool", 0x4000, 8),
    "gen_pool_free_owner bool address": lambda p: K.gen_pool_free_owner(p, True, 8),
    "gen_pool_for_each_chunk func None": lambda p: K.gen_pool_for_each_chunk(p, None, None),
    "gen_pool_for_each_chunk not a pool": lambda p: K.gen_pool_for_each_chunk("pool", noop, None),
    "gen_pool_has_addr negative": lambda p: K.gen_pool_has_addr(p, -1, 8),
    "gen_pool_has_addr size 2**64": lambda p: K.gen_pool_has_addr(p, 0x1000, TOP),
    "addr_in_gen_pool not a pool": lambda p: K.addr_in_gen_pool("pool", 0, 0),
    "gen_pool_avail not a pool": lambda p: K.gen_pool_avail("pool"),
    "gen_pool_size not a pool": lambda p: K.gen_pool_size(None),
    "gen_pool_set_algo unknown": lambda p: K.gen_pool_set_algo(p, "nope", None),
    "gen_pool_set_algo not callable": lambda p: K.gen_pool_set_algo(p, 42, None),
    "gen_pool_set_algo first_fit_align without data": lambda p: K.gen_pool_set_algo(
        p, K.gen_pool_first_fit_align, None
    ),
    "gen_pool_set_algo fixed_alloc with align data": lambda p: K.gen_pool_set_algo(
        p, K.gen_pool_fixed_alloc, AlignData(8)
    ),
    "gen_pool_set_algo not a pool": lambda p: K.gen_pool_set_algo("pool", None, None),
    "gen_pool_virt_to_phys negative": lambda p: K.gen_pool_virt_to_phys(p, -1),
    "gen_pool_virt_to_phys not a pool": lambda p: K.gen_pool_virt_to_phys("pool", 0x1000),
    "gen_pool_destroy not a pool": lambda p: K.gen_pool_destroy("pool"),
    "genpool_data_align 0": lambda p: K.genpool_data_align(align=0),
    "genpool_data_align -3": lambda p: K.genpool_data_align(align=-3),
    "genpool_data_fixed negative": lambda p: K.genpool_data_fixed(offset=-8),
}


@pytest.mark.parametrize("call", KERNEL_INVALID.values(), ids=KERNEL_INVALID.keys())
def test_kernel_bad_arguments_raise_invalid_argument_and_change_nothing(call) -> None:
    error = check_unchanged(call, InvalidArgument)
    assert error.errno == errno.EINVAL


KERNEL_BUGS = {
    "gen_pool_free of a granule never allocated": lambda p: K.gen_pool_free(p, 0x4028, 8),
    "gen_pool_free outside every chunk": lambda p: K.gen_pool_free(p, 0x3000, 8),
    "gen_pool_free past a chunk's end": lambda p: K.gen_pool_free(p, 0x40F8, 16),
    "gen_pool_free of the tail": lambda p: K.gen_pool_free(p, 0x2040, 4),
    "gen_pool_free_owner outside every chunk": lambda p: K.gen_pool_free_owner(p, 0, 0),
    "gen_pool_destroy with allocations": lambda p: K.gen_pool_destroy(p),
}


@pytest.mark.parametrize("call", KERNEL_BUGS.values(), ids=KERNEL_BUGS.keys())
def test_kernel_misuse_raises_pool_bug_and_changes_nothing(call) -> None:
    check_unchanged(call, PoolBug)


def test_kernel_failures_that_are_not_errors_change_nothing() -> None:
    # Failure values, not exceptions: the kernel API returns them and changes nothing.
    pool = busy_pool()
    before = snapshot(pool)
    assert K.gen_pool_alloc(pool, 0) == 0
    assert K.gen_pool_alloc(pool, 0x1000) == 0
    assert K.gen_pool_alloc_owner(pool, 0x1000) == (0, None)
    assert K.gen_pool_alloc_algo(pool, 8, K.gen_pool_fixed_alloc, FixedData(0)) == 0
    assert K.gen_pool_dma_alloc(pool, 0x1000) == (None, None)
    assert K.gen_pool_dma_alloc_align(pool, 0x1000, 8) == (None, None)
    assert K.gen_pool_dma_zalloc(pool, 0x1000) == (None, None)
    assert K.gen_pool_virt_to_phys(pool, 0x8000) == TOP - 1
    assert K.gen_pool_has_addr(pool, 0x2040, 8) is False
    assert snapshot(pool) == before


def test_kernel_api_accepts_overlapping_chunks() -> None:
    pool = busy_pool()
    assert K.gen_pool_add(pool, 0x1080, 0x100, -1) == 0
    assert K.gen_pool_add_virt(pool, 0x4000, 0xA000, 0x10, -1) == 0
    assert K.gen_pool_add_owner(pool, 0, -1, 0x10000, -1, "all") == 0
    assert [c.start_addr for c in pool.chunks[:3]] == [0, 0x4000, 0x1080]
    assert pool.size == 0x100 + 0x44 + 0x100 + 0x100 + 0x10 + 0x10000


def test_kernel_algorithms_refuse_bad_arguments() -> None:
    pool = Pool(3)
    bitmap = Bitmap(16)
    good = (bitmap, 16, 0, 1, None, pool, 0x1000)
    assert K.gen_pool_first_fit(*good) == 0

    def with_(index: int, value: object) -> tuple:
        args = list(good)
        args[index] = value
        return tuple(args)

    bad = [
        (K.gen_pool_first_fit, with_(0, [0] * 16)),  # not a Bitmap
        (K.gen_pool_first_fit, with_(1, 17)),  # size past the bitmap
        (K.gen_pool_first_fit, with_(1, -1)),
        (K.gen_pool_first_fit, with_(2, -1)),  # negative start
        (K.gen_pool_first_fit, with_(2, 1.0)),
        (K.gen_pool_first_fit, with_(3, -1)),  # negative nr
        (K.gen_pool_first_fit, with_(3, True)),
        (K.gen_pool_first_fit, with_(5, "pool")),  # not a pool
        (K.gen_pool_first_fit, with_(6, -1)),  # negative start_addr
        (K.gen_pool_best_fit, with_(2, True)),
        (K.gen_pool_first_fit_order_align, with_(1, 99)),
        (K.gen_pool_first_fit_align, good),  # no AlignData
        (K.gen_pool_first_fit_align, with_(4, FixedData(8))),
        (K.gen_pool_fixed_alloc, good),  # no FixedData
        (K.gen_pool_fixed_alloc, with_(4, AlignData(8))),
    ]
    for function, args in bad:
        with pytest.raises(InvalidArgument):
            function(*args)
    assert bitmap.weight() == 0


def test_kernel_create_and_device_functions_refuse_bad_arguments() -> None:
    dev = Device("dev")
    node = DeviceNode("node")
    bad = [
        lambda: K.gen_pool_create(-1, -1),
        lambda: K.gen_pool_create(64, -1),
        lambda: K.gen_pool_create(3.0, -1),
        lambda: K.gen_pool_create(True, -1),
        lambda: K.gen_pool_create(3, -2),
        lambda: K.gen_pool_create(3, "node"),
        lambda: K.devm_gen_pool_create("dev", 3, -1, None),
        lambda: K.devm_gen_pool_create(None, 3, -1, None),
        lambda: K.devm_gen_pool_create(dev, 64, -1, None),
        lambda: K.devm_gen_pool_create(dev, 3, -2, None),
        lambda: K.devm_gen_pool_create(dev, 3, -1, 5),
        lambda: K.gen_pool_get("dev", None),
        lambda: K.gen_pool_get(None, "sram"),
        lambda: K.of_gen_pool_get("node", "sram", 0),
        lambda: K.of_gen_pool_get(None, "sram", 0),
    ]
    for call in bad:
        with pytest.raises(InvalidArgument):
            call()
    # none of the refused creations left a pool behind
    assert dev.pools == ()
    assert K.gen_pool_get(dev, None) is None
    assert K.of_gen_pool_get(node, "sram", 0) is None
    pool = K.devm_gen_pool_create(dev, 3, -1, None)
    with pytest.raises(InvalidArgument) as err:
        K.devm_gen_pool_create(dev, 3, -1, None)
    assert err.value.errno == errno.EINVAL
    assert dev.pools == (pool,)


def test_every_kernel_function_is_covered_here() -> None:
    """Guard: a kernel function added later needs a bad-input case above."""
    covered = set()
    source = Path(__file__).read_text(encoding="utf-8")
    for name in K.__all__:
        if re.search(rf"K\.{name}\b", source):
            covered.add(name)
    missing = set(K.__all__) - covered
    assert missing == set()


# -- algorithms that return garbage ------------------------------------------------------------------

GARBAGE_ALGORITHMS = {
    "returns a str": lambda *args: "0",
    "returns a float": lambda *args: 0.0,
    "returns a bool": lambda *args: False,
    "returns None": lambda *args: None,
    "returns a negative bit": lambda *args: -1,
    "returns a busy bit again and again": lambda *args: 0,  # bit 0 of every chunk is allocated
    "runs past the chunk": lambda bitmap, size, start, nr, *rest: size - 1,  # asked for 2 bits
}


@pytest.mark.parametrize("search", GARBAGE_ALGORITHMS.values(), ids=GARBAGE_ALGORITHMS.keys())
def test_an_algorithm_returning_garbage_is_a_plugin_error_and_changes_nothing(search) -> None:
    check_unchanged(lambda p: p.alloc(16, algo=search), genpool.PluginError)
    check_unchanged(lambda p: K.gen_pool_alloc_algo(p, 16, search, None), genpool.PluginError)


def test_an_algorithm_result_at_or_past_size_means_no_room() -> None:
    # "if (start_bit >= end_bit) continue;" - the kernel's convention, not an error
    def no_room(bitmap, size, start, nr, data, pool, start_addr):
        return size + 12345

    check_unchanged(lambda p: p.alloc(8, algo=no_room), NoSpace)
    pool = busy_pool()
    before = snapshot(pool)
    assert K.gen_pool_alloc_algo(pool, 8, no_room, None) == 0
    assert snapshot(pool) == before
