"""``genpool bench``: allocator throughput on a steady-state workload.

The workload (one chunk, request sizes uniform over 8..4096 bytes from a
seeded generator): prefill to 65 % used, then at each step allocate when
less than 50 % is used, free a random live allocation when more than
80 % is, and otherwise toss a coin.  One operation is one allocation
attempt or one free, made through the public :class:`genpool.Pool` API.

Each run is compared with a naive baseline measured in the same process:
first fit by ``bytearray.find`` from bit 0, with no index, behind a lock
and an argument check as every shared allocator needs.
"""

from __future__ import annotations

import random
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from .algorithm import AlignData, FixedData
from .errors import InvalidArgument, NoSpace
from .levels import ONES, ZEROS
from .pool import Pool

__all__ = ["NaivePool", "Result", "Workload", "fill", "fragmentation", "fragmented_alloc_free", "steady_state"]

BASE = 0x4000_0000
MIN_REQUEST, MAX_REQUEST = 8, 4096
PREFILL, LOW, HIGH = 0.65, 0.50, 0.80
# Steps between progress reports and deadline checks.
_BATCH = 1 << 14


@dataclass(frozen=True)
class Workload:
    """The random choices of one run, drawn before the clock starts."""

    prefill: list[int]
    sizes: list[int]
    coins: list[bool]
    picks: list[int]  # 32-bit fractions: which live allocation a free takes
    offsets: list[int]

    @classmethod
    def make(cls, pool_size: int, order: int, steps: int, seed: int) -> Workload:
        """Draw enough prefill requests to reach 65 % and one choice of each kind per step."""
        rng = random.Random(seed)
        granule = 1 << order
        prefill, used = [], 0
        while used < PREFILL * pool_size:
            size = rng.randint(MIN_REQUEST, MAX_REQUEST)
            prefill.append(size)
            used += -(-size // granule) * granule
        granules = pool_size >> order
        return cls(
            prefill,
            [rng.randint(MIN_REQUEST, MAX_REQUEST) for _ in range(steps)],
            [rng.random() < 0.5 for _ in range(steps)],
            [rng.getrandbits(32) for _ in range(steps)],
            [rng.randrange(granules) << order for _ in range(steps)],
        )


@dataclass(frozen=True)
class Result:
    """What one benchmark run measured."""

    case: str
    algorithm: str
    pool_size: int
    order: int
    steps: int
    seconds: float
    ops_per_second: float
    failed_allocs: int
    fragmentation: float
    bytes_per_granule: float

    def as_dict(self) -> dict[str, object]:
        """The result as plain JSON-ready values."""
        return asdict(self)


class NaivePool:
    """The baseline: first fit from bit 0 with ``bytearray.find``, with only what any allocator must do.

    Like :class:`genpool.Pool` it checks its arguments and holds a lock
    around each change, so that a comparison measures the search and its
    bookkeeping, not the safety every shared allocator needs.
    """

    def __init__(self, order: int, size: int) -> None:
        self.order = order
        self.bits = bytearray(size >> order)
        self.avail = size
        self.lock = threading.Lock()

    def alloc(self, size: int, **_: object) -> int:
        """First fit from bit 0; raises NoSpace, or InvalidArgument for a size that is not a positive int."""
        if type(size) is not int or size <= 0:
            raise InvalidArgument(f"size {size!r} is not a positive integer")
        nbits = (size + (1 << self.order) - 1) >> self.order
        with self.lock:
            start = self.bits.find(ZEROS[nbits]) if size <= self.avail else -1
            if start < 0:
                raise NoSpace(f"no room for {size} bytes")
            self.bits[start : start + nbits] = ONES[nbits]
            self.avail -= nbits << self.order
        return BASE + (start << self.order)

    def free(self, addr: int, size: int) -> None:
        """Clear the bits; checks only the argument types."""
        if type(addr) is not int or type(size) is not int or addr < BASE or size < 0:
            raise InvalidArgument(f"cannot free {size!r} bytes at {addr!r}")
        nbits = (size + (1 << self.order) - 1) >> self.order
        start = (addr - BASE) >> self.order
        with self.lock:
            self.bits[start : start + nbits] = ZEROS[nbits]
            self.avail += nbits << self.order


def _algorithm_data(algorithm: str, order: int) -> object:
    """The data the benchmark gives ``algorithm`` as the pool's default."""
    if algorithm == "first_fit_align":
        return AlignData(max(64, 1 << order))
    if algorithm == "fixed_alloc":
        return FixedData(0)
    return None


def steady_state(
    algorithm: str,
    pool_size: int,
    order: int,
    steps: int,
    seed: int,
    *,
    naive: bool = False,
    trackers: tuple[str, ...] = (),
    observer: bool = False,
    time_limit: float | None = None,
    progress: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Result:
    """Run the steady-state workload and measure its steps (not the prefill).

    ``trackers`` and ``observer`` (one no-op observer) measure what
    ownership tracking and watching cost.  The prefill is first fit for every algorithm, so all start from the
    same pool.  ``fixed_alloc`` asks for a random granule each step.
    ``time_limit`` stops a slow run early; ops/s counts the steps done.
    ``clock`` is wall time unless given (``time.process_time`` counts only
    this process's CPU time, which other programs on the machine do not
    inflate).
    """
    workload = Workload.make(pool_size, order, steps, seed)
    granule = 1 << order
    if naive:
        pool: Pool | NaivePool = NaivePool(order, pool_size)
    else:
        pool = Pool(order, trackers=trackers)
        pool.add(BASE, pool_size)
        if observer:
            pool.observe(lambda event: None)
    live: list[tuple[int, int, int]] = []
    used = 0
    for size in workload.prefill:
        try:
            addr = pool.alloc(size)
        except NoSpace:
            continue
        live.append((addr, size, -(-size // granule) * granule))
        used += live[-1][2]
    if isinstance(pool, Pool):
        pool.set_algo(algorithm, _algorithm_data(algorithm, order))
    fixed = [FixedData(offset) for offset in workload.offsets] if algorithm == "fixed_alloc" and not naive else None
    alloc, free = pool.alloc, pool.free
    sizes, coins, picks = workload.sizes, workload.coins, workload.picks
    # Rounded sizes are worked out before the clock starts: the loop should cost the allocator's time, not its own.
    taken = [-(-size // granule) * granule for size in sizes]
    low, high = LOW * pool_size, HIGH * pool_size
    failed = done = 0
    deadline = None if time_limit is None else clock() + time_limit
    start = clock()
    for batch in range(0, steps, _BATCH):
        done = min(batch + _BATCH, steps)
        for step in range(batch, done):
            if used < low or (used <= high and coins[step]):
                size = sizes[step]
                try:
                    addr = alloc(size) if fixed is None else alloc(size, data=fixed[step])
                except NoSpace:
                    failed += 1
                else:
                    live.append((addr, size, taken[step]))
                    used += taken[step]
            elif live:
                index = (picks[step] * len(live)) >> 32
                freed = live[index]
                live[index] = live[-1]
                live.pop()
                free(freed[0], freed[1])
                used -= freed[2]
        if progress is not None:
            progress(done)
        if deadline is not None and clock() > deadline:
            break
    seconds = clock() - start
    bits: bytes | bytearray
    if isinstance(pool, NaivePool):
        bits, footprint = pool.bits, len(pool.bits)
    else:
        bitmap = pool.chunks[0].bitmap
        bits, footprint = bitmap.to_bytes(), bitmap.footprint()
    variant = "+".join(trackers) + ("+observer" if observer else "")
    return Result(
        "steady-state" + (f" ({variant.strip('+')})" if variant else ""),
        "naive" if naive else algorithm,
        pool_size,
        order,
        done,
        seconds,
        done / seconds,
        failed,
        fragmentation(bits),
        footprint / (pool_size >> order),
    )


def fragmentation(bits: bytes | bytearray) -> float:
    """1 - largest run of free granules / free granules (0 when none is free)."""
    free = bits.count(0)
    if free == 0:
        return 0.0
    largest = pos = 0
    while (pos := bits.find(0, pos)) >= 0:
        end = bits.find(1, pos)
        if end < 0:
            end = len(bits)
        largest = max(largest, end - pos)
        pos = end
    return 1.0 - largest / free


def fill(pool_size: int, order: int, seed: int, clock: Callable[[], float] = time.perf_counter) -> Result:
    """Allocate into an empty pool by first fit until the first request that does not fit."""
    rng = random.Random(seed)
    # Twice as many requests as the average size fits: the pool is full well before they run out.
    count = 4 * pool_size // (MIN_REQUEST + MAX_REQUEST) + 1000
    # Kept in an array, not a list of int objects: after other benchmarks in the same process (the
    # suite) a list's ints lie scattered over a fragmented heap, and reading them missed the cache
    # often enough to cost the fill 7 %.  Each size read from the array is a fresh int in a hot block.
    requests = array("H", [rng.randint(MIN_REQUEST, MAX_REQUEST) for _ in range(count)])
    pool = Pool(order)
    pool.add(BASE, pool_size)
    alloc = pool.alloc
    count = 0
    start = clock()
    for size in requests:
        try:
            alloc(size)
        except NoSpace:
            break
        count += 1
    seconds = clock() - start
    bitmap = pool.chunks[0].bitmap
    return Result(
        "fill",
        "first_fit",
        pool_size,
        order,
        count,
        seconds,
        count / seconds,
        0,
        0.0,
        bitmap.footprint() / bitmap.nbits,
    )


def fragmented_alloc_free(
    pool_size: int, order: int, repeats: int, clock: Callable[[], float] = time.perf_counter
) -> Iterator[float]:
    """Seconds per 4 KiB alloc+free in a pool of 1-granule holes with only its last 4 KiB free.

    The pattern (every other granule allocated) is written straight into
    the bitmap, since building it through the API would take 2**24 calls;
    the measured calls go through the public API.
    """
    pool = Pool(order)
    chunk = pool.add(BASE, pool_size)
    tail = 4096 >> order
    pattern = bytearray(b"\x01\x00") * (chunk.nbits // 2)
    pattern[chunk.nbits - tail :] = bytes(tail)
    chunk.bitmap._load(bytes(pattern))
    chunk._avail = pool_size - (pattern.count(1) << order)
    for _ in range(repeats):
        start = clock()
        addr = pool.alloc(4096)
        pool.free(addr, 4096)
        yield clock() - start
