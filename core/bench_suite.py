"""``genpool bench --suite``: every row of the README's performance table, with its target.

Each row is measured ``repeat`` times and reports the median; the spread
(lowest to highest) shows how noisy the machine was.  Times are the
process's CPU time (``time.process_time``), so that other programs on a
shared machine do not count against genpool; on a quiet machine they are
the wall time.  A ratio is taken
within one repeat, between two measurements made one after the other in
the same process, so that a busy machine slows both.  Rows whose target
is a ratio to a baseline are the ones to trust on a shared machine; the
absolute targets were set on the quiet 2-core development machine.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import bench
from .algorithm import AlignData, FixedData
from .console import Task, format_table
from .errors import NoSpace
from .pool import Pool

__all__ = ["Row", "failing_allocs", "fixed_alloc_times", "run_suite"]

MIB = 1 << 20
CLOCK = time.process_time


@dataclass
class Row:
    """One row of the table: what was measured in each repeat, and the target.

    ``at_least`` or ``at_most`` is the target's threshold in ``unit``;
    neither means the row has no target (it is shown for reference).
    """

    case: str
    unit: str
    values: list[float] = field(default_factory=list)
    at_least: float | None = None
    at_most: float | None = None
    note: str = ""

    @property
    def median(self) -> float:
        """The median of the repeats."""
        return statistics.median(self.values)

    @property
    def met(self) -> bool | None:
        """Whether the median meets the target; None for a row without one."""
        if self.at_least is not None:
            return self.median >= self.at_least
        if self.at_most is not None:
            return self.median <= self.at_most
        return None

    @property
    def target(self) -> str:
        """The target as the README writes it."""
        if self.at_least is not None:
            return f"≥ {_figure(self.at_least, self.unit)}"
        if self.at_most is not None:
            return f"≤ {_figure(self.at_most, self.unit)}"
        return "—"

    def as_dict(self) -> dict[str, object]:
        """The row as plain JSON-ready values."""
        return {
            "case": self.case,
            "unit": self.unit,
            "target": self.target,
            "median": self.median,
            "low": min(self.values),
            "high": max(self.values),
            "values": self.values,
            "met": self.met,
            "note": self.note,
        }

    def measured(self) -> str:
        """The median with its spread, as the table prints it."""
        low, high = min(self.values), max(self.values)
        spread = f" ({_figure(low, self.unit)} … {_figure(high, self.unit)})" if len(self.values) > 1 else ""
        return _figure(self.median, self.unit) + spread


def _figure(value: float, unit: str) -> str:
    if unit in ("ops/s", "allocs/s"):
        return f"{value / 1000:,.0f} k {unit}" if value < 1e6 else f"{value / 1e6:.2f} M {unit}"
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "B/granule":
        return f"{value:.3f} {unit}"
    return f"{value:.3g} {unit}"


# -- measurements the steady-state workload does not cover -------------------------


def _holes(pool_size: int, order: int) -> Pool:
    """A pool whose chunk is free only in 1-granule holes (every other granule), written straight into the bitmap."""
    pool = Pool(order)
    chunk = pool.add(bench.BASE, pool_size)
    pattern = b"\x00\x01" * (chunk.nbits // 2) + bytes(chunk.nbits % 2)
    chunk.bitmap._load(pattern)
    chunk._avail = pool_size - (pattern.count(1) << order)
    return pool


FAILING = (
    ("first_fit_align", AlignData(16)),
    ("first_fit_order_align", None),
    ("best_fit", None),
)


def failing_allocs(pool_size: int, order: int, repeat: int) -> Iterator[tuple[str, float]]:
    """``(algorithm, seconds)`` of 4 KiB allocations that cannot succeed in a pool of 1-granule holes.

    Each algorithm's first call comes first, so the repeats include the
    cost of building any index it needs.
    """
    pool = _holes(pool_size, order)
    for _ in range(repeat):
        for algorithm, data in FAILING:
            start = CLOCK()
            try:
                pool.alloc(4096, algo=algorithm, data=data)
            except NoSpace:
                pass
            else:
                raise AssertionError(f"{algorithm} found room in a pool of 1-granule holes")
            yield algorithm, CLOCK() - start


def fixed_alloc_times(pool_size: int, order: int, seed: int, calls: int = 2000) -> list[float]:
    """Seconds per ``fixed_alloc`` of 64 bytes at random granule offsets of a pool 65 % used by first fit.

    About two thirds of the calls fail (the granule is busy); the others
    succeed and are freed again outside the clock.
    """
    workload = bench.Workload.make(pool_size, order, calls, seed)
    pool = Pool(order)
    pool.add(bench.BASE, pool_size)
    for size in workload.prefill:
        try:
            pool.alloc(size)
        except NoSpace:
            break
    rng = random.Random(seed)
    data = [FixedData(rng.randrange(pool_size >> order) << order) for _ in range(calls)]
    alloc, free = pool.alloc, pool.free
    times = []
    for fixed in data:
        start = CLOCK()
        try:
            addr = alloc(64, algo="fixed_alloc", data=fixed)
        except NoSpace:
            times.append(CLOCK() - start)
        else:
            times.append(CLOCK() - start)
            free(addr, 64)
    return times


# -- the table ----------------------------------------------------------------------------


def run_suite(steps: int, seed: int, repeat: int, baseline_seconds: float, task: Task) -> list[Row]:
    """Measure every row ``repeat`` times; ``task(label, total)`` reports progress."""

    def steady(
        algorithm: str,
        mib: int,
        order: int,
        naive: bool = False,
        trackers: tuple[str, ...] = (),
        observer: bool = False,
    ) -> bench.Result:
        label = f"{algorithm} {mib} MiB o{order}" + (" naive" if naive else "")
        return bench.steady_state(
            algorithm,
            mib * MIB,
            order,
            steps,
            seed,
            naive=naive,
            trackers=trackers,
            observer=observer,
            time_limit=baseline_seconds if naive else None,
            progress=task(label, steps),
            clock=CLOCK,
        )

    small = Row("steady state, 1 MiB / order 3, `first_fit`", "ops/s", at_least=500_000)
    large = Row("steady state, 256 MiB / order 3, `first_fit`", "ops/s", at_least=150_000)
    floor = Row(
        "steady state, 1 MiB / order 6, `first_fit` against a locked, checked `bytearray.find` first fit",
        "×",
        at_least=0.85,
    )
    best = Row("steady state, 64 MiB / order 3, `best_fit` against `first_fit`", "×", at_least=0.5)
    others = {
        name: Row(f"steady state, 256 MiB / order 3, `{name}`{label}", "ops/s", at_least=100_000)
        for name, label in (("best_fit", ""), ("first_fit_align", " (align 64)"), ("first_fit_order_align", ""))
    }
    overheads = {
        "tag": Row("`tag` tracker, cost against none", "×", at_most=1.5),
        "callsite": Row("`callsite` tracker, cost against none", "×"),
        "observer": Row("one no-op observer, cost against none", "×", at_most=1.3),
    }
    memory = Row("memory for bitmap plus indexes, worst steady state above", "B/granule", at_most=1.25)
    small_naive, large_naive = [], []
    for _ in range(repeat):
        ours, naive = steady("first_fit", 1, 3), steady("first_fit", 1, 3, naive=True)
        small.values.append(ours.ops_per_second)
        small_naive.append(ours.ops_per_second / naive.ops_per_second)
        ours, naive = steady("first_fit", 256, 3), steady("first_fit", 256, 3, naive=True)
        large.values.append(ours.ops_per_second)
        large_naive.append(ours.ops_per_second / naive.ops_per_second)
        footprints = [ours.bytes_per_granule]
        ours, naive = steady("first_fit", 1, 6), steady("first_fit", 1, 6, naive=True)
        floor.values.append(ours.ops_per_second / naive.ops_per_second)
        first, fit = steady("first_fit", 64, 3), steady("best_fit", 64, 3)
        best.values.append(fit.ops_per_second / first.ops_per_second)
        for name, row in others.items():
            result = steady(name, 256, 3)
            row.values.append(result.ops_per_second)
            footprints.append(result.bytes_per_granule)
        memory.values.append(max(footprints))
        bare = steady("first_fit", 1, 3).ops_per_second
        for name, row in overheads.items():
            trackers = () if name == "observer" else (name,)
            result = steady("first_fit", 1, 3, trackers=trackers, observer=name == "observer")
            row.values.append(bare / result.ops_per_second)
    small.note = f"{statistics.median(small_naive):.2f}× the naive first fit"
    large.note = f"{statistics.median(large_naive):.0f}× the naive first fit"
    rows = [small, large, floor, best, *others.values()]
    for mib, limit in ((64, 10.0), (256, 20.0)):
        failing = {
            name: Row(f"failing `{name}`, {mib} MiB order-3 pool of 1-granule holes", "ms") for name, _ in FAILING
        }
        task(f"failing searches, {mib} MiB", 1)
        for name, seconds in failing_allocs(mib * MIB, 3, repeat):
            failing[name].values.append(seconds * 1000)
        for row in failing.values():
            row.at_most = limit
            row.note = f"first call {row.values[0]:.3g} ms"
            rows.append(row)
    fixed = Row("`fixed_alloc` on a 256 MiB pool, 65 % used", "µs", at_most=20.0)
    fill = Row("fill an empty 256 MiB order-3 pool by `first_fit`", "allocs/s", at_least=700_000)
    fragmented = Row("256 MiB order-3 pool of 1-granule holes, one 4 KiB alloc+free", "µs", at_most=20.0)
    for _ in range(repeat):
        task("fixed_alloc, 256 MiB", 1)
        fixed.values.append(statistics.median(fixed_alloc_times(256 * MIB, 3, seed)) * 1e6)
        task("fill, 256 MiB", 1)
        fill.values.append(bench.fill(256 * MIB, 3, seed, CLOCK).ops_per_second)
    task("fragmented alloc+free, 256 MiB", 1)
    times = list(bench.fragmented_alloc_free(256 * MIB, 3, 1000, CLOCK))
    fragmented.values = [statistics.median(times[i::repeat]) * 1e6 for i in range(repeat)]
    fragmented.note = f"the very first call {times[0] * 1e6:.0f} µs"
    return [*rows, fixed, fill, fragmented, memory, *overheads.values()]


def print_rows(rows: list[Row]) -> None:
    """The table on stdout, with a verdict per row and a count of the targets met."""
    verdicts = {True: "yes", False: "NO", None: ""}
    table = [[row.case, row.target, row.measured(), verdicts[row.met], row.note] for row in rows]
    title = "genpool bench --suite (median of the repeats; low … high)"
    print(format_table(title, ("case", "target", "measured", "met", "note"), table))
    targets = [row for row in rows if row.met is not None]
    print(f"{sum(bool(row.met) for row in targets)} of {len(targets)} targets met")
