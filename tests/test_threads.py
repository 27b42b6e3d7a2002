"""Several threads allocating and freeing on one memory-backed pool.

Each thread writes its id into every byte it owns and checks the bytes
are intact before it frees them.  Independently of the pool, the test
keeps its own map of which thread owns each granule (claimed after an
alloc returns, released before the free is called), so a granule handed
to two threads at once is caught even when the writes happen not to
collide.
"""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Callable, Iterator

import genpool.kernel as K
import pytest
from genpool import AlignData, NoSpace, Pool
from index_kinds import INDEX_KINDS, index_kind

THREADS = 8
STEPS = 2000
ORDER = 4
GRANULE = 1 << ORDER
SIZE = 64 * 1024
BASE = 0x10_0000


@pytest.fixture(autouse=True)
def fast_switching() -> Iterator[None]:
    """Switch threads far more often than usual, so the pool's lock is really contended."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


class Ledger:
    """The test's own record of which thread owns each granule (0: nobody)."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.lock = threading.Lock()
        self.owner: dict[int, int] = {}
        self.problems: list[str] = []

    def _granules(self, addr: int, size: int) -> range:
        first = addr - addr % GRANULE  # chunks start on a granule boundary here
        return range(first, addr + size, GRANULE)

    def claim(self, tid: int, addr: int, size: int) -> None:
        with self.lock:
            for granule in self._granules(addr, size):
                holder = self.owner.get(granule, 0)
                if holder:
                    self.problems.append(f"granule {granule:#x} given to thread {tid} while thread {holder} owns it")
                self.owner[granule] = tid

    def release(self, tid: int, addr: int, size: int) -> None:
        with self.lock:
            for granule in self._granules(addr, size):
                holder = self.owner.pop(granule, 0)
                if holder != tid:
                    self.problems.append(f"thread {tid} frees granule {granule:#x} owned by {holder}")


def run_threads(target: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def guarded(tid: int) -> None:
        try:
            target(tid)
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(tid,)) for tid in range(1, THREADS + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    if errors:
        raise errors[0]


def backed_pool(chunks: int = 1) -> tuple[Pool, list[bytearray]]:
    pool = Pool(ORDER)
    memories = []
    for i in range(chunks):
        memory = bytearray(SIZE // chunks)
        pool.add(BASE + i * 0x10_0000, SIZE // chunks, memory=memory)
        memories.append(memory)
    return pool, memories


def worker(pool: Pool, ledger: Ledger, barrier: threading.Barrier, tid: int, *, kernel: bool = False) -> None:
    rng = random.Random(tid)
    mine: list[tuple[int, int]] = []
    stamp = bytes([tid])

    def free_one(index: int) -> None:
        addr, size = mine.pop(index)
        view = pool.view(addr, size)
        if bytes(view) != stamp * size:
            ledger.problems.append(f"thread {tid}: bytes at {addr:#x}+{size} were overwritten")
        ledger.release(tid, addr, size)
        if kernel:
            K.gen_pool_free(pool, addr, size)
        else:
            pool.free(addr, size)

    barrier.wait()
    for _ in range(STEPS):
        if mine and (rng.random() < 0.45 or len(mine) > 24):
            free_one(rng.randrange(len(mine)))
            continue
        size = rng.choice([1, 7, 16, 17, 100, 256, 1000, 2048])
        algo = rng.choice(["first_fit", "best_fit", "first_fit_align", "first_fit_order_align", None])
        data = AlignData(rng.choice([16, 64, 256])) if algo == "first_fit_align" else None
        if kernel:
            addr = K.gen_pool_alloc(pool, size) if algo is None else K.gen_pool_alloc_algo(pool, size, algo, data)
            if addr == 0:
                continue
        else:
            try:
                addr = pool.alloc(size, algo=algo, data=data)
            except NoSpace:
                continue
        ledger.claim(tid, addr, size)
        pool.view(addr, size)[:] = stamp * size
        mine.append((addr, size))
        # the read-only queries run concurrently too
        assert pool.has_addr(addr, size)
        assert 0 <= pool.avail <= pool.size
    while mine:
        free_one(len(mine) - 1)


@pytest.mark.parametrize("index", ["plain", "list", "blocks"])
@pytest.mark.parametrize("kernel", [False, True], ids=["pythonic", "kernel"])
@pytest.mark.parametrize("chunks", [1, 4])
def test_threads_never_share_a_granule(kernel: bool, chunks: int, index: str) -> None:
    # Each kind of bitmap index, on chunks small enough to run fast.
    with index_kind(index):
        pool, _ = backed_pool(chunks)
    assert all(type(chunk.bitmap._index) is INDEX_KINDS[index] for chunk in pool.chunks)
    ledger = Ledger(pool)
    barrier = threading.Barrier(THREADS)
    run_threads(lambda tid: worker(pool, ledger, barrier, tid, kernel=kernel))
    assert ledger.problems == []
    assert ledger.owner == {}
    assert pool.avail == pool.size == SIZE
    for chunk in pool.chunks:
        assert chunk.bitmap.weight() == 0
        assert chunk.avail == chunk.size
    pool.destroy()


def test_threads_adding_chunks_while_others_allocate() -> None:
    pool = Pool(ORDER)
    pool.add(BASE, 4096, memory=bytearray(4096))
    ledger = Ledger(pool)
    barrier = threading.Barrier(THREADS)

    def target(tid: int) -> None:
        if tid <= 2:
            barrier.wait()
            for i in range(8):
                start = BASE + (tid * 16 + i + 1) * 0x10_0000
                pool.add(start, 2048, memory=bytearray(2048))
        else:
            worker(pool, ledger, barrier, tid)

    run_threads(target)
    assert ledger.problems == []
    assert len(pool.chunks) == 17
    assert pool.avail == pool.size == 4096 + 16 * 2048
    starts = [chunk.start_addr for chunk in pool.chunks]
    assert len(set(starts)) == 17


def test_concurrent_double_free_is_caught_once() -> None:
    """Many threads free the same allocation at once: exactly one succeeds."""
    from genpool import PoolBug

    pool, _ = backed_pool()
    for _ in range(50):
        addr = pool.alloc(64)
        barrier = threading.Barrier(THREADS)
        results: list[str] = []

        def target(
            tid: int, addr: int = addr, barrier: threading.Barrier = barrier, results: list[str] = results
        ) -> None:
            barrier.wait()
            try:
                pool.free(addr, 64)
                results.append("freed")
            except PoolBug:
                results.append("bug")

        run_threads(target)
        assert sorted(results) == ["bug"] * (THREADS - 1) + ["freed"]
        assert pool.avail == pool.size
