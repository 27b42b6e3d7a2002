"""SVG snapshots of the TUI (pytest-textual-snapshot; Textual is pinned in pyproject.toml).

Every snapshot is deterministic: the demo pool is built the same way each
time, the clock is fake, no thread runs, the frame timer never fires,
and call sites show only a file name and line.  After an intended change
of the picture, review and update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import genpool
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


def test_allocations_table(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(160, 48), press=["o", "down", "down"])


def test_allocations_grouped_per_owner(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(160, 48), press=["o", "v", "m"])


def test_allocations_table_at_80x24(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["o"])


def test_zoomed_out_mixed_cell(snap_compare) -> None:
    pool = genpool.Pool(3, name="crowd", trackers=("tag", "callsite"))
    pool.add(0x4000_0000, 4096)
    for index in range(40):
        pool.alloc(8 * (1 + index % 3), owner=("rx", "tx", "dma")[index % 3])
    assert snap_compare(make_app([pool]), terminal_size=(100, 30), press=["minus", "minus", "minus", "right"])


def test_bug_modal_at_80x24(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["D"])


def test_bug_modal_at_160x48(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(160, 48), press=["D"])


def test_go_to_refuses_an_address_outside_the_pool(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(100, 30), press=["g", *"0x40000000", "enter"])


def test_help_scrolled_to_the_legend(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=(160, 48), press=["question_mark", "end"])
