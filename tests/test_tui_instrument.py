"""The TUI as a debugging instrument, driven through Pilot: the table, finding, zoomed-out truth, the log."""

from __future__ import annotations

import json

import genpool
import pytest
from genpool.tui.bug_screen import BugScreen
from genpool.tui.event_log import EventLog
from genpool.tui.find_forms import FindOwnerScreen, FreeRunSizeScreen, GoToScreen
from genpool.tui.free_choice import FreeChoiceScreen
from genpool.tui.help_screen import HelpScreen
from genpool.tui.inspector import Inspector
from genpool.tui.log_filter import LogFilterScreen
from genpool.tui.owners_panel import OwnersPanel
from genpool.tui.painter import MIXED_GLYPH
from textual.containers import VerticalScroll
from textual.widgets import Input, Label, Select
from textual.widgets._footer import FooterKey
from tui_helpers import bitmap, make_app, row_text, tui_config  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.asyncio

SIZE = (120, 36)
SMALL = (80, 24)


def picture(pool: genpool.Pool) -> list[bytes]:
    """Everything that says what a pool holds, to show an action changed nothing."""
    return [chunk.bitmap.to_bytes() for chunk in pool.chunks] + [repr(pool.allocations()).encode()]


def panel(app) -> OwnersPanel:
    return app.query_one("#owners", OwnersPanel)


def inspector_text(app) -> str:
    return str(app.query_one("#inspector", Inspector).render())


def status(app) -> str:
    return str(app.query_one("#owners-status").render())


def crowded_pool() -> genpool.Pool:
    """Small allocations of three owners packed together, so a zoomed-out cell holds several."""
    pool = genpool.Pool(3, name="crowd", trackers=("tag", "callsite"))
    pool.add(0x4000_0000, 4096)
    for index in range(40):
        pool.alloc(8 * (1 + index % 3), owner=("rx", "tx", "dma")[index % 3])
    return pool


# -- the allocations and owners table ------------------------------------------------


@pytest.mark.parametrize("size", [SIZE, SMALL])
async def test_table_lists_allocations_and_moves_the_bitmap_cursor(size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        pool = app.current.pool
        before = picture(pool)
        await pilot.press("o")
        table = panel(app).view
        assert app.table_open and table.has_focus
        assert len(table.rows) == 8 and "8 of 8 allocations" in status(app)
        await pilot.press("down", "down")
        address = table.row[0]
        chunk = pool.chunk_of(address)
        view = bitmap(app)
        assert view.grid.chunks[view.cursor[0]] is chunk
        assert chunk.address_of(view.cursor[1]) == address
        assert f"{address:#x}" in inspector_text(app)
        await pilot.press("escape")
        assert not app.table_open and view.has_focus
        assert picture(pool) == before


@pytest.mark.parametrize("size", [SIZE, (100, 30)])
async def test_table_opens_on_the_allocation_under_the_cursor(size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        pool = app.current.pool
        view = bitmap(app)
        target = max(pool.allocations(), key=lambda allocation: allocation.addr)
        view.move_cursor_to(pool.chunk_of(target.addr), (target.addr - pool.chunk_of(target.addr).start_addr) >> 5)
        await pilot.pause()
        cursor = view.cursor
        await pilot.press("o")
        await pilot.pause()
        table = panel(app).view
        assert table.row[0] == target.addr and table.cursor > 0
        assert view.cursor == cursor  # the cursor stays, on the highlighted allocation
        # The highlighted row is in view, however small the table.
        top = round(table.scroll_y)
        assert top <= table.cursor < top + table.scrollable_content_region.height - 1
        await pilot.press("escape")
        # On a free cell the table keeps the row it had and the cursor stays where it was.
        free_chunk = pool.chunks[0]
        free_bit = free_chunk.bitmap.find_next_zero_bit(free_chunk.nbits, 0)
        view.move_cursor_to(free_chunk, free_bit)
        await pilot.pause()
        cursor = view.cursor
        await pilot.press("o")
        assert table.row[0] == target.addr and view.cursor == cursor


async def test_grouped_views_sort_filter_and_growth_since_the_mark() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        await pilot.press("o", "v")
        table = panel(app).view
        assert panel(app).table.columns[0] == "owner"
        assert [row[0] for row in table.rows][:2] == ["rx-ring", "fw-log"]  # by bytes, most first
        await pilot.press("m")
        pool.alloc(96, owner="leaky")
        pool.alloc(32, owner="rx-ring")
        app.sync()  # the frame timer's work: the table follows the pool
        growth = {row[0]: row[4] for row in table.rows}
        assert growth["leaky"] == 96 and growth["rx-ring"] == 32 and growth["dma"] == 0
        assert "growth since mark" in status(app)
        await pilot.press("5")  # sort by growth, then reversed
        assert table.rows[0][0] == "dma" or table.rows[0][4] <= table.rows[-1][4]
        await pilot.press("5")
        assert table.rows[0][0] == "leaky"
        await pilot.press("v")
        assert panel(app).table.columns[0] == "call site"
        assert all(row[0].startswith(("demo.py:", "test_tui_instrument.py:")) for row in table.rows)
        await pilot.press("v", "slash")
        assert app.focused is app.query_one("#owners-filter", Input)
        await pilot.press(*"rx-r")
        assert {row[2] for row in table.rows} == {"rx-ring"} and len(table.rows) == 3
        await pilot.press("enter", "2")
        sizes = [row[1] for row in table.rows]
        assert sizes == sorted(sizes)


async def test_table_closes_when_its_last_pool_is_destroyed() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o", "D")
        await pilot.click("#bug-free-all")
        await pilot.pause()
        assert app.current is None and not app.table_open


async def test_export_as_csv_and_json(tmp_path) -> None:
    app = make_app(screenshot_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o", "x", "v", "j")
        (csv_file,) = tmp_path.glob("genpool-sram-allocations-*.csv")
        assert csv_file.read_text().splitlines()[0] == "address,size,owner,call site,age"
        assert len(csv_file.read_text().splitlines()) == 9
        (json_file,) = tmp_path.glob("genpool-sram-owner-*.json")
        document = json.loads(json_file.read_text())
        assert document["view"] == "owner" and {row["owner"] for row in document["rows"]} >= {"rx-ring", "dma"}


async def test_table_of_a_pool_without_trackers_shows_runs_and_says_why() -> None:
    pool = genpool.Pool(5, name="plain")
    pool.add(0, 1024)
    pool.alloc(64)
    pool.alloc(32)
    app = make_app([pool])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        assert "runs of allocated granules (owners need a tracker)" in status(app)
        assert [row[:2] for row in panel(app).view.rows] == [(0, 96)]
        await pilot.press("v")
        assert panel(app).table.grouping == "allocations"
        assert any("need a tracker" in str(n.message) for n in app._notifications)


async def test_table_ages_count_events_since_watching() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        new = pool.alloc(32, owner="fresh")
        pool.alloc(32, owner="later")
        app.sync()
        await pilot.press("o")
        ledger = panel(app).ledger
        ages = {row[0]: ledger.age(row[4]) for row in panel(app).view.rows}
        assert ages[new] == 1  # one event since
        rendered = panel(app).view.render_line(1).text
        assert "before" in rendered  # the demo's allocations predate the TUI


# -- finding things ------------------------------------------------------------------


@pytest.mark.parametrize("size", [SIZE, SMALL])
async def test_go_to_an_address_and_refuse_one_outside(size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        view = bitmap(app)
        await pilot.press("g")
        form = app.screen
        assert isinstance(form, GoToScreen)
        await pilot.press(*"0x10000610", "enter")
        assert not isinstance(app.screen, GoToScreen)
        chunk = view.grid.chunks[view.cursor[0]]
        assert chunk.address_of(view.cursor[1]) == 0x10000600 + 0x10 // 32 * 32
        assert "mbox" in inspector_text(app)
        await pilot.press("g", *"0x30000000", "enter")
        error = str(app.screen.query_one("#form-error", Label).render())
        assert "0x30000000 is outside the pool (chunks: 0x20000000-0x200003ff, 0x10000000-0x10000fff)" in error
        await pilot.press("escape")
        await pilot.press("g", *str(0x20000100), "enter")
        assert view.grid.chunks[view.cursor[0]].address_of(view.cursor[1]) == 0x20000100


async def test_next_and_previous_allocation_and_free_run() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = bitmap(app)

        def address() -> int:
            return view.grid.chunks[view.cursor[0]].address_of(view.cursor[1])

        seen = [address()]
        for _ in range(7):
            await pilot.press("full_stop")
            seen.append(address())
        assert seen == [a.addr for a in sorted(app.current.pool.allocations(), key=lambda r: -r.chunk.start_addr)]
        await pilot.press("full_stop")  # nothing after the last
        assert address() == seen[-1]
        await pilot.press("comma")
        assert address() == seen[-2]
        await pilot.press("g", *"0x20000000", "enter", "greater_than_sign")
        assert address() == 0x20000120  # the first free run after the rx-ring: the freed scratch hole
        await pilot.press("N")
        assert isinstance(app.screen, FreeRunSizeScreen)
        form_input = app.screen.query_one("#f-run-size", Input)
        form_input.value = "1K"
        await pilot.press("enter")
        await pilot.press("g", *"0x20000000", "enter", "greater_than_sign")
        assert address() == 0x10000640  # the only free run of 1 KiB or more
        await pilot.press("less_than_sign")
        assert address() == 0x10000640  # none before it
        await pilot.press("g", *"0x20000000", "enter", "L")
        assert address() == 0x10000640  # 2,496 bytes


async def test_find_by_owner() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = bitmap(app)
        await pilot.press("slash")
        assert isinstance(app.screen, FindOwnerScreen)
        await pilot.press(*"rx", "enter")
        first = view.cursor
        assert "rx-ring" in inspector_text(app)
        await pilot.press("slash")
        assert app.screen.query_one("#f-owner", Input).value == "rx"
        await pilot.press("enter")
        assert view.cursor != first and "rx-ring" in inspector_text(app)
        await pilot.press("slash", "ctrl+u", *"nobody", "enter")
        assert "no allocation's owner contains 'nobody'" in str(app.screen.query_one("#form-error", Label).render())


# -- zoomed out, still truthful ---------------------------------------------------------


async def test_zoomed_out_cells_show_owners_mixed_marks_and_every_allocation() -> None:
    app = make_app([crowded_pool()])
    async with app.run_test(size=SIZE) as pilot:
        view = bitmap(app)
        for _ in range(3):
            await pilot.press("minus")
        assert view.grid.scale == 8
        row = row_text(view, 1)[view.grid.label_width :]
        assert MIXED_GLYPH in row
        text = inspector_text(app)
        assert "allocations" in text and "rx:" in text and "tx:" in text and "dma:" in text


async def test_free_under_the_cursor_asks_which_allocation_when_the_cell_holds_several() -> None:
    pool = crowded_pool()
    app = make_app([pool])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("minus", "minus", "minus")
        before = picture(pool)
        await pilot.press("f")
        choice = app.screen
        assert isinstance(choice, FreeChoiceScreen) and len(choice.records) > 1
        await pilot.press("escape")
        assert picture(pool) == before
        await pilot.press("f")
        records = app.screen.records
        await pilot.press("down", "enter")
        assert not isinstance(app.screen, FreeChoiceScreen)
        remaining = {record.addr for record in pool.allocations()}
        assert records[1].addr not in remaining and records[0].addr in remaining


# -- the event log --------------------------------------------------------------------


async def test_event_log_keeps_every_event_up_to_its_limit_and_says_what_it_dropped(monkeypatch) -> None:
    monkeypatch.setattr(EventLog, "CAPACITY", 20)
    app = make_app()
    async with app.run_test(size=SIZE):
        pool = app.current.pool
        for _ in range(15):
            pool.free(pool.alloc(32, owner="burst"), 32)
        app.sync()
        log = app.query_one("#events", EventLog)
        lines = log.text.splitlines()
        assert lines[0].startswith("… 11 older events dropped (the log keeps the last 20)")
        assert len(lines) == 21 and "more events" not in log.text
        assert lines[-1] == "sram: free 32 B at 0x20000120"


async def test_event_log_filter_and_pause() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        log = app.query_one("#events", EventLog)
        pool.alloc(1000, owner="big")  # 1,024 bytes taken: sizes read as a person reads them
        pool.alloc(32, owner="small")
        app.sync()
        assert "alloc 1,000 B at 0x10000640 (first_fit, 1 KiB taken, owner big)" in log.text
        await pilot.press("e")
        assert isinstance(app.screen, LogFilterScreen)
        app.screen.query_one("#f-kind", Select).value = "alloc"
        app.screen.query_one("#f-log-owner", Input).value = "SMA"
        await pilot.press("enter")
        assert log.text.splitlines() == ["sram: alloc 32 B at 0x20000120 (first_fit, owner small)"]
        assert log.border_subtitle == "showing kind alloc, owner ~ SMA"
        log.set_filter(None)
        await pilot.press("space")
        shown = log.text
        pool.alloc(32, owner="while-paused")
        app.sync()
        assert log.text == shown  # paused: the log stays still while events wait
        await pilot.press("space")
        assert "owner while-paused" in log.text


# -- every size of terminal, every modal --------------------------------------------------


async def test_the_80_column_footer_shows_help_and_quit() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        keys = {key.description: key.region for key in app.screen.query(FooterKey)}
        for name in ("Help", "Quit"):
            region = keys[name]
            assert region.width > 0 and region.right <= 80


async def test_help_scrolls_to_its_legend() -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        scroll = app.screen.query_one("#help-scroll", VerticalScroll)
        await pilot.pause()
        assert scroll.max_scroll_y > 0 and scroll.has_focus
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y


@pytest.mark.parametrize("opener", ["D", "question_mark", "g", "a"])
async def test_ctrl_s_saves_a_screenshot_from_any_modal(tmp_path, opener: str) -> None:
    app = make_app(screenshot_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(opener)
        modal = app.screen
        await pilot.press("ctrl+s")
        assert app.screen is modal
        assert len(list(tmp_path.glob("*.svg"))) == 1


async def test_bug_modal_lists_the_outstanding_allocations_first_at_80x24() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("D")
        modal = app.screen
        assert isinstance(modal, BugScreen)
        table = modal.query_one("#bug-outstanding")
        report = modal.query_one("#bug-report")
        assert table.region.y < report.region.y
        assert table.region.height >= 3 and table.region.bottom <= 24
        title = str(modal.query_one("#bug-title", Label).render())
        assert "8 allocation(s) outstanding" in title
        assert "outstanding" not in str(report.render()).replace("outstanding=outstanding", "")


async def test_palette_offers_the_finding_commands() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"Go to address")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GoToScreen)
        await pilot.press("escape", "ctrl+p", *"Allocations and owners")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.table_open
