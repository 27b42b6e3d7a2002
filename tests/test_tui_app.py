"""Every TUI action driven through Textual's Pilot, as a person would use it."""

from __future__ import annotations

import gc
import threading
import weakref

import genpool
import pytest
from genpool.tui.add_chunk import AddChunkScreen
from genpool.tui.allocate import AllocateScreen
from genpool.tui.bug_screen import BugScreen
from genpool.tui.event_log import EventLog
from genpool.tui.free_form import FreeScreen
from genpool.tui.help_screen import HelpScreen
from genpool.tui.inspector import Inspector
from genpool.tui.new_pool import NewPoolScreen
from genpool.tui.set_algorithm import SetAlgorithmScreen
from textual.widgets import Input, Label, Select
from tui_helpers import bitmap, make_app, row_text, tui_config  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.asyncio

SIZE = (100, 30)


def picture(pool: genpool.Pool) -> list[bytes]:
    """Everything that says what a pool holds, to show an action changed nothing."""
    return [chunk.bitmap.to_bytes() for chunk in pool.chunks] + [repr(pool.allocations()).encode()]


def log_text(app) -> str:
    return app.query_one("#events", EventLog).text


def inspector_text(app) -> str:
    return str(app.query_one("#inspector", Inspector).render())


async def test_opens_on_the_live_demo() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.current is not None and app.current.label == "sram"
        view = bitmap(app)
        assert "[rrrrrr]■" in row_text(view, 1)
        assert "rx-ring" in inspector_text(app) and "demo.py:" in inspector_text(app)
        assert "sram: watching" in log_text(app)
        assert app.theme == "genpool-dark"
        assert app.current.pool.observers  # the TUI observes the pool
    assert not app.entries or not app.entries[0].pool.observers


async def test_allocate_form_shows_the_data_field_only_when_the_algorithm_takes_one() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, AllocateScreen)
        row = form.query_one("#f-data-row")
        assert not row.display
        select = form.query_one("#f-algorithm", Select)
        names = [value for _, value in select._options]
        assert {"first_fit", "first_fit_align", "best_fit", "fixed_alloc", "first_fit_order_align"} <= set(names)
        select.value = "first_fit_align"
        await pilot.pause()
        assert row.display and "align" in str(row.query_one(Label).render())
        select.value = "best_fit"
        await pilot.pause()
        assert not row.display
        select.value = "fixed_alloc"
        await pilot.pause()
        assert row.display and "offset" in str(row.query_one(Label).render())
        select.value = "first_fit_align"
        await pilot.pause()
        form.query_one("#f-size", Input).value = "100"
        form.query_one("#f-data", Input).value = "512"
        form.query_one("#f-owner", Input).value = "test-owner"
        await pilot.click("#form-ok")
        await pilot.pause()
        assert app.screen is not form
        [record] = [r for r in pool.allocations() if r.owner == "test-owner"]
        assert record.addr % 512 == 0 and record.size == 128
        assert "alloc 100 B" in log_text(app) and "first_fit_align" in log_text(app)
        assert "test-owner" in inspector_text(app)  # the cursor moved to the new allocation


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"#f-size": "abc"}, "not a number"),
        ({"#f-size": "0"}, "at least 1"),
        ({"#f-size": "1M"}, "no room"),
    ],
)
async def test_allocate_refuses_bad_values_in_place(fields: dict[str, str], message: str) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        before = picture(pool)
        await pilot.press("a")
        form = app.screen
        for selector, value in fields.items():
            form.query_one(selector, Input).value = value
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form
        error = form.query_one("#form-error", Label)
        assert error.display and message in str(error.render())
        assert picture(pool) == before
        await pilot.press("escape")
        assert app.screen is not form and picture(pool) == before


async def test_a_kernel_warning_is_refused_in_place_not_printed() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        before = picture(pool)
        await pilot.press("a")
        form = app.screen
        form.query_one("#f-algorithm", Select).value = "fixed_alloc"
        await pilot.pause()
        form.query_one("#f-data", Input).value = "3"  # not a granule multiple: the kernel WARNs
        await pilot.press("enter")
        await pilot.pause()
        assert "WARN" in str(form.query_one("#form-error", Label).render())
        assert picture(pool) == before


async def test_free_the_selected_allocation() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        avail = pool.avail
        assert bitmap(app).selected_allocation().owner == "rx-ring"
        await pilot.press("f")
        assert pool.avail == avail + 256
        assert "free 256 B at 0x20000000" in log_text(app)
        assert not row_text(bitmap(app), 1).count("r]")
        await pilot.press("f")  # nothing under the cursor now: refused with a notice
        assert pool.avail == avail + 256


async def test_a_double_free_typed_into_the_free_form_opens_the_bug_modal() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        await pilot.press("F")
        form = app.screen
        assert isinstance(form, FreeScreen)
        assert form.query_one("#f-addr", Input).value == "0x20000000"
        assert form.query_one("#f-size", Input).value == "256"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, FreeScreen)
        before = picture(pool)
        await pilot.press("F")
        form = app.screen
        form.query_one("#f-addr", Input).value = "0x20000000"
        form.query_one("#f-size", Input).value = "256"
        await pilot.press("enter")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, BugScreen)
        report = str(modal.query_one("#bug-report").render())
        assert "kernel BUG at lib/genalloc.c" in report and "gen_pool_free_owner" in report
        assert "double free" in report
        assert picture(pool) == before
        await pilot.click("#bug-cancel")
        await pilot.pause()
        assert app.screen is form and "BUG" in str(form.query_one("#form-error", Label).render())
        await pilot.press("escape")
        assert picture(pool) == before
        assert "BUG:" in log_text(app)


async def test_destroy_with_allocations_then_cancel_changes_nothing() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        before = picture(pool)
        await pilot.press("D")
        modal = app.screen
        assert isinstance(modal, BugScreen)
        report = str(modal.query_one("#bug-report").render())
        assert "kernel BUG at lib/genalloc.c" in report and "gen_pool_destroy" in report
        table = modal.query_one("#bug-outstanding")
        assert table.row_count == len(pool.allocations()) == 8
        owners = {table.get_row_at(i)[2] for i in range(table.row_count)}
        assert {"rx-ring", "dma", "tx-desc", "fw-log", "irq", "mbox"} <= owners
        assert all("demo.py:" in table.get_row_at(i)[3] for i in range(table.row_count))
        await pilot.click("#bug-cancel")
        await pilot.pause()
        assert not isinstance(app.screen, BugScreen)
        assert not pool.destroyed and picture(pool) == before
        assert app.current is not None and app.current.pool is pool


async def test_the_bug_modal_lists_a_bounded_number_of_allocations() -> None:
    from genpool.tui.bug_screen import LISTED

    pool = genpool.Pool(0, name="busy", trackers=("tag",))
    pool.add(0, 4 * LISTED)
    for _ in range(LISTED + 20):
        pool.alloc(1, owner="many")
    app = make_app([pool])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("D")
        modal = app.screen
        assert isinstance(modal, BugScreen)
        assert modal.query_one("#bug-outstanding").row_count == LISTED
        assert f"… the first {LISTED} of {LISTED + 20:,}; the table (o) lists them all." in [
            str(label.render()) for label in modal.query(Label)
        ]
        await pilot.click("#bug-free-all")
        await pilot.pause()
        assert pool.destroyed


async def test_destroy_with_allocations_then_free_all_and_destroy() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        await pilot.press("D")
        await pilot.click("#bug-free-all")
        await pilot.pause()
        assert pool.destroyed and pool.observers == ()
        assert app.entries == [] and app.current is None
        assert bitmap(app).border_title.startswith("no pool")
        assert "sram: destroyed" in log_text(app)


async def test_destroying_an_empty_pool_needs_no_modal() -> None:
    empty = genpool.Pool(4, name="spare")
    empty.add(0x1000, 1024)
    app = make_app([empty])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("D")
        await pilot.pause()
        assert empty.destroyed and not isinstance(app.screen, BugScreen)


async def test_new_pool_add_chunk_and_set_algorithm() -> None:
    app = make_app([])
    async with app.run_test(size=SIZE) as pilot:
        assert app.current is None
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, NewPoolScreen)
        form.query_one("#f-order", Input).value = "99"
        await pilot.press("enter")
        assert "0..63" in str(form.query_one("#form-error", Label).render())
        form.query_one("#f-order", Input).value = "3"
        form.query_one("#f-chunk", Input).value = "0x1000:4K"
        await pilot.click("#form-ok")
        await pilot.pause()
        pool = app.current.pool
        assert app.current.label == "pool1" and pool.min_alloc_order == 3 and pool.size == 4096
        assert pool.trackers == ("tag", "callsite")

        await pilot.press("c")
        form = app.screen
        assert isinstance(form, AddChunkScreen)
        form.query_one("#f-addr", Input).value = "0x1800"  # overlaps the first chunk
        await pilot.press("enter")
        assert "overlaps" in str(form.query_one("#form-error", Label).render()) and len(pool.chunks) == 1
        form.query_one("#f-addr", Input).value = "0x10000"
        form.query_one("#f-size", Input).value = "8K"
        form.query_one("#f-phys", Input).value = "0x9000_0000"
        await pilot.press("enter")
        await pilot.pause()
        assert len(pool.chunks) == 2 and pool.chunks[0].phys_addr == 0x9000_0000
        assert len(bitmap(app).grid.chunks) == 2

        await pilot.press("s")
        form = app.screen
        assert isinstance(form, SetAlgorithmScreen)
        form.query_one("#f-algorithm", Select).value = "first_fit_align"
        await pilot.pause()
        form.query_one("#f-data", Input).value = "3"
        await pilot.click("#form-ok")
        assert "power of two" in str(form.query_one("#form-error", Label).render())
        assert pool.algorithm.name == "first_fit"
        form.query_one("#f-algorithm", Select).value = "best_fit"
        await pilot.pause(0.3)  # a button ignores clicks while it shows the last one
        await pilot.click("#form-ok")
        await pilot.pause()
        assert pool.algorithm.name == "best_fit"
        assert "best_fit" in app.sub_title and "algorithm set to best_fit" in log_text(app)


async def test_pause_freezes_the_picture_and_inspection_still_works() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        view = bitmap(app)
        before = row_text(view, 5)
        await pilot.press("space")
        assert app.paused and "PAUSED" in app.sub_title
        thread = threading.Thread(target=lambda: pool.alloc(1024, owner="late"))
        thread.start()
        thread.join()
        app.sync()
        view.reload()
        await pilot.pause()
        assert row_text(view, 5) == before
        assert "1 events waiting" in app.sub_title
        await pilot.press("right")
        assert "[paused]" in inspector_text(app)
        await pilot.press("space")
        await pilot.pause()
        assert not app.paused
        assert row_text(view, 5) != before and "late" in log_text(app)


async def test_changes_from_another_thread_appear_within_frames() -> None:
    app = make_app(frame_seconds=0.02)
    async with app.run_test(size=SIZE) as pilot:
        pool = app.current.pool
        view = bitmap(app)
        before = row_text(view, 5)
        stop = threading.Event()

        def producer() -> None:
            while not stop.is_set():
                addr = pool.alloc(64, owner="bg")
                pool.free(addr, 64)
            pool.alloc(2048, owner="bg")

        thread = threading.Thread(target=producer)
        thread.start()
        try:
            await pilot.pause(0.2)
            await pilot.press("minus")  # input is answered while the producer runs
            assert view.grid.scale == 2
        finally:
            stop.set()
            thread.join()
        await pilot.pause(0.1)
        await pilot.press("equals_sign")
        await pilot.pause(0.1)
        assert row_text(view, 5) != before
        assert "bg" in log_text(app)


async def test_zoom_in_out_and_fit() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = bitmap(app)
        assert view.grid.scale == 1
        await pilot.press("minus")
        assert view.grid.scale == 2 and "zoomed" in view.border_subtitle
        assert "▓" in row_text(view, 1) or "█" in row_text(view, 1)
        await pilot.press("minus", "minus")
        assert view.grid.scale == 8
        await pilot.press("plus")
        assert view.grid.scale == 4
        await pilot.press("equals_sign")
        assert view.grid.scale == 1 and "zoomed" not in view.border_subtitle
        await pilot.press("plus")
        assert view.grid.scale == 1


async def test_click_and_keys_select_cells() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = bitmap(app)
        label = view.grid.label_width
        # Row 4 of the view is the first row of the second chunk (0x10000000): fw-log.
        await pilot.click("#bitmap", offset=(1 + label + 3, 1 + 4))
        assert view.cursor == (1, 3)
        assert "fw-log" in inspector_text(app)
        await pilot.press("down")
        assert view.cursor == (1, 3 + view.grid.columns)
        await pilot.press("up", "up")
        assert view.cursor == (0, 3)
        await pilot.press("end")
        assert view.cursor == (0, 31) and "free" in inspector_text(app)
        await pilot.press("right")
        assert view.cursor == (1, 0)


async def test_theme_switching_is_remembered(tui_config) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert {"genpool-dark", "genpool-light", "genpool-high-contrast", "genpool-colorblind"} <= set(
            app.available_themes
        )
        dark = bitmap(app)._style("owner-0")
        app.theme = "genpool-light"
        await pilot.pause()
        assert bitmap(app)._style("owner-0") != dark
    assert '"genpool-light"' in (tui_config / "settings.json").read_text()
    again = make_app()
    async with again.run_test(size=SIZE):
        assert again.theme == "genpool-light"


async def test_a_one_off_theme_does_not_change_the_remembered_one(tui_config) -> None:  # noqa: F811
    first = make_app()
    async with first.run_test(size=SIZE) as pilot:
        first.theme = "genpool-light"
        await pilot.pause()
    once = make_app(theme="genpool-high-contrast")
    async with once.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert once.theme == "genpool-high-contrast"
    assert '"genpool-light"' in (tui_config / "settings.json").read_text()
    again = make_app()
    async with again.run_test(size=SIZE):
        assert again.theme == "genpool-light"


async def test_the_command_palette_runs_actions_and_lists_themes() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Allocate")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AllocateScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.press(*"theme: genpool-high")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "genpool-high-contrast"


async def test_help_and_screenshot(tmp_path) -> None:
    app = make_app(screenshot_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("ctrl+s")
        shots = list(tmp_path.glob("*.svg"))
        assert len(shots) == 1 and "<svg" in shots[0].read_text()
        assert "screenshot saved" in log_text(app)


async def test_next_pool_and_pool_list() -> None:
    second = genpool.Pool(3, name="other", trackers=("tag",))
    second.add(0x5000, 512)
    app = make_app()
    app._initial_pools.append(second)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        assert app.current.label == "other"
        assert bitmap(app).pool is second
        await pilot.press("right_square_bracket")
        assert app.current.label == "sram"


async def test_the_app_keeps_no_garbage_alive() -> None:
    """The app freezes what exists at mount: garbage from before still goes, and all is unfrozen at the end."""
    before = genpool.Pool(3, trackers=("tag",))  # a tracked pool is a reference cycle: only the collector frees it
    gone = weakref.ref(before)
    del before
    app = make_app([])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert gone() is None
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
