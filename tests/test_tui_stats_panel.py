"""The stats panel keeps its size right while it updates without laying the screen out."""

from __future__ import annotations

import genpool
import pytest
from textual.widgets import Static
from tui_helpers import make_app, tui_config  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.asyncio


def one_chunk_pool() -> genpool.Pool:
    pool = genpool.Pool(3, name="stats")
    pool.add(0x1000_0000, 1 << 16)
    return pool


async def settle(app, pilot) -> None:
    """Frames until the stats scanner has finished (the fake clock makes every scan due)."""
    for _ in range(20):
        app.sync()
        await pilot.pause()


async def test_a_new_chunk_grows_the_chunk_lines() -> None:
    pool = one_chunk_pool()
    app = make_app([pool])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        chunks = app.query_one("#stats-chunks", Static)
        assert chunks.size.height == 2
        pool.add(0x2000_0000, 1 << 16)
        await settle(app, pilot)
        assert chunks.size.height == 3
        assert "0x20000000" in str(chunks.render())


async def test_figures_follow_the_pool_at_a_steady_size() -> None:
    pool = one_chunk_pool()
    app = make_app([pool])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        chunks = app.query_one("#stats-chunks", Static)
        before = str(chunks.render())
        pool.alloc(1 << 15)
        await settle(app, pilot)
        assert str(chunks.render()) != before
        assert "50%" in str(chunks.render())
        assert chunks.size.height == 2
        assert "used     50.0%" in str(app.query_one("#stats-figures", Static).render())
