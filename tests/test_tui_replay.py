"""``genpool replay``: the TUI on a recorded trace, its controls driven through Textual's Pilot.

The trace is recorded from ``tests/producer.py`` in a subprocess
(``GENPOOL_TRACE``), so its pools and ``seq`` numbers are the same every
run; every position the app shows is checked against
``Trace.replay(upto_seq=...)`` of the same trace.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import genpool.trace
import pytest
from genpool.tui.goto_form import GotoScreen
from genpool.tui.loading_screen import LoadingScreen
from genpool.tui.replay_app import MAX_RECORDS_PER_FRAME, SPEEDS, ReplayApp
from genpool.tui.replay_bar import Scrubber
from replica_helpers import recorded, replica_state, until
from textual.widgets import Input, Label, ProgressBar
from tui_helpers import FakeClock, bitmap, tui_config  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.asyncio

SIZE = (110, 32)


@pytest.fixture(scope="module")
def trace_path(tmp_path_factory) -> Path:
    """A trace of producer.py: two pools filled, a burst, a BUG (double free), a pool made and destroyed."""
    return recorded(
        tmp_path_factory.mktemp("trace") / "producer.jsonl",
        'burst(pools["sram"], 40, 3)',
        'double_free(pools["ids"])',
        'late = genpool.Pool(4, name="late", trackers=("tag",)); late.add(0x9000, 4096)',
        'a = late.alloc(100, owner="new"); late.free(a, 100); late.destroy()',
        'burst(pools["ids"], 30, 4)',
    )


def opened(path: Path, at: str | None = None) -> tuple[genpool.trace.Trace, genpool.trace.Player]:
    """The trace at ``path`` and a player on it, at its ``"first"`` or ``"last"`` seq (or where it starts)."""
    trace = genpool.trace.read(path)
    player = trace.player()
    if at is not None:
        player.seek(player.first_seq if at == "first" else player.last_seq)
    return trace, player


def replay_app(player: object = None, **options: object) -> ReplayApp:
    options.setdefault("clock", FakeClock())
    return ReplayApp(player, frame_seconds=3600.0, remember_theme=False, **options)  # type: ignore[arg-type]


def shown(app: ReplayApp) -> dict[str, object]:
    return replica_state({entry.label: entry.pool for entry in app.entries})


def expected(trace: genpool.trace.Trace, seq: int) -> dict[str, object]:
    replicas = trace.replay(upto_seq=seq)
    return replica_state({pool.name: pool for pool in replicas.pools.values()})


def state_line(app: ReplayApp) -> str:
    return str(app.query_one("#replay-state", Label).render())


async def test_step_forward_and_back_show_exactly_the_trace_at_each_seq(trace_path: Path) -> None:
    trace, player = opened(trace_path, "first")
    app = replay_app(player)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert shown(app) == expected(trace, player.first_seq)
        assert state_line(app).startswith("❚❚ paused · 100 ev/s · seq")
        seqs = [player.seq]
        for _ in range(5):
            await pilot.press("right_curly_bracket")
            seqs.append(player.seq)
            assert shown(app) == expected(trace, player.seq)
        assert seqs == sorted(set(seqs)), seqs
        assert f"seq {player.seq:,} / {player.last_seq:,}" in state_line(app)
        for back in reversed(seqs[:-1]):
            await pilot.press("left_curly_bracket")
            assert player.seq == back
            assert shown(app) == expected(trace, back)
            assert app.event_log.text.endswith(f"back to seq {back:,}")
        await pilot.press("left_curly_bracket")  # nothing before the first seq: a notice, no move
        assert player.seq == seqs[0]


async def test_play_pause_speed_and_the_end_of_the_trace(trace_path: Path) -> None:
    trace, player = opened(trace_path, "first")
    app = replay_app(player)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("left_parenthesis", "left_parenthesis")
        assert app.speed == 1
        await pilot.press("right_parenthesis", "right_parenthesis", "right_parenthesis")
        assert app.speed == 1000
        for _ in range(len(SPEEDS)):
            await pilot.press("right_parenthesis")
        assert app.speed == SPEEDS[-1]
        await pilot.press(
            "left_parenthesis", "left_parenthesis", "left_parenthesis", "left_parenthesis", "left_parenthesis"
        )
        assert app.speed == 10
        await pilot.press("space")
        assert app.playing and state_line(app).startswith("▶ playing · 10 ev/s")
        start = player.seq
        app.sync()  # the fake clock moved a second; a late frame plays half a second (5 records) at most
        assert player.seq == start + 5  # this trace's records have consecutive seqs
        assert shown(app) == expected(trace, player.seq)
        await pilot.press("space")
        assert not app.playing
        paused_at = player.seq
        app.sync()
        assert player.seq == paused_at
        await pilot.press("right_parenthesis", "right_parenthesis", "right_parenthesis", "space")
        for _ in range(100):
            if not app.playing:
                break
            app.sync()
        assert not app.playing and player.seq == player.last_seq
        assert "end of the trace" in app.event_log.text
        assert shown(app) == expected(trace, player.last_seq)
        await pilot.press("space")  # at the end: play again from the start
        assert app.playing and player.seq == player.first_seq
        assert "playing again from the start" in app.event_log.text


async def test_go_to_a_seq_refuses_one_outside_the_trace_in_place(trace_path: Path) -> None:
    trace, player = opened(trace_path)
    app = replay_app(player)
    async with app.run_test(size=SIZE) as pilot:
        middle = (player.first_seq + player.last_seq) // 2
        seq_before = player.seq
        for text, message in (("abc", "not a number"), (str(player.last_seq + 1), "seq must be in")):
            await pilot.press("t")
            form = app.screen
            assert isinstance(form, GotoScreen)
            form.query_one("#f-seq", Input).value = text
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is form and message in str(form.query_one("#form-error", Label).render())
            await pilot.press("escape")
        assert player.seq == seq_before
        await pilot.press("t")
        app.screen.query_one("#f-seq", Input).value = str(middle)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, GotoScreen)
        assert player.seq <= middle and shown(app) == expected(trace, player.seq)
        assert f"went to seq {player.seq:,}" in app.event_log.text


async def test_the_scrubber_seeks_by_click_and_keys_and_keeps_the_selection(trace_path: Path) -> None:
    trace, player = opened(trace_path, "last")
    app = replay_app(player)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("right_square_bracket")
        assert app.current.label == "ids"
        view = bitmap(app)
        view.move_cursor_to(app.current.pool.chunks[0], 17)
        await pilot.click("#scrubber", offset=(30, 0))
        await pilot.pause()
        assert player.seq < player.last_seq and shown(app) == expected(trace, player.seq)
        assert app.current.label == "ids" and view.cursor == (0, 17)
        assert app.current.pool in player.replicas.pools.values()  # bound to the player's pools, old or new
        app.query_one(Scrubber).focus()
        await pilot.press("end")
        assert player.seq == player.last_seq
        await pilot.press("home")
        assert player.seq == player.first_seq
        assert app.current is None and bitmap(app).border_title == "no pool at this point"
        await pilot.press("right")
        assert player.first_seq < player.seq and shown(app) == expected(trace, player.seq)
        assert app.current.label == "sram"  # "ids" does not exist yet
        await pilot.press("end")
        assert app.current.label == "ids" and view.cursor == (0, 17)  # picked again when it is back


async def test_a_replayed_pool_is_read_only_and_can_be_inspected(trace_path: Path, tmp_path: Path) -> None:
    trace, player = opened(trace_path, "last")
    app = replay_app(player, screenshot_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = shown(app)
        await pilot.press("a", "D", "f", "F", "c", "s", "n")
        await pilot.pause()
        assert shown(app) == before and app.screen is app.screen_stack[0]
        assert app.event_log.text.count("is a replayed pool, read-only") == 7
        await pilot.press("minus", "ctrl+s")
        assert bitmap(app).zoom is not None and list(tmp_path.glob("*.svg"))
        info = bitmap(app).cell_info()
        assert info is not None and info.pool is app.current.pool


async def test_a_fast_speed_never_takes_a_frame_for_more_than_a_batch(tmp_path: Path) -> None:
    player = genpool.trace.read(recorded(tmp_path / "long.jsonl", 'burst(pools["ids"], 6000, 5)')).player()
    app = replay_app(player)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(len(SPEEDS)):
            await pilot.press("right_parenthesis")
        await pilot.press("space")
        start = player.seq
        app.sync()  # half a second at a million records a second: capped
        assert player.seq - start == MAX_RECORDS_PER_FRAME
        app.sync()
        assert player.seq - start == 2 * MAX_RECORDS_PER_FRAME  # no backlog carried over
        # Far short of a million a second (the fake clock moves a second at every reading): the bar says so.
        assert app.reached is not None and app.reached < 1_000_000
        assert state_line(app).startswith(f"▶ playing · {app.reached:,} of 1,000,000 ev/s")


async def test_a_trace_loads_behind_a_progress_bar(trace_path: Path) -> None:
    release = threading.Event()

    def slow_read(path: Path, *, progress) -> genpool.trace.Trace:
        progress(50, 200)
        assert release.wait(20)
        return genpool.trace.read(path, progress=progress)

    app = replay_app(path=trace_path, read=slow_read)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: isinstance(app.screen, LoadingScreen), pilot, "the loading screen")
        bar = app.screen.query_one(ProgressBar)
        await until(lambda: bar.progress == 50 and bar.total == 200, pilot, "the first progress")
        assert app.player is None
        release.set()
        await until(lambda: app.player is not None, pilot, "the trace")
        await pilot.pause()
        assert not isinstance(app.screen, LoadingScreen)
        assert [entry.label for entry in app.entries] == ["sram", "ids"]  # shown at the end of the trace
        assert app.player.seq == app.player.last_seq
        assert f"trace {trace_path}" in app.event_log.text


async def test_a_trace_corrupt_part_way_shows_what_came_before_the_bad_line(trace_path: Path, tmp_path: Path) -> None:
    lines = trace_path.read_text().splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(lines[:60]) + "{not json\n" + "".join(lines[60:]))
    app = replay_app(path=bad)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.player is not None, pilot, "the partial trace")
        await pilot.pause()
        assert app.failure is not None and "\n" not in app.failure
        assert "bad.jsonl" in app.failure and "61" in app.failure
        assert "CORRUPT TRACE" in app.title and "CORRUPT: " in app.event_log.text
        assert app.player.last_seq == json.loads(lines[59])["seq"]  # the last good line
        assert shown(app) == expected(genpool.trace.read(trace_path), app.player.last_seq)


@pytest.mark.parametrize(("text", "code"), [("SSH-2.0-OpenSSH_9.2\n", 1), ('{"type": "header"}\n', 1)])
async def test_a_file_that_is_no_trace_ends_the_app_with_one_line(tmp_path: Path, text: str, code: int) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(text)
    app = replay_app(path=bad)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.failure is not None, pilot, "the failure")
    assert app.return_code == code
    assert "\n" not in app.failure and "not a genpool" in app.failure and "bad.jsonl" in app.failure


async def test_the_command_palette_has_the_replay_controls(trace_path: Path) -> None:
    trace, player = opened(trace_path, "first")
    app = replay_app(player)
    async with app.run_test(size=SIZE) as pilot:
        start = player.seq
        await pilot.press("ctrl+p")
        await pilot.press(*"Replay: step forward")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert player.seq > start and shown(app) == expected(trace, player.seq)
        await pilot.press("ctrl+p")
        await pilot.press(*"Replay: go to")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GotoScreen)
