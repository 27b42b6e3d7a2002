"""Python conventions: a pool is a context manager and a container; reprs show addresses in hex."""

from __future__ import annotations

import re

import genpool
import pytest
from genpool.events import Allocated, Freed
from genpool.tracking import AllocRequest


def make_pool(**kwargs: object) -> genpool.Pool:
    pool = genpool.Pool(3, **kwargs)  # type: ignore[arg-type]
    pool.add(0x1000, 256)
    return pool


def test_with_destroys_the_pool_on_exit() -> None:
    with genpool.Pool(3) as pool:
        pool.add(0x1000, 256)
        pool.free(pool.alloc(24), 24)
    assert pool.chunks == () and pool.size == 0
    with pytest.raises(genpool.InvalidArgument, match="destroyed"):
        pool.add(0x2000, 64)


def test_with_returns_the_pool_itself() -> None:
    pool = genpool.Pool(3)
    with pool as entered:
        assert entered is pool


def test_with_raises_the_bug_on_exit_if_allocations_are_outstanding() -> None:
    with pytest.raises(genpool.PoolBug, match="gen_pool_destroy .* 1 allocation") as bug:
        with genpool.Pool(3, trackers=("tag",)) as pool:
            pool.add(0x1000, 256)
            addr = pool.alloc(16, owner="leak")
    assert [(record.addr, record.owner) for record in bug.value.outstanding] == [(addr, "leak")]
    # The BUG changed nothing: the pool is alive with its allocation.
    assert pool.has_addr(addr, 16) and pool.avail == 240
    pool.free(addr, 16)
    pool.destroy()


def test_an_exception_in_the_block_wins_over_the_bug() -> None:
    events: list[object] = []
    with pytest.raises(KeyError, match="from the block"):
        with make_pool() as pool:
            pool.observe(events.append)
            addr = pool.alloc(8)
            raise KeyError("from the block")
    # No BUG raised or reported; the pool is left as it was, to inspect.
    assert not any(type(event).__name__ == "BugRaised" for event in events)
    assert addr in pool and pool.avail == 248
    pool.free(addr, 8)
    pool.destroy()


def test_an_exception_in_the_block_still_destroys_an_empty_pool() -> None:
    with pytest.raises(KeyError):
        with make_pool() as pool:
            raise KeyError("boom")
    assert pool.chunks == ()


def test_with_on_a_pool_destroyed_in_the_block_is_fine() -> None:
    with make_pool() as pool:
        pool.destroy()
    assert pool.chunks == ()


def test_contains_is_has_addr_of_one_byte() -> None:
    pool = make_pool()
    pool.add(0xFFFF_FFFF_FFFF_FF00, 256)
    for addr in (0x0FFF, 0x1000, 0x10FF, 0x1100, 0xFFFF_FFFF_FFFF_FEFF, 0xFFFF_FFFF_FFFF_FFFF):
        assert (addr in pool) is pool.has_addr(addr, 1)
    assert 0x1000 in pool and 0x10FF in pool and 0x1100 not in pool and 0x0FFF not in pool


@pytest.mark.parametrize("addr", [-1, 1 << 64, "0x1000", 1.0, None])
def test_contains_refuses_what_is_not_an_address(addr: object) -> None:
    pool = make_pool()
    with pytest.raises(genpool.InvalidArgument, match="start"):
        addr in pool  # noqa: B015


def hex_only(text: str) -> None:
    """Every address-like field in ``text`` is hex."""
    for field in ("addr", "start", "phys"):
        for value in re.findall(rf"\b{field}=(\w+)", text):
            assert value.startswith("0x"), f"{field}={value} in {text}"


def test_allocation_repr_shows_addresses_in_hex() -> None:
    pool = make_pool(trackers=("tag",))
    addr = pool.alloc(20, owner="rx")
    text = repr(pool.allocations()[0])
    assert text.startswith(f"Allocation(addr={addr:#x}, size=24, chunk=<Chunk 0x1000-0x10ff")
    assert "owner='rx'" in text
    hex_only(text)


def test_event_and_request_reprs_show_addresses_in_hex() -> None:
    seen: list[object] = []
    pool = make_pool()
    pool.observe(seen.append)
    pool.free(pool.alloc(8), 8)
    allocated = next(event for event in seen if isinstance(event, Allocated))
    freed = next(event for event in seen if isinstance(event, Freed))
    request = AllocRequest(pool, pool.chunks[0], 0x1008, 8, 8, None, "first_fit")
    assert "addr=0x1000" in repr(allocated) and "start=0x1000" in repr(freed) and "size=8" in repr(freed)
    assert repr(request).startswith("AllocRequest(pool=<Pool order=3") and "addr=0x1008, size=8" in repr(request)
    for text in (repr(allocated), repr(freed), repr(request)):
        hex_only(text)


def test_chunk_and_pool_reprs() -> None:
    pool = genpool.Pool(3, name="sram")
    chunk = pool.add_virt(0x4000, 0x8000_0000, 64)
    assert repr(chunk) == "<Chunk 0x4000-0x403f phys=0x80000000 avail=64/64>"
    assert repr(pool) == "<Pool 'sram' order=3 chunks=1 avail=64/64>"
