"""SVG snapshots of the TUI (pytest-textual-snapshot; Textual is pinned in pyproject.toml).

Every snapshot is deterministic: the demo pool is built the same way each
time, the clock is fake, no thread runs, the frame timer never fires,
and call sites show only a file name and line.  After an intended change
of the picture, review and update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import pytest
from textual.widgets import Select
from tui_helpers import large_pool, make_app, tui_config  # noqa: F401  (autouse fixture)


def test_main_screen(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_main_screen_wide(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(130, 36), press=["down", "right", "right"])


def test_zoomed_out_large_pool(snap_compare) -> None:
    assert snap_compare(make_app([large_pool()]), terminal_size=(100, 30))


def test_bug_modal(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(100, 34), press=["D"])


def test_allocate_form(snap_compare) -> None:
    async def choose_aligned(pilot) -> None:
        await pilot.press("a")
        pilot.app.screen.query_one("#f-algorithm", Select).value = "first_fit_align"
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=choose_aligned)


def test_help_screen(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(100, 40), press=["question_mark"])


@pytest.mark.parametrize("theme", ["genpool-dark", "genpool-light", "genpool-high-contrast", "genpool-colorblind"])
def test_theme(snap_compare, theme: str) -> None:
    assert snap_compare(make_app(theme=theme, remember_theme=False), terminal_size=(80, 24))
