"""The bitmap view's Line API, called directly: what render_line draws, and what it redraws."""

from __future__ import annotations

import genpool
import pytest
from genpool.tui.picture import DENSITY_GLYPHS
from rich.style import Style
from tui_helpers import bitmap, large_pool, make_app, row_text, tui_config  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.asyncio

SIZE = (100, 30)


def cell_style(view, y: int, x: int) -> Style:
    """The style of column ``x`` (inside the view) on visible row ``y``."""
    strip = view.render_line(y)
    position = 0
    for segment in strip:
        if position <= x < position + len(segment.text):
            return segment.style
        position += len(segment.text)
    raise AssertionError(f"no column {x}")


async def test_rows_show_titles_rulers_owners_and_boundaries() -> None:
    app = make_app()
    async with app.run_test(size=SIZE):
        view = bitmap(app)
        assert row_text(view, 0).startswith("0x20000000-0x200003ff · 1 KiB · phys 0x80000000 · 32 granules")
        first = row_text(view, 1)
        # The cursor's row is marked in the ruler (shape, not only colour).
        assert first.startswith("0x20000000 ▶[rrrrrr]■··[]···[ttttt]·[ii]····")
        assert row_text(view, 2).strip() == ""  # spacer between chunks
        assert "no phys" in row_text(view, 3)
        assert row_text(view, 4).startswith("0x10000000 │[ffffffffffffff][rrrrrrrr]···")
        # Neighbours with different owners get different colours, and the same owner the same one.
        label = view.grid.label_width
        rx_ring = cell_style(view, 1, label + 2)
        dma = cell_style(view, 1, label + 8)
        rx_ring_again = cell_style(view, 4, label + 18)
        assert rx_ring.bgcolor != dma.bgcolor
        assert rx_ring.bgcolor == rx_ring_again.bgcolor


async def test_cursor_and_selected_allocation_are_drawn_over_the_cached_row() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = bitmap(app)
        label = view.grid.label_width
        cursor = cell_style(view, 1, label)
        selected = cell_style(view, 1, label + 3)
        assert cursor.bgcolor != selected.bgcolor
        assert selected.underline
        await pilot.press("down")  # into the other chunk: row 1 loses both highlights
        assert not cell_style(view, 1, label + 3).underline
        assert cell_style(view, 4, label + 3).underline  # fw-log is selected now
        assert row_text(view, 1).startswith("0x20000000 │") and row_text(view, 4).startswith("0x10000000 ▶")


async def test_zoomed_out_cells_are_density_glyphs() -> None:
    pool = large_pool()
    app = make_app([pool])
    async with app.run_test(size=SIZE):
        view = bitmap(app)
        scale = view.grid.scale
        assert scale > 1 and view.border_subtitle.endswith("per cell")
        glyphs = set("".join(row_text(view, y)[view.grid.label_width :] for y in range(1, 6)))
        assert glyphs <= set(DENSITY_GLYPHS) | {" "}
        assert {"█", "·"} & glyphs and glyphs & set("░▒▓")
        # One cell checked against a plain count of its block.
        bits = pool.chunks[0].bitmap.to_bytes()
        row = view.grid.row(1)
        for cell in range(5):
            used = bits[cell * scale : (cell + 1) * scale].count(1)
            glyph = row_text(view, 1)[view.grid.label_width + cell]
            assert (glyph == "·") == (used == 0) and (glyph == "█") == (used == scale)
        assert row.first_bit == 0


async def test_only_rows_showing_changed_granules_are_drawn_again() -> None:
    pool = genpool.Pool(3, name="p", trackers=("tag",))
    chunk = pool.add(0x10000, 64 << 10)  # 8192 granules
    app = make_app([pool])
    async with app.run_test(size=SIZE) as pilot:
        view = bitmap(app)
        await pilot.press("equals_sign")
        for y in range(view.scrollable_content_region.height):
            view.render_line(y)
        drawn = view.rows_drawn
        for y in range(view.scrollable_content_region.height):
            view.render_line(y)
        assert view.rows_drawn == drawn  # every row came from the cache
        pool.alloc(8, owner="one")  # one granule, on the first cell row
        app.sync()
        for y in range(view.scrollable_content_region.height):
            view.render_line(y)
        assert view.rows_drawn - drawn == 2  # the chunk's title row and the row holding the granule
        assert view.grid.scale >= 1 and chunk.avail == (64 << 10) - 8


async def test_a_pool_without_trackers_draws_used_runs() -> None:
    pool = genpool.Pool(5, name="plain")
    pool.add(0, 1024)
    pool.alloc(64)
    pool.alloc(32)
    app = make_app([pool])
    async with app.run_test(size=SIZE):
        view = bitmap(app)
        assert row_text(view, 1).startswith("0x00000000 ▶███·····")
        assert "no tracker" in str(app.inspector.render())
