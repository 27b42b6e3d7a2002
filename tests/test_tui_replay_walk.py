"""Any walk through a trace in the replay app shows exactly the trace at each step (hypothesis).

The reference model is ``Trace.replay(upto_seq)``: after any sequence of
steps, seeks and pool changes, the pools the app shows equal a fresh
replay up to the player's ``seq``, and the pool the user picked is shown
whenever it exists at that point.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import genpool.trace
import pytest
from genpool.tui.replay_app import ReplayApp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from replica_helpers import recorded, replica_state
from tui_helpers import FakeClock, tui_config  # noqa: F401  (autouse fixture)

MOVES = st.lists(
    st.one_of(
        st.tuples(st.just("step"), st.integers(-60, 60).filter(bool)),
        st.tuples(st.just("seek"), st.floats(0, 1)),
        st.tuples(st.just("next pool"), st.just(0)),
    ),
    max_size=10,
)


@pytest.fixture(scope="module")
def trace(tmp_path_factory) -> genpool.trace.Trace:
    path: Path = recorded(
        tmp_path_factory.mktemp("walk") / "walk.jsonl",
        'burst(pools["sram"], 50, 3)',
        'late = genpool.Pool(4, name="late", trackers=("tag",)); late.add(0x9000, 4096)',
        'a = late.alloc(100, owner="new"); burst(pools["ids"], 30, 4); late.free(a, 100); late.destroy()',
        'double_free(pools["ids"])',
    )
    return genpool.trace.read(path)


def shown(app: ReplayApp) -> dict[str, object]:
    return replica_state({entry.label: entry.pool for entry in app.entries})


def expected(trace: genpool.trace.Trace, seq: int) -> dict[str, object]:
    return replica_state({pool.name: pool for pool in trace.replay(upto_seq=seq).pools.values()})


async def walk(trace: genpool.trace.Trace, moves: list[tuple[str, float]]) -> None:
    player = trace.player()
    player.seek(player.last_seq)
    app = ReplayApp(player, clock=FakeClock(), frame_seconds=3600.0, remember_theme=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        wanted = app.current.label
        for move, amount in moves:
            if move == "step":
                app.action_step(int(amount))
            elif move == "seek":
                app.seek(player.first_seq + round((player.last_seq - player.first_seq) * amount))
            else:
                app.action_next_pool()
                wanted = app.current.label if app.current is not None else wanted
            await pilot.pause()
            assert shown(app) == expected(trace, player.seq), (move, amount, player.seq)
            labels = [entry.label for entry in app.entries]
            if wanted in labels:
                assert app.current is not None and app.current.label == wanted, (move, amount, labels)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=MOVES)
def test_any_walk_shows_exactly_the_trace_and_keeps_the_picked_pool(trace: genpool.trace.Trace, moves) -> None:
    asyncio.run(walk(trace, moves))
