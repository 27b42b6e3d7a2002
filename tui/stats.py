"""Pool statistics for the stats panel, computed without ever stalling the UI.

Size and avail are the pool's own counters.  The largest free run (and
from it the fragmentation) needs a pass over every bitmap, which for a
chunk of tens of millions of granules takes longer than a frame, so
:class:`StatsScanner` makes the pass a slice at a time, a bounded number
of granules per frame, and publishes a :class:`PoolStats` when a pass
ends.  A pass starts again only when the pool changed.

Nothing here imports Textual.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import genpool

__all__ = ["ChunkStats", "PoolStats", "StatsScanner", "UsageHistory", "span_text", "sparkline"]

_FREE_RUN = re.compile(rb"\x00+")
#: Granules examined per step.
STEP_BUDGET = 1 << 21
#: Pools with at most this many granules count allocations exactly (from the trackers).
EXACT_COUNT_LIMIT = 1 << 18


@dataclass(frozen=True, slots=True)
class ChunkStats:
    """One chunk's figures at the end of a scan."""

    start_addr: int
    size: int
    avail: int
    largest_free: int

    @property
    def used_fraction(self) -> float:
        """Used bytes over size (0 for an empty chunk)."""
        return (self.size - self.avail) / self.size if self.size else 0.0


@dataclass(frozen=True, slots=True)
class PoolStats:
    """One pool's figures at the end of a scan."""

    size: int
    avail: int
    granule: int
    allocations: int
    #: Whether ``allocations`` counts tracked allocations (else runs of used granules).
    exact: bool
    largest_free: int
    #: Per chunk, in the order the pool walks them.
    chunks: tuple[ChunkStats, ...] = ()

    @property
    def used(self) -> int:
        """Bytes allocated."""
        return self.size - self.avail

    @property
    def used_fraction(self) -> float:
        """Used bytes over size (0 for an empty pool)."""
        return self.used / self.size if self.size else 0.0

    @property
    def fragmentation(self) -> float:
        """``1 - largest free run / free``: 0 when all free memory is one run."""
        if self.avail <= 0:
            return 0.0
        return max(0.0, 1.0 - self.largest_free / self.avail)


class StatsScanner:
    """Computes :class:`PoolStats` of one pool in slices of :data:`STEP_BUDGET` granules."""

    def __init__(
        self,
        pool: genpool.Pool,
        budget: int = STEP_BUDGET,
        *,
        interval: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool = pool
        self.budget = budget
        #: Least time between the starts of two passes, so a busy pool is counted a few times a second.
        self.interval = interval
        self.clock = clock
        self._started = float("-inf")
        #: The figures of the last finished pass, or None before the first.
        self.result: PoolStats | None = None
        self._stale = True
        self._pass: _Pass | None = None

    def invalidate(self) -> None:
        """The pool changed: the current figures are out of date."""
        self._stale = True

    @property
    def busy(self) -> bool:
        """Whether a pass is under way or due."""
        return self._stale or self._pass is not None

    def step(self) -> bool:
        """Scan one slice; return True when this step finished a pass (``result`` is new)."""
        if self._pass is None:
            if not self._stale:
                return False
            if self.interval > 0:
                now = self.clock()
                if now - self._started < self.interval:
                    return False
                self._started = now
            self._stale = False
            self._pass = _Pass(self.pool)
        if not self._pass.advance(self.budget):
            return False
        self.result = self._pass.finish()
        self._pass = None
        return True

    def run(self) -> PoolStats:
        """Finish a whole pass now (for tests and small pools)."""
        self._stale = True
        self._pass = None
        self._started = float("-inf")
        while not self.step():
            pass
        assert self.result is not None
        return self.result


class _Pass:
    """One pass over the chunks of a pool, as the chunk list stood when it began."""

    def __init__(self, pool: genpool.Pool) -> None:
        self.pool = pool
        self.chunks = pool.chunks
        self.index = 0
        self.pos = 0
        self.largest = 0
        self.runs = 0
        #: The largest free run of each chunk done so far.
        self.chunk_largest: list[int] = []
        self.chunk_best = 0

    def advance(self, budget: int) -> bool:
        """Examine about ``budget`` granules; True when every chunk is done."""
        while budget > 0 and self.index < len(self.chunks):
            chunk = self.chunks[self.index]
            bits = chunk.bitmap.raw
            nbits = len(bits)
            pos = self.pos
            # Cut just before a set bit, so that no free run spans two slices.
            end = bits.find(1, min(pos + budget, nbits)) if pos + budget < nbits else -1
            if end < 0:
                end = nbits
            for match in _FREE_RUN.finditer(bits, pos, end):
                length = match.end() - match.start()
                if length > self.chunk_best:
                    self.chunk_best = length
            # Runs of set bits: each 0->1 edge, plus one if the slice opens on a set bit.
            self.runs += bits.count(b"\x00\x01", pos, end) + (1 if pos < end and bits[pos] == 1 else 0)
            budget -= end - pos + 1
            if end >= nbits:
                self.chunk_largest.append(self.chunk_best)
                self.largest = max(self.largest, self.chunk_best)
                self.chunk_best = 0
                self.index += 1
                self.pos = 0
            else:
                self.pos = end
        return self.index >= len(self.chunks)

    def finish(self) -> PoolStats:
        pool = self.pool
        granule = pool.granule
        nbits = sum(chunk.nbits for chunk in self.chunks)
        exact = bool(pool.trackers) and nbits <= EXACT_COUNT_LIMIT
        count = len(pool.allocations()) if exact else self.runs
        chunks = tuple(
            ChunkStats(chunk.start_addr, chunk.size, chunk.avail, largest * granule)
            for chunk, largest in zip(self.chunks, self.chunk_largest, strict=True)
        )
        return PoolStats(pool.size, pool.avail, granule, count, exact, self.largest * granule, chunks)


class UsageHistory:
    """Used fraction and fragmentation over time, one sample per ``period`` seconds at most.

    A change within the same period replaces that period's sample, so a
    burst of changes costs one point; ``clock`` is injectable for tests.
    """

    def __init__(self, length: int = 60, period: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self.samples: deque[float] = deque(maxlen=length)
        self.fragmentation: deque[float] = deque(maxlen=length)
        self._times: deque[float] = deque(maxlen=length)
        self.period = period
        self.clock = clock
        self._last = float("-inf")

    def record(self, used_fraction: float, fragmentation: float = 0.0) -> None:
        """Note the pool's used fraction and fragmentation now."""
        now = self.clock()
        if self.samples and now - self._last < self.period:
            self.samples[-1] = used_fraction
            self.fragmentation[-1] = fragmentation
        else:
            self.samples.append(used_fraction)
            self.fragmentation.append(fragmentation)
            self._times.append(now)
            self._last = now

    @property
    def span(self) -> float:
        """Seconds from the oldest sample kept to the newest."""
        return self._times[-1] - self._times[0] if self._times else 0.0


def span_text(seconds: float) -> str:
    """``12 s``, ``3 min``: the time a plot covers, as a person reads it."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


_BARS = " ▁▂▃▄▅▆▇█"


def sparkline(samples: list[float], width: int) -> str:
    """The last ``width`` samples (fractions 0..1) as bars on a fixed 0-100 % scale.

    A fixed scale, unlike one stretched between the smallest and largest
    sample, shows a pool that sits at 30 % as a low line, not a full one.
    """
    shown = samples[-width:] if width > 0 else []
    bars = []
    for value in shown:
        level = 0 if value <= 0 else max(1, min(8, round(value * 8)))
        bars.append(_BARS[level])
    return "".join(bars).rjust(max(width, 0), " ")
