"""Shared pieces of the TUI tests: a deterministic app, a fake clock, pools to draw.

Every TUI test runs with ``GENPOOL_CONFIG_DIR`` pointing at a fresh
temporary directory (the ``tui_config`` fixture), so no test reads or
writes the settings of the person running them.
"""

from __future__ import annotations

from pathlib import Path

import genpool
import pytest
from genpool.tui.app import GenpoolApp
from genpool.tui.bitmap_view import BitmapView
from genpool.tui.demo import build_demo_pool


class FakeClock:
    """A clock that moves one second on every reading: time never depends on the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture(autouse=True)
def tui_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private settings directory for the test."""
    directory = tmp_path / "config"
    monkeypatch.setenv("GENPOOL_CONFIG_DIR", str(directory))
    return directory


def make_app(pools: list[genpool.Pool] | None = None, **options: object) -> GenpoolApp:
    """The app on ``pools`` (the demo by default), with a fake clock and a slow frame timer."""
    options.setdefault("clock", FakeClock())
    options.setdefault("frame_seconds", 3600.0)
    return GenpoolApp([build_demo_pool()] if pools is None else pools, **options)  # type: ignore[arg-type]


def bitmap(app: GenpoolApp) -> BitmapView:
    """The app's bitmap view."""
    return app.query_one("#bitmap", BitmapView)


def row_text(view: BitmapView, y: int) -> str:
    """The text of visible row ``y`` of the bitmap, as render_line draws it."""
    return view.render_line(y).text


def large_pool(size: int = 16 << 20, order: int = 3) -> genpool.Pool:
    """A pool of one big chunk with a deterministic, uneven fill (no trackers)."""
    pool = genpool.Pool(order, name="big")
    pool.add(0x4000_0000, size)
    granule = 1 << order
    step = 0
    addresses = []
    while pool.avail > size // 3:
        length = (step * 37 % 61 + 1) * granule * 16
        try:
            addresses.append((pool.alloc(length), length))
        except genpool.NoSpace:
            break
        step += 1
    for index, (addr, length) in enumerate(addresses):
        if index % 3 == 0 or (index // 50) % 4 == 1:
            pool.free(addr, length)
    return pool
