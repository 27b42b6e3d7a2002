"""Benchmarks of the TUI: drawing large pools, and staying live under a fast producer.

Run ``python -m genpool.tui.bench`` (``--quick`` for a smaller run).  These
are measurements, not tests: they print numbers and never fail.

*Drawing*: a headless app at 200x50 shows a fragmented pool zoomed to
fit; the bitmap's row cache is dropped and every visible row drawn
again (``rows``), then the whole screen is composed as a terminal update
(``frame``, Textual's compositor included).  Pools of 1 MiB and 256 MiB
at order 3, and 4 GiB at order 6 (67 M granules, 64 MiB of bitmap).

*Live*: a producer thread allocates and frees on a 1 MiB pool (sizes
8..4096 bytes, kept 50-80 % full) while the app watches it, once as fast
as it can and once paced at 100,000 operations a second.  Reported: the producer's rate alone, with only the TUI's
observer attached, and with the app running; the app's frames per
second (screen updates that reached the driver) and its answer time to
key presses; then once more paced, with the allocations table open.

*Table* and *finding*: see :mod:`genpool.tui.bench_table`.

*Watch*: the viewer of ``genpool watch`` applying a fast stream, alone
and with the app drawing it (see :mod:`genpool.tui.bench_watch`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable

import genpool
from textual import events

from .app import GenpoolApp
from .bench_table import finding_timings, owned_pool, table_timings
from .bitmap_view import BitmapView
from .live import PoolFeed

__all__ = ["FrameCounter", "fragmented_pool", "key_latencies", "main", "steady_state"]


def fragmented_pool(size: int, order: int, seed: int = 1, *, trackers: tuple[str, ...] = ()) -> genpool.Pool:
    """A pool of one chunk, filled to about 60 % and then half freed at random."""
    rng = random.Random(seed)
    pool = genpool.Pool(order, name=f"bench-{size >> 20}MiB", trackers=trackers)
    pool.add(0x1_0000_0000, size)
    granule = 1 << order
    live = []
    target = size * 6 // 10
    used = 0
    while used < target:
        nbytes = rng.randint(1, 64) * granule
        try:
            addr = pool.alloc(nbytes)
        except genpool.NoSpace:
            break
        live.append((addr, nbytes))
        used += nbytes
    for addr, nbytes in live:
        if rng.random() < 0.5:
            pool.free(addr, nbytes)
    return pool


class FrameCounter:
    """Mixed into an app: counts frames that reach the driver and when zoom keys arrive."""

    frames = 0
    key_times: list[float]

    def _display(self, screen: object, renderable: object) -> None:
        if renderable is not None:
            self.frames += 1
        super()._display(screen, renderable)  # type: ignore[misc]

    def action_zoom_in(self) -> None:
        self.key_times.append(time.perf_counter())
        super().action_zoom_in()  # type: ignore[misc]

    def action_zoom_out(self) -> None:
        self.key_times.append(time.perf_counter())
        super().action_zoom_out()  # type: ignore[misc]


class _BenchApp(FrameCounter, GenpoolApp):
    """The app, counting frames and key arrivals."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.key_times = []


async def key_latencies(app: FrameCounter, keep_going: Callable[[], bool]) -> list[float]:
    """Press ``-`` and ``+`` in turn every 0.2 s while ``keep_going()``: seconds until each reached its action."""
    latencies: list[float] = []
    while keep_going():
        await asyncio.sleep(0.2)
        pressed = time.perf_counter()
        seen = len(app.key_times)
        key = "plus" if len(latencies) % 2 else "minus"
        app.post_message(events.Key(key, "+" if key == "plus" else "-"))  # type: ignore[attr-defined]
        while len(app.key_times) == seen and time.perf_counter() - pressed < 2:
            await asyncio.sleep(0.001)
        if len(app.key_times) > seen:
            latencies.append(app.key_times[-1] - pressed)
    return latencies


def _timed(repeats: int, func: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def _draw(pool: genpool.Pool, repeats: int) -> dict[str, float]:
    app = _BenchApp([pool], remember_theme=False, theme="genpool-dark")
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        view = app.query_one(BitmapView)
        height = view.scrollable_content_region.height

        def rows() -> None:
            view.reload()
            for y in range(height):
                view.render_line(y)

        def frame() -> None:
            view.reload()
            app.screen._compositor.render_update(full=True).render_segments(app.console)  # type: ignore[union-attr]

        result = {"scale": view.grid.scale, "rows": _timed(repeats, rows), "frame": _timed(repeats, frame)}
    return result


def steady_state(pool: genpool.Pool, rng: random.Random, count: int, live: list[tuple[int, int]], used: int) -> int:
    """``count`` operations of the steady-state workload on ``pool``; returns the bytes in use after them.

    Sizes 8..4096 bytes, kept 50-80 % full; ``live`` holds the
    allocations made and not freed yet, ``used`` their bytes.
    """
    low, high = pool.size // 2, pool.size * 8 // 10
    for _ in range(count):
        if live and (used > high or (used > low and rng.random() < 0.5)):
            addr, size = live.pop(rng.randrange(len(live)))
            pool.free(addr, size)
            used -= size
        else:
            size = rng.randint(1, 512) * 8
            try:
                live.append((pool.alloc(size), size))
                used += size
            except genpool.NoSpace:
                if live:
                    addr, size = live.pop(0)
                    pool.free(addr, size)
                    used -= size
    return used


def _producer(
    pool: genpool.Pool, stop: threading.Event, counter: list[int], seed: int, rate: float | None = None
) -> None:
    """Allocate and free until ``stop``; at most ``rate`` operations a second if given."""
    rng = random.Random(seed)
    started = time.perf_counter()
    live: list[tuple[int, int]] = []
    used = pool.size - pool.avail
    ops = 0
    while not stop.is_set():
        used = steady_state(pool, rng, 256, live, used)
        ops += 256
        if rate is not None:
            ahead = started + ops / rate - time.perf_counter()
            if ahead > 0:
                time.sleep(ahead)
    counter[0] = ops


def _run_producer(pool: genpool.Pool, seconds: float, rate: float | None = None) -> float:
    stop, counter = threading.Event(), [0]
    thread = threading.Thread(target=_producer, args=(pool, stop, counter, 7, rate))
    start = time.perf_counter()
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join()
    return counter[0] / (time.perf_counter() - start)


async def _live(seconds: float, rate: float | None = None, *, table: bool = False) -> dict[str, float]:
    pool = genpool.Pool(3, name="live", trackers=("tag",))
    pool.add(0x1000_0000, 1 << 20)
    alone = _run_producer(pool, seconds, rate)
    feed = PoolFeed(pool)
    feed.attach()
    observed = _run_producer(pool, seconds, rate)
    feed.detach()
    # Its undrained queue would keep 65536 events alive through the app's run,
    # and every full garbage collection there would walk them.
    del feed

    app = _BenchApp([pool], remember_theme=False, theme="genpool-dark")
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        if table:
            app.action_owners_table()
            await pilot.pause()
        stop, counter = threading.Event(), [0]
        thread = threading.Thread(target=_producer, args=(pool, stop, counter, 7, rate))
        frames_before = app.frames
        start = time.perf_counter()
        thread.start()
        latencies = await key_latencies(app, lambda: time.perf_counter() - start < seconds)
        stop.set()
        thread.join()
        elapsed = time.perf_counter() - start
        with_app = counter[0] / elapsed
        fps = (app.frames - frames_before) / elapsed
    return {
        "alone": alone,
        "observed": observed,
        "with_app": with_app,
        "fps": fps,
        "key_median_ms": statistics.median(latencies) * 1e3 if latencies else float("nan"),
        "key_max_ms": max(latencies) * 1e3 if latencies else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the results."""
    parser = argparse.ArgumentParser(prog="python -m genpool.tui.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 4 GiB pool, shorter live run")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each live measurement (default 5)")
    parser.add_argument("--repeats", type=int, default=7, help="draws per pool, median taken (default 7)")
    parser.add_argument("--only", choices=("draw", "live", "table", "watch"), help="run one group of cases")
    args = parser.parse_args(argv)
    os.environ.setdefault("GENPOOL_CONFIG_DIR", tempfile.mkdtemp(prefix="genpool-bench-"))
    seconds = 2.0 if args.quick else args.seconds
    if args.only in (None, "draw"):
        _draw_cases(args)
    if args.only in (None, "live"):
        _live_cases(seconds)
    if args.only in (None, "table"):
        _table_cases(args.repeats)
    if args.only == "watch":
        from .bench_watch import watch_case  # it uses this module's workload

        watch_case(seconds)
    elif args.only is None:
        # A viewer is a process of its own (genpool watch).  Run after the cases above in their
        # process, its frames cost 38-162 ms of CPU each instead of 9-10 ms in a fresh one.
        sys.stdout.flush()
        command = [sys.executable, "-m", "genpool.tui.bench", "--only", "watch", "--seconds", str(args.seconds)]
        subprocess.run([*command, *(["--quick"] if args.quick else [])], check=True)
    return 0


def _draw_cases(args: argparse.Namespace) -> None:
    """Draw pools of each size and print the times."""
    cases = [(1 << 20, 3), (256 << 20, 3)] + ([] if args.quick else [(4 << 30, 6)])
    print("drawing, 200x50 terminal, zoomed to fit (median of", args.repeats, "draws)")
    for size, order in cases:
        started = time.perf_counter()
        pool = fragmented_pool(size, order)
        setup = time.perf_counter() - started
        result = asyncio.run(_draw(pool, args.repeats))
        granules = size >> order
        print(
            f"  {size >> 20:>5} MiB order {order} ({granules:>11,} granules, {result['scale']:>6,}/cell): "
            f"rows {result['rows'] * 1e3:6.2f} ms   frame {result['frame'] * 1e3:6.2f} ms   (setup {setup:.1f} s)"
        )


def _live_cases(seconds: float) -> None:
    """Run the app beside a producer thread and print its rates."""
    for rate, with_table in ((None, False), (100_000.0, False), (100_000.0, True)):
        live = asyncio.run(_live(seconds, rate, table=with_table))
        pace = "as fast as it can" if rate is None else f"paced at {rate:,.0f} ops/s"
        opened = ", allocations table open" if with_table else ""
        print(f"live, producer on a 1 MiB order-3 pool, {pace}{opened}, {seconds:g} s each")
        print(f"  producer alone           {live['alone']:>10,.0f} ops/s")
        print(
            f"  with the TUI's observer  {live['observed']:>10,.0f} ops/s  "
            f"({100 * (1 - live['observed'] / live['alone']):.0f}% slower: the pool's own event cost)"
        )
        print(
            f"  with the app running     {live['with_app']:>10,.0f} ops/s  "
            f"({100 * (1 - live['with_app'] / live['alone']):.0f}% slower than alone, "
            f"{100 * (1 - live['with_app'] / live['observed']):.0f}% than observed)"
        )
        print(f"  app frames               {live['fps']:>10.1f} per second")
        print(f"  key press answered in    {live['key_median_ms']:>10.1f} ms median, {live['key_max_ms']:.1f} ms max")


def _table_cases(repeats: int) -> None:
    """Time the allocations table and finding, and print the medians."""
    owned = owned_pool()
    table = asyncio.run(table_timings(owned, repeats))
    print(f"allocations table, {table['rows']:,} allocations (median of {repeats})")
    print(f"  open {table['open']:6.1f} ms   sort {table['sort']:6.1f} ms   group per owner {table['group']:6.1f} ms")
    filters = [name for name in table if name.startswith("filter")]
    print("  " + "   ".join(f"{name} {table[name]:6.1f} ms" for name in filters))
    big = fragmented_pool(256 << 20, 3)
    found = asyncio.run(finding_timings(big, repeats))
    print(f"finding on a 256 MiB order-3 pool (median of {repeats})")
    print(
        f"  go to address {found['goto']:6.1f} ms   next free run >= 64 KiB {found['free_run']:6.1f} ms"
        f"   largest free run {found['largest']:6.1f} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
