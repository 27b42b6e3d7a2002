"""``genpool watch``: the TUI on a real producer's replicas, driven through Textual's Pilot.

The producer is ``tests/producer.py`` in a subprocess, serving its pools
with ``genpool.watch.serve``; the app watches them through a real
``genpool.watch.connect`` client.
"""

from __future__ import annotations

import os
import signal

import genpool
import genpool.replica
import pytest
from genpool.tui.connection_bar import ConnectionBar
from genpool.tui.watch_app import WatchApp
from replica_helpers import Producer, connected, replica_state, until
from tui_helpers import FakeClock, bitmap, row_text, tui_config  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.asyncio

SIZE = (110, 32)


def watch_app(client: object, address: str) -> WatchApp:
    """The watch app with the test suite's fake clock and slow frame timer (frames are called by hand)."""
    return WatchApp(client, address, clock=FakeClock(), frame_seconds=3600.0, remember_theme=False)  # type: ignore[arg-type]


def shown(app: WatchApp) -> dict[str, object]:
    return replica_state({entry.label: entry.pool for entry in app.entries})


def bar_text(app: WatchApp) -> str:
    return str(app.query_one(ConnectionBar).render())


async def frame(app: WatchApp, pilot: object) -> None:
    """One frame of the app, then let Textual draw it."""
    app.sync()
    await pilot.pause()  # type: ignore[attr-defined]


@pytest.fixture
def address(tmp_path) -> str:
    return f"unix:{tmp_path / 'watch.sock'}"


@pytest.mark.parametrize("transport", ["unix", "tcp"])
async def test_watch_shows_the_producers_pools_live_and_read_only(address: str, transport: str) -> None:
    with Producer(address if transport == "unix" else "127.0.0.1:0") as producer:
        address = producer.address  # over TCP, the port the producer got
        with connected(address) as client:
            await live_and_read_only(producer, client, address)


async def live_and_read_only(producer: Producer, client: object, address: str) -> None:
    """The app shows the producer's pools, follows a burst, and refuses every change."""
    app = watch_app(client, address)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: shown(app) == producer.state(), pilot, "the first snapshot")
        assert [entry.label for entry in app.entries] == ["sram", "ids"]
        assert all(genpool.replica.is_replica(entry.pool) for entry in app.entries)
        text = bar_text(app)
        assert f"pid {producer.process.pid}" in text and "producer.py" in text and "● live" in text
        assert "sram: watching" in app.event_log.text

        producer.run('burst(pools["sram"], 40, 3)')
        expected = producer.state()
        await until(lambda: (app.sync() or shown(app)) == expected, pilot, "the burst")
        await frame(app, pilot)
        assert "sram: alloc" in app.event_log.text or "more events" in app.event_log.text

        pool = app.current.pool
        before = replica_state({"sram": pool})
        for key in ("a", "f", "F", "c", "s", "D", "n"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is app.screen_stack[0], f"{key} opened a form on a replica"
        assert replica_state({"sram": pool}) == before and producer.state() == expected
        assert app.event_log.text.count("read-only") == 7
        assert "sram is a watched pool, read-only: allocating refused" in app.event_log.text

        # What only reads still works: zoom, the next pool, the inspector.
        await pilot.press("minus", "plus", "right_square_bracket")
        assert app.current.label == "ids"
        assert bitmap(app).cell_info() is not None


async def test_a_lost_producer_leaves_the_last_picture_marked_and_a_new_one_is_picked_up(address: str) -> None:
    with Producer(address) as first, connected(address) as client:
        app = watch_app(client, address)
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: shown(app) == first.state(), pilot, "the first snapshot")
            await pilot.press("right_square_bracket")  # select "ids"
            view = bitmap(app)
            view.move_cursor_to(app.current.pool.chunks[0], 17)
            picture = [row_text(view, y) for y in range(6)]
            labels = [entry.label for entry in app.entries]

            first.close()
            await until(lambda: client.status != "connected", pilot, "the client to notice")
            await frame(app, pilot)
            assert app.has_class("-disconnected") or app.has_class("-stale")
            assert "last picture kept" in bar_text(app) and f"pid {first.process.pid}" in bar_text(app)
            assert [entry.label for entry in app.entries] == labels
            assert [row_text(view, y) for y in range(6)] == picture
            assert "connection connected →" in app.event_log.text

            with Producer(address) as second:
                await until(lambda: client.status == "connected", pilot, "the reconnection")
                await until(lambda: (app.sync() or shown(app)) == second.state(), pilot, "the new snapshot")
                await frame(app, pilot)
                assert not app.has_class("-disconnected") and not app.has_class("-stale")
                assert f"pid {second.process.pid}" in bar_text(app) and second.process.pid != first.process.pid
                assert app.current.label == "ids" and view.cursor == (0, 17)
                assert "→ connected" in app.event_log.text
                assert f"producer is now pid {second.process.pid}" in app.event_log.text


async def test_a_silent_producer_shows_stale_and_picks_up_again(address: str) -> None:
    with Producer(address) as producer, connected(address) as client:
        app = watch_app(client, address)
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: shown(app) == producer.state(), pilot, "the first snapshot")
            picture = shown(app)
            os.kill(producer.process.pid, signal.SIGSTOP)  # alive, connected, and saying nothing
            try:
                await until(lambda: client.status == "stale", pilot, "the silence to show")
                await frame(app, pilot)
                assert app.has_class("-stale") and "◐ STALE" in bar_text(app) and "last picture kept" in bar_text(app)
                assert shown(app) == picture
            finally:
                os.kill(producer.process.pid, signal.SIGCONT)
            await until(lambda: client.status == "connected", pilot, "the producer's next word")
            producer.run('burst(pools["ids"], 20, 9)')
            await until(lambda: (app.sync() or shown(app)) == producer.state(), pilot, "the picture to follow")
            await frame(app, pilot)
            assert not app.has_class("-stale") and "● live" in bar_text(app)
            assert "connection stale → connected" in app.event_log.text


async def test_pools_created_and_destroyed_by_the_producer_come_and_go(address: str) -> None:
    with Producer(address) as producer, connected(address) as client:
        app = watch_app(client, address)
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: shown(app) == producer.state(), pilot, "the first snapshot")
            await pilot.press("right_square_bracket")
            producer.run('pools["late"] = genpool.Pool(4, name="late", trackers=("tag",))')
            producer.run('pools["late"].add(0x9000, 4096); pools["late"].alloc(100, owner="new")')
            await until(lambda: (app.sync() or shown(app)) == producer.state(), pilot, "the new pool")
            assert [entry.label for entry in app.entries] == ["sram", "ids", "late"]
            assert app.current.label == "ids"  # the selection survived the new generation
            producer.run('pools["late"].free(0x9000, 100); pools["late"].destroy()')
            await until(lambda: (app.sync() or [e.label for e in app.entries]) == ["sram", "ids"], pilot, "gone")
            assert app.current.label == "ids"
            assert "late: destroyed" in app.event_log.text
