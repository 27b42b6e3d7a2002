"""The TUI's parts that need no running app: parsing, layout, counting, feeds, stats, themes."""

from __future__ import annotations

import random
import subprocess
import sys
import warnings

import genpool
import pytest
from genpool.tui import cursor
from genpool.tui.demo import build_demo_pool
from genpool.tui.live import FLOOD, PAGE_SHIFT, QUEUE_LIMIT, PoolFeed
from genpool.tui.owners import OwnerColours, callsite_text, owner_letter
from genpool.tui.picture import BitmapLayout, block_counts, density_level
from genpool.tui.report import kernel_report
from genpool.tui.stats import StatsScanner, UsageHistory, sparkline
from genpool.tui.values import ChunkSpec, human_size, parse_chunk_spec, parse_number
from tui_helpers import FakeClock, tui_config  # noqa: F401  (autouse fixture)

# -- values ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("4096", 4096), ("0x1000", 4096), ("4K", 4096), ("4KiB", 4096), ("1M", 1 << 20), ("0x4000_0000", 1 << 30)],
)
def test_parse_number_accepts_what_people_type(text: str, value: int) -> None:
    assert parse_number(text, "size") == value


@pytest.mark.parametrize("text", ["", "abc", "-1", "1.5", "0x", "4Q"])
def test_parse_number_refuses_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_number(text, "size")


def test_parse_number_limits() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        parse_number("0", "size", minimum=1)
    with pytest.raises(ValueError, match="64 bits"):
        parse_number(str(1 << 64), "address")
    with pytest.raises(ValueError, match="not a number"):
        parse_number("4K", "address", units=False)


def test_chunk_spec() -> None:
    assert parse_chunk_spec("0x1000:4K") == ChunkSpec(0x1000, 4096)
    assert parse_chunk_spec("0x4000_0000:1M:0x8000_0000") == ChunkSpec(1 << 30, 1 << 20, 1 << 31)
    assert str(ChunkSpec(0x1000, 4096, 0x9000)) == "0x1000:0x1000:0x9000"
    with pytest.raises(ValueError, match="ADDR:SIZE"):
        parse_chunk_spec("0x1000")


def test_human_size() -> None:
    assert human_size(4096) == "4 KiB"
    assert human_size(3520) == "3,520 B"
    assert human_size(256 << 20) == "256 MiB"
    assert human_size((3 << 19) + 1) == "1.5 MiB"


# -- counting and layout -------------------------------------------------------


@pytest.mark.parametrize("scale", [1, 2, 7, 64, 4096, 40000, 70000])
def test_block_counts_match_a_plain_count(scale: int) -> None:
    rng = random.Random(scale)
    bits = bytearray(rng.getrandbits(1) for _ in range(150_000))
    count = 5
    first = 1234
    expected = [
        bits[p : min(p + scale, len(bits))].count(1) if p < len(bits) else 0
        for p in range(first, first + count * scale, scale)
    ]
    assert block_counts(bits, first, count, scale) == expected


def test_block_counts_past_the_end_are_zero() -> None:
    bits = bytearray(b"\x01" * 10)
    assert block_counts(bits, 8, 4, 1) == [1, 1, 0, 0]
    assert block_counts(bits, 0, 4, 4) == [4, 4, 2, 0]


def test_density_level_is_exact_at_the_ends() -> None:
    assert density_level(0, 64) == 0
    assert density_level(1, 64) == 1
    assert density_level(63, 64) == 3
    assert density_level(64, 64) == 4


def test_layout_rows_locate_and_cell_at() -> None:
    pool = build_demo_pool()
    layout = BitmapLayout(pool.chunks, 56, 1)
    # 44 columns of room hold 32 cells: a row is a power of two granules.
    assert layout.label_width == 12 and layout.columns == 32
    # chunk 0: title + one row of 32; spacer; chunk 1: title + 4 rows of 32
    assert len(layout) == 8
    assert layout.row(0).first_bit == -1 and layout.row(2).chunk == -1
    assert [layout.row(y).cells for y in (4, 5, 6, 7)] == [32, 32, 32, 32]
    assert layout.locate(1, 50) == (5, 18)
    assert layout.cell_at(5, 12 + 18) == (1, 50)
    assert layout.cell_at(5, 3) is None
    assert layout.rows_showing(1, 40, 90) == range(5, 7)


@pytest.mark.parametrize("width", [40, 56, 80, 100, 131, 200, 255])
def test_row_strides_are_powers_of_two_bytes(width: int) -> None:
    pool = genpool.Pool(3)
    pool.add(0x4000_0000, 16 << 20)
    scale = BitmapLayout.fit_scale(pool.chunks, width, 30)
    layout = BitmapLayout(pool.chunks, width, scale)
    stride = layout.columns * scale * pool.granule
    assert stride & (stride - 1) == 0
    labels = [layout.chunks[0].address_of(layout.row(y).first_bit) for y in range(1, 5)]
    assert all(label % stride == 0 for label in labels)


def test_layout_of_a_huge_chunk_is_computed_on_demand() -> None:
    class Huge:  # a trillion granules: rows must never be materialised
        nbits = 1 << 40
        end_addr = (1 << 40) - 1

    layout = BitmapLayout((Huge(),), 100, 1)  # type: ignore[arg-type]
    assert len(layout) > 10**9
    assert layout.row(len(layout) - 1).is_cells


def test_fit_scale_is_the_smallest_that_fits() -> None:
    pool = genpool.Pool(3)
    pool.add(0x1000, 8 << 20)  # 1 M granules
    scale = BitmapLayout.fit_scale(pool.chunks, 100, 20)
    assert len(BitmapLayout(pool.chunks, 100, scale)) <= 20
    assert len(BitmapLayout(pool.chunks, 100, scale // 2)) > 20


def test_cursor_moves_cross_chunks() -> None:
    pool = build_demo_pool()
    layout = BitmapLayout(pool.chunks, 56, 1)
    assert cursor.move(layout, (0, 31), 1, 0) == (1, 0)
    assert cursor.move(layout, (1, 0), -1, 0) == (0, 31)
    assert cursor.move(layout, (0, 5), 0, 1) == (1, 5)
    assert cursor.move(layout, (1, 100), 0, 1) == (1, 127)
    assert cursor.move(layout, (1, 3), 0, -1) == (0, 3)
    assert cursor.edge(layout, (1, 50), 1) == (1, 127)
    assert cursor.clamp(layout, (9, 999)) == (1, 127)


# -- the feed ----------------------------------------------------------------------


def test_feed_folds_events_into_pages() -> None:
    pool = genpool.Pool(0)
    chunk = pool.add(0, 4096)
    feed = PoolFeed(pool)
    feed.attach()
    pool.alloc(10)
    pool.alloc(600)
    changes = feed.drain()
    assert changes.count == 2 and not changes.structure
    assert changes.pages[chunk] == {0, 1, 2}
    assert feed.drain().count == 0
    pool.add(8192, 16)
    assert feed.drain().structure
    feed.detach()
    pool.alloc(1)
    assert feed.pending == 0


def test_feed_treats_a_flood_as_everything() -> None:
    pool = genpool.Pool(0)
    pool.add(0, 1 << 16)
    feed = PoolFeed(pool)
    feed.attach()
    for _ in range(FLOOD + 10):
        pool.free(pool.alloc(1), 1)
    changes = feed.drain()
    assert changes.everything and changes.count == 2 * (FLOOD + 10)
    assert len(changes.events) == changes.count and feed.pending == 0 and not changes.overflowed
    assert PAGE_SHIFT >= 1


def test_feed_notes_births_and_overflow() -> None:
    pool = genpool.Pool(0)
    pool.add(0, 1 << 20)
    feed = PoolFeed(pool)
    feed.attach()
    first = pool.alloc(4)
    pool.alloc(4)
    feed.drain()
    third = pool.alloc(4)
    feed.drain()
    assert feed.births[first] == 0 and feed.births[third] == 2 and feed.total == 3
    pool.free(first, 4)
    feed.drain()
    assert first not in feed.births
    for _ in range(QUEUE_LIMIT + 5):
        pool.free(pool.alloc(1), 1)
    changes = feed.drain()
    assert changes.overflowed and changes.count == QUEUE_LIMIT


# -- stats -------------------------------------------------------------------------


def test_stats_scanner_matches_brute_force_in_slices() -> None:
    pool = genpool.Pool(0, trackers=("tag",))
    pool.add(0, 5000)
    pool.add(10_000, 3000)
    rng = random.Random(5)
    live = []
    for _ in range(400):
        try:
            live.append((pool.alloc(rng.randint(1, 40)), 0))
        except genpool.NoSpace:
            break
    for addr, _ in live[::3]:
        pool.free(addr, pool.allocation_at(addr).size)
    scanner = StatsScanner(pool, budget=97)
    steps = 0
    while not scanner.step():
        steps += 1
    assert steps > 10
    stats = scanner.result
    longest = max(length for chunk in pool.chunks for _, length, is_set in chunk.bitmap.runs() if not is_set)
    assert stats.largest_free == longest
    assert stats.allocations == len(pool.allocations()) and stats.exact
    assert stats.avail == pool.avail
    assert stats.fragmentation == pytest.approx(1 - longest / pool.avail)
    assert not scanner.busy and not scanner.step()
    scanner.invalidate()
    assert scanner.busy


def test_stats_count_runs_without_trackers() -> None:
    pool = genpool.Pool(0)
    pool.add(0, 100)
    pool.alloc(3)
    pool.alloc(3)  # adjacent: one run
    pool.free(pool.alloc(3) + 0, 0)
    stats = StatsScanner(pool).run()
    assert not stats.exact and stats.allocations == 1


def test_usage_history_one_sample_per_period() -> None:
    clock = FakeClock()
    history = UsageHistory(length=3, period=1.0, clock=clock)
    for value in (0.1, 0.2, 0.3, 0.4, 0.5):
        history.record(value)
    assert list(history.samples) == [0.3, 0.4, 0.5]
    every_other = UsageHistory(period=1.5, clock=clock)
    for value in (0.1, 0.2, 0.3):
        every_other.record(value)
    assert list(every_other.samples) == [0.2, 0.3]
    slow = UsageHistory(period=100, clock=clock)
    slow.record(0.1)
    slow.record(0.9)
    assert list(slow.samples) == [0.9]


def test_sparkline_uses_a_fixed_scale() -> None:
    assert sparkline([0.0, 0.5, 1.0], 5) == "   ▄█"
    assert sparkline([0.3, 0.3], 2) == "▂▂"


# -- owners and reports ---------------------------------------------------------


def test_owner_colours_first_come_first_served() -> None:
    owners = OwnerColours()
    assert [owners.slot(name) for name in ("a", "b", "a", None)] == [0, 1, 0, None]
    assert owner_letter("rx-ring") == "r" and owner_letter(None) == "=" and owner_letter("--") == "="


def test_callsite_text_shows_the_file_name_only() -> None:
    pool = build_demo_pool()
    record = pool.allocations()[0]
    assert callsite_text(record.info).startswith("demo.py:")
    assert callsite_text({}) == "-"


def test_kernel_report_says_only_what_is_real() -> None:
    pool = build_demo_pool()
    with pytest.raises(genpool.PoolBug) as destroy:
        pool.destroy()
    text = kernel_report(destroy.value)
    assert "kernel BUG at lib/genalloc.c:255!  BUG_ON(bit < end_bit) in gen_pool_destroy()" in text
    # The caller's real Python stack, down to the genpool call; nothing invented, no genpool internals.
    assert "test_tui_units.py:" in text and "pool.destroy()" in text and "pool.py:" not in text
    for made_up in ("RIP", "PID", "CPU", "invalid opcode", "+0x"):
        assert made_up not in text
    # The count is the modal's title's, not repeated here.
    assert "allocation(s) outstanding" not in text
    addr = pool.alloc(32, owner="x")
    pool.free(addr, 32)
    with pytest.raises(genpool.PoolBug) as double:
        pool.free(addr, 32)
    assert "lib/genalloc.c:508!  BUG_ON(remain) in gen_pool_free_owner()" in kernel_report(double.value)
    with pytest.raises(genpool.PoolBug) as outside:
        pool.free(0x9000_0000, 32)
    assert "lib/genalloc.c:518!  BUG()" in kernel_report(outside.value)


# -- themes and settings ---------------------------------------------------------


def test_every_shipped_theme_loads_with_the_bitmap_variables() -> None:
    from genpool.tui.themes import BITMAP_VARIABLES, load_themes

    shipped, user, errors = load_themes()
    names = {theme.name for theme in shipped}
    assert {"genpool-dark", "genpool-light", "genpool-high-contrast", "genpool-colorblind"} <= names
    assert not user and not errors
    for theme in shipped:
        assert set(BITMAP_VARIABLES) <= set(theme.variables)


def test_user_themes_load_and_bad_ones_are_reported(tui_config) -> None:  # noqa: F811
    from genpool.tui.themes import load_themes

    folder = tui_config / "themes"
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text('name = "mine"\nprimary = "#ff0000"\n[variables]\ngenpool-free = "#010203"\n')
    (folder / "broken.toml").write_text('name = "broken"\nprimry = "#ff0000"\n')
    _, user, errors = load_themes()
    assert [theme.name for theme in user] == ["mine"]
    assert user[0].variables["genpool-free"] == "#010203"
    assert len(errors) == 1 and "primry" in errors[0]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('name = "bad"\nprimary = "notacolour"\n', "primary = 'notacolour'"),
        ('name = "bad"\nprimary = "#ff0000"\nbackground = "#12"\n', "background = '#12'"),
        ('name = "bad"\nprimary = "#ff0000"\n[variables]\ngenpool-used = "mauve-ish"\n', "variables.genpool-used"),
    ],
)
def test_a_theme_with_an_invalid_colour_is_reported_with_its_file_and_key(tui_config, text: str, key: str) -> None:  # noqa: F811
    from genpool.tui.themes import load_themes

    folder = tui_config / "themes"
    folder.mkdir(parents=True)
    (folder / "bad.toml").write_text(text)
    _, user, errors = load_themes()
    assert user == [] and len(errors) == 1
    assert "bad.toml" in errors[0] and key in errors[0] and "is not a colour" in errors[0]


def test_settings_round_trip(tui_config) -> None:  # noqa: F811
    from genpool.tui.themes import load_setting, save_setting

    assert load_setting("theme", "x") == "x"
    save_setting("theme", "genpool-light")
    assert load_setting("theme") == "genpool-light"
    assert (tui_config / "settings.json").exists()


# -- the command line ---------------------------------------------------------------


def test_cli_module_does_not_import_textual() -> None:
    code = (
        "import sys, genpool.tui.cli; "
        "assert 'textual' not in sys.modules, sorted(m for m in sys.modules if 'textual' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_builds_the_pool_it_is_told() -> None:
    import argparse

    from genpool.tui import cli

    parser = argparse.ArgumentParser()
    cli.add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["tui", "--order", "3", "--chunk", "0x1000:4K:0x9000", "--algorithm", "best_fit"])
    [pool] = cli.build_pools(args)
    assert pool.min_alloc_order == 3 and pool.algorithm.name == "best_fit"
    assert pool.chunks[0].phys_addr == 0x9000 and pool.trackers == ("tag", "callsite")
    assert cli.build_pools(parser.parse_args(["tui", "--empty"])) == []
    assert cli.build_pools(parser.parse_args(["tui"]))[0].name == "sram"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(SystemExit):
            parser.parse_args(["tui", "--chunk", "nonsense"])
    assert pool.chunks[0].bitmap.raw is not None
