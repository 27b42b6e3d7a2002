"""The watch and replay bars' text, without an app; the watch benchmark runs."""

from __future__ import annotations

import pytest
from genpool.tui.bench_watch import watch_case
from genpool.tui.connection_bar import describe_connection, producer_text
from genpool.tui.replay_bar import describe_position
from tui_helpers import tui_config  # noqa: F401  (autouse fixture)


def test_the_connection_line_names_the_state_by_glyph_and_word() -> None:
    header = {"pid": 7, "argv": ["prog", "--flag", "a b"]}
    assert producer_text(header) == "pid 7 · prog --flag 'a b'"
    assert producer_text(None) == "no producer yet"
    assert producer_text({"pid": 1, "argv": ["x" * 100]}).endswith("…")
    live = describe_connection("connected", "unix:/s", header, 1234, None)
    assert live == "● live · seq 1,234 · unix:/s · pid 7 · prog --flag 'a b'"
    stale = describe_connection("stale", "unix:/s", header, 5, None)
    assert stale.startswith("◐ STALE · last picture kept (seq 5), waiting for the producer… · unix:/s · pid 7")
    lost = describe_connection("disconnected", "unix:/s", header, 5, "wrong token")
    assert lost.startswith("○ LOST (wrong token) · last picture kept (seq 5), not reconnecting")
    assert describe_connection("connecting", "unix:/s", None, 0, None) == "◌ connecting to unix:/s…"


def test_the_position_line() -> None:
    assert describe_position(True, 1000, 1234, 5678) == "▶ playing · 1,000 ev/s · seq 1,234 / 5,678"
    assert describe_position(False, 1, 1, 2) == "❚❚ paused · 1 ev/s · seq 1 / 2"
    assert (
        describe_position(True, 1_000_000, 5, 9, reached=30_512) == "▶ playing · 30,512 of 1,000,000 ev/s · seq 5 / 9"
    )


def test_the_watch_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    watch_case(0.2, operations=3000)
    printed = capsys.readouterr().out
    assert "3,000 operations" in printed and printed.count("records/s") == 3 and printed.count("frames/s") == 2
