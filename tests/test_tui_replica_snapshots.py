"""SVG snapshots of ``genpool watch`` and ``genpool replay`` (pytest-textual-snapshot).

The producer and the trace come from ``tests/producer.py`` in a fresh
process, so pools and ``seq`` numbers are the same every run; what
varies from run to run (the producer's pid and argv, socket paths, the
reason a connection dropped) is fixed by :class:`replica_helpers.Shown`.
The clock is fake and the frame timer never fires.  Review and update
with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import time
from pathlib import Path

import genpool.trace
import pytest
from genpool.tui.replay_app import ReplayApp
from genpool.tui.watch_app import WatchApp
from replica_helpers import PATIENCE, Producer, Shown, connected, recorded, replica_state
from tui_helpers import FakeClock, tui_config  # noqa: F401  (autouse fixture)

SIZE = (110, 32)
HEADER = {"pid": 4242, "argv": ["./driver-model", "--sram", "64K"]}
SHOWN_ADDRESS = "unix:/run/driver-model.sock"


def wait(condition, what: str) -> None:
    """Wait (bounded) for the client's thread, before the app exists (so no frame depends on timing)."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def watched(tmp_path: Path):
    """A real producer and a client holding the same picture as it."""
    address = f"unix:{tmp_path / 'w.sock'}"
    with Producer(address) as producer, connected(address) as client:
        expected = producer.state()
        wait(
            lambda: replica_state({pool.name: pool for pool in client.pools.values()}) == expected, "the first snapshot"
        )
        yield producer, client


def test_watch_live(snap_compare, watched) -> None:
    _, client = watched
    app = WatchApp(Shown(client, HEADER), SHOWN_ADDRESS, clock=FakeClock(), frame_seconds=3600.0, remember_theme=False)
    assert snap_compare(app, terminal_size=SIZE)


def test_watch_lost_producer_keeps_the_last_picture(snap_compare, watched) -> None:
    producer, client = watched
    shown = Shown(client, HEADER)
    app = WatchApp(shown, SHOWN_ADDRESS, clock=FakeClock(), frame_seconds=3600.0, remember_theme=False)

    async def lose_the_producer(pilot) -> None:
        await pilot.pause()
        producer.close()
        wait(lambda: client.status == "stale", "the client to notice")
        shown.error = "the producer closed the connection"
        app.sync()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=lose_the_producer)


@pytest.fixture(scope="module")
def trace_path(tmp_path_factory) -> Path:
    return recorded(
        tmp_path_factory.mktemp("snap") / "producer.jsonl", 'burst(pools["sram"], 40, 3)', 'double_free(pools["ids"])'
    )


def test_replay_stepped_back(snap_compare, trace_path: Path) -> None:
    player = genpool.trace.read(trace_path).player()
    player.seek(player.last_seq)
    app = ReplayApp(player, clock=FakeClock(), frame_seconds=3600.0, remember_theme=False)
    assert snap_compare(
        app,
        terminal_size=SIZE,
        press=["left_curly_bracket", "left_curly_bracket", "left_curly_bracket", "right_parenthesis"],
    )
