"""The table's filter: the same rows as testing each row's whole text, on tricky owners and needles."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import genpool
import pytest
from genpool.tui.bench_table import FIRST_KEYSTROKES, owned_pool, table_timings
from genpool.tui.ledger import Ledger
from genpool.tui.row_search import RowSearch
from hypothesis import given, settings
from hypothesis import strategies as st
from tui_helpers import make_app, tui_config  # noqa: F401  (autouse fixture)


class Device:
    """An owner object whose repr holds an address and a space, like many real ones."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<Device {self.name} at 0x1040>"


# Owners of every shape the tag tracker takes: cases, a casefold that grows (ß), numbers
# (read as digits, like addresses), None, a tuple with a space, unhashable lists, objects.
OWNERS: list[Any] = ["rx", "RX-ring", "Straße", "dma", 4096, None, ("tx", 2), ["a", "List"], Device("Eth0")]
NEEDLES = ["", " ", "rx", "RX", "ss", "STRASSE", "0x", "x1", "10", "1040", "409", "0x1000 ", "0 r", "a l", "-", ": "]


def reference(ledger: Ledger, query: str) -> list[tuple[Any, ...]]:
    """The filter as first written: each row's whole text, made and searched one row at a time."""
    wanted = query.strip().casefold()
    return [
        row
        for row in ledger.rows
        if wanted in f"{row[0]:#x} {ledger.owner_name(row[2])} {ledger.site_text(row[3])}".casefold()
    ]


def allocate(pool: genpool.Pool, plan: list[tuple[int, int, int]]) -> None:
    """Allocate from three call sites (lines), or free, as ``plan`` says: (size, owner index, action)."""
    for size, owner, action in plan:
        try:
            if action == 0:
                pool.alloc(size, owner=OWNERS[owner])
            elif action == 1:
                pool.alloc(size, owner=[OWNERS[owner]])  # unhashable, and a new object each time
            elif action == 2:
                pool.alloc(size, owner=OWNERS[owner])
            else:
                record = pool.allocations()[owner % len(pool.allocations())] if pool.allocations() else None
                if record is not None:
                    pool.free(record.addr, record.size)
        except genpool.NoSpace:
            pass


def tracked_pool(trackers: tuple[str, ...] = ("tag", "callsite")) -> genpool.Pool:
    pool = genpool.Pool(3, name="p", trackers=trackers)
    pool.add(0x1000, 2048)
    pool.add(0x40_0000, 512)
    return pool


plans = st.lists(st.tuples(st.integers(1, 80), st.integers(0, len(OWNERS) - 1), st.integers(0, 3)), max_size=40)


@settings(max_examples=80, deadline=None)
@given(plan=plans, needles=st.lists(st.sampled_from(NEEDLES), min_size=1, max_size=4), data=st.data())
def test_filter_keeps_the_rows_whose_text_holds_the_needle(plan, needles, data) -> None:
    pool = tracked_pool()
    allocate(pool, plan)
    ledger = Ledger(pool, pool.chunks)
    texts = [f"{row[0]:#x} {ledger.owner_name(row[2])} {ledger.site_text(row[3])}" for row in ledger.rows]
    if texts:
        # A slice of a real row's text, so needles run across the fields and cut them anywhere.
        text = data.draw(st.sampled_from(texts))
        start = data.draw(st.integers(0, len(text) - 1))
        needles.append(text[start : data.draw(st.integers(start + 1, len(text)))].upper())
    for needle in needles:  # one ledger, asked again and again as keystrokes do
        assert ledger.matching(needle) == reference(ledger, needle), needle


@settings(max_examples=30, deadline=None)
@given(plan=plans, needle=st.sampled_from(NEEDLES[2:]))
def test_typing_then_deleting_gives_the_rows_of_each_prefix(plan, needle) -> None:
    pool = tracked_pool()
    allocate(pool, plan)
    ledger = Ledger(pool, pool.chunks)
    prefixes = [needle[:n] for n in range(1, len(needle) + 1)]
    for typed in [*prefixes, *reversed(prefixes), ""]:
        assert ledger.matching(typed) == reference(ledger, typed), typed
    assert ledger.matching("") is ledger.rows


@pytest.mark.parametrize("trackers", [(), ("tag",), ("callsite",), ("chunk",)])
def test_pools_without_owners_or_call_sites_filter_the_same(trackers) -> None:
    pool = tracked_pool(trackers)
    allocate(pool, [(8 * (n % 5 + 1), n % len(OWNERS), n % 4) for n in range(60)])
    ledger = Ledger(pool, pool.chunks)
    for needle in [*NEEDLES, "test_tui_row_search", "- -", "chunk"]:
        assert ledger.matching(needle) == reference(ledger, needle), needle


def test_addresses_and_sizes_as_text() -> None:
    pool = genpool.Pool(3, trackers=("tag", "callsite"))
    pool.add(0x1000, 256)
    first = pool.alloc(16, owner="ab")
    pool.alloc(24, owner="cd")
    ledger = Ledger(pool, pool.chunks)
    assert [row[0] for row in ledger.matching("0X1000")] == [first]
    assert [row[0] for row in ledger.matching("0x1000 AB")] == [first]  # the address ends, the owner begins
    assert [row[0] for row in ledger.matching("1010 cd test_tui")] == [first + 16]
    # Sizes are not part of a row's text: 24 only finds what holds "24" elsewhere.
    assert ledger.matching("24") == reference(ledger, "24") == []


def test_owner_whose_repr_holds_the_needle() -> None:
    pool = tracked_pool()
    pool.alloc(8, owner=Device("eth0"))
    pool.alloc(8, owner=Device("eth1"))
    pool.alloc(8, owner="plain")
    ledger = Ledger(pool, pool.chunks)
    assert len(ledger.matching("at 0x1040")) == 2  # in the owner's repr, not the addresses
    assert len(ledger.matching("<DEVICE ETH1")) == 1


def test_equal_call_sites_read_the_same_whatever_object_holds_them() -> None:
    pool = tracked_pool()
    for _ in range(3):
        pool.alloc(8, owner="rx")  # one line: one call site object
    ledger = Ledger(pool, pool.chunks)
    sites = {id(row[3]) for row in ledger.rows}
    assert len(sites) == 1
    # Rows holding equal but distinct call site objects (as a replica or a pickle makes) match alike.
    copied = [(*row[:3], type(row[3])(*_fields(row[3])), *row[4:]) for row in ledger.rows]
    search = RowSearch(copied, ledger.owner_name, ledger.site_text)
    assert search.matching("test_tui_row_search.py") == copied
    assert search.matching("rx test_tui_row_search") == copied


def _fields(site: Any) -> tuple[Any, ...]:
    return site.filename, site.line, site.function


def test_a_searched_ledger_is_freed_without_the_cycle_collector() -> None:
    pool = tracked_pool()
    allocate(pool, [(8, n % len(OWNERS), 0) for n in range(20)])
    ledger = Ledger(pool, pool.chunks)
    assert ledger.matching("0x1 rx") == reference(ledger, "0x1 rx")
    gone = weakref.ref(ledger)
    enabled = gc.isenabled()
    gc.disable()  # a ledger taken twice a second must not wait for it
    try:
        del ledger
        assert gone() is None
    finally:
        if enabled:
            gc.enable()


def test_bad_needles_are_refused() -> None:
    search = RowSearch([], str, str)
    with pytest.raises(ValueError, match="wanted must be non-empty casefolded text, not ''"):
        search.matching("")
    with pytest.raises(ValueError, match="not 'RX'"):
        search.matching("RX")


@pytest.mark.asyncio
async def test_filter_follows_the_pool_while_it_changes() -> None:
    pool = tracked_pool()
    for n in range(30):
        pool.alloc(8 * (n % 3 + 1), owner=("rx", "tx", "dma")[n % 3])
    app = make_app([pool])
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("o", "slash", *"TX")
        panel = app.owners_panel
        assert len(panel.view.rows) == 10
        freed = panel.view.rows[0]
        pool.free(freed[0], freed[1])
        pool.alloc(16, owner="Tx-late")
        pool.alloc(16, owner="rx")
        app.sync()  # the frame timer's work: a new snapshot, filtered again
        ledger = panel.ledger
        assert ledger is not None and list(panel.view.rows) == reference(ledger, "TX")
        assert len(panel.view.rows) == 10 and freed not in panel.view.rows
        await pilot.press("backspace", "backspace")
        assert list(panel.view.rows) == ledger.rows
        await pilot.press("space")  # blank: every row
        assert list(panel.view.rows) == ledger.rows
        await pilot.press("r")  # " r": the space is trimmed
        assert list(panel.view.rows) == reference(ledger, "r") != []
        assert list(panel.view.rows) == reference(ledger, " r")


@pytest.mark.asyncio
async def test_the_table_benchmark_runs_every_case() -> None:
    pool = owned_pool(2000)
    result = await table_timings(pool, repeats=1)
    assert result["rows"] == 2000
    names = {"open", "sort", "group", "filter later", *(f"filter {name}" for name in FIRST_KEYSTROKES)}
    assert names <= result.keys() and all(result[name] >= 0 for name in names)
