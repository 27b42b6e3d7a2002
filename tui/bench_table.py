"""Benchmarks of the instrument parts of the TUI: the allocations table and finding.

Run through ``python -m genpool.tui.bench``, which prints these with the
drawing and live figures.  Each figure is the median of several runs in
a headless app at 200x50, the work timed as a person waits for it: the
answer computed and the visible rows drawn.

*Table*: a pool with 100,000 outstanding allocations (``tag`` and
``callsite`` trackers): opening the table, sorting it by size, filtering
it (the first keystroke on a fresh snapshot, and a later one), grouping
it per owner.  *Finding*: on a 256 MiB
order-3 pool (33.5 M granules, fragmented): go to an address, the next
free run of at least 64 KiB, the largest free run.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

import genpool

from . import finder
from .app import GenpoolApp

__all__ = ["FIRST_KEYSTROKES", "finding_timings", "owned_pool", "table_timings"]

#: Filters timed on a fresh snapshot of the table: typed first, or pasted whole.
FIRST_KEYSTROKES = {
    "first 'd'": "d",
    "first '3'": "3",
    "pasted 'driver3'": "driver3",
    "pasted '0 driver3'": "0 driver3",
}


def owned_pool(count: int = 100_000) -> genpool.Pool:
    """A pool holding ``count`` small allocations of 37 owners, all allocated from one call site."""
    pool = genpool.Pool(3, name="owned", trackers=("tag", "callsite"))
    pool.add(0x1_0000_0000, max(1 << 20, count * 64))
    for index in range(count):
        pool.alloc(16 + (index % 5) * 8, owner=f"driver{index % 37}")
    return pool


def _median_ms(repeats: int, setup: Callable[[], object] | None, func: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        if setup is not None:
            setup()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _draw(widget: object) -> None:
    """Draw every visible line of a Line-API widget, as a frame would."""
    height = widget.scrollable_content_region.height  # type: ignore[attr-defined]
    for y in range(height):
        widget.render_line(y)  # type: ignore[attr-defined]


async def table_timings(pool: genpool.Pool, repeats: int) -> dict[str, float]:
    """Milliseconds to open, sort, filter and group the table of ``pool`` (medians).

    The filter keys are ``filter`` plus a name of :data:`FIRST_KEYSTROKES`,
    and ``filter later`` (the next keystroke of a filter already typed).
    """
    app = GenpoolApp([pool], remember_theme=False, theme="genpool-dark", frame_seconds=3600)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        panel = app.owners_panel

        def close() -> None:
            if app.table_open:
                app.action_owners_table()

        def open_table() -> None:
            app.action_owners_table()
            _draw(panel.view)

        result = {"open": _median_ms(repeats, close, open_table)}
        await pilot.pause()
        if not app.table_open:  # the cases below would time a hidden table
            raise RuntimeError("the allocations table did not stay open")

        def sort() -> None:
            panel.action_sort(1)
            _draw(panel.view)

        def fresh_snapshot() -> None:
            # A new ledger, as the live table takes twice a second: nothing of an earlier filter kept.
            panel.filter_text = ""
            app.load_table()

        def typed(text: str) -> Callable[[], None]:
            def keystroke() -> None:
                panel.filter_text = text
                panel._show()
                _draw(panel.view)

            return keystroke

        def group() -> None:
            panel.grouping = "owner"
            panel._show()
            _draw(panel.view)
            panel.grouping = "allocations"

        result["sort"] = _median_ms(repeats, None, sort)
        # "d" is in every owner (the whole table stays), "3" in some owners and addresses.
        for name, text in FIRST_KEYSTROKES.items():
            result[f"filter {name}"] = _median_ms(repeats, fresh_snapshot, typed(text))
        result["filter later"] = _median_ms(repeats, typed("driver"), typed("driver3"))
        panel.filter_text = ""
        result["group"] = _median_ms(repeats, None, group)
        result["rows"] = len(panel.ledger.rows) if panel.ledger is not None else 0
    return result


async def finding_timings(pool: genpool.Pool, repeats: int, seed: int = 3) -> dict[str, float]:
    """Milliseconds to go to an address, find the next 64 KiB free run and the largest one (medians)."""
    rng = random.Random(seed)
    app = GenpoolApp([pool], remember_theme=False, theme="genpool-dark", frame_seconds=3600)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        view = app.view
        chunk = pool.chunks[0]

        def goto() -> None:
            addr = chunk.start_addr + rng.randrange(chunk.size)
            view.put_cursor(finder.locate_address(pool, view.grid.chunks, hex(addr)))
            _draw(view)

        def free_run() -> None:
            view.put_cursor((0, rng.randrange(chunk.nbits // 2)))
            app.free_run_bytes = 64 << 10
            app.action_next_free_run(1)
            _draw(view)

        def largest() -> None:
            app.action_largest_free_run()
            _draw(view)

        result = {
            "goto": _median_ms(repeats, None, goto),
            "free_run": _median_ms(repeats, None, free_run),
            "largest": _median_ms(repeats, None, largest),
        }
    return result
